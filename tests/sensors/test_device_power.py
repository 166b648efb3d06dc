"""A study's device choice reaches its power: a noisier device loses power at equal n."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _power(device: str) -> dict[tuple[int, int], float]:
    from trialsim import Study

    table = Study.from_yaml(ROOT / "tests/data/studies/small_pd.yaml").replace(device=device).run(replicates=60).oc
    alt = table[(table.scenario == "expected") & (table.analysis == "primary")]
    return {(int(r.n_control), int(r.n_synthetic)): float(r.power) for r in alt.itertuples()}


@pytest.mark.parametrize("noisy", ["imu_lumbar"])
def test_noisier_device_gives_lower_power(noisy):
    precise, rough = _power("walkway"), _power(noisy)
    assert precise.keys() == rough.keys()
    concurrent_only = [k for k in precise if k[1] == 0]
    # same virtual patients and seeds (common random numbers): only the device differs
    assert all(rough[k] <= precise[k] for k in concurrent_only)
    assert sum(precise[k] - rough[k] for k in concurrent_only) / len(concurrent_only) > 0.05
