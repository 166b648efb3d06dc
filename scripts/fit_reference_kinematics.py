"""Fit the Ferrarin adult free-speed joint angles with a periodic Fourier series.

Dev-time only: reads ``/work/shared/reference-data/ferrarin/Joint_Rotations.csv``
and writes ``trialsim/data/reference_kinematics.json``; the package reads only the
JSON at run time.

Conventions of the written curves (degrees, right leg, 0 % = right heel strike):

- ``pelvis_tilt``: Ferrarin pelvic tilt (negative = anterior tilt, matching a
  rotation about +z in the model).
- ``hip_flexion``: thigh flexion − pelvic tilt (hip relative to the pelvis).
- ``knee_angle``: −knee flexion (the model's knee is negative in flexion).
- ``ankle_angle``: Ferrarin ankle + 20° (removes the ≈ −20° marker offset of the
  Ferrarin ankle; positive = dorsiflexion).

The left leg is the right leg shifted by 50 % of the cycle.

Source: Bovi, Rabuffetti, Mazzoleni, Ferrarin 2011, Gait Posture 33:6 (adult, natural speed).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

N_HARMONICS = 8
ANKLE_OFFSET_DEG = 20.0
ADULT_FREE_MEAN_COLUMN = 30  # "Free A" mean (columns: name, %, then (-1sd, mean, +1sd) per condition)


def fourier_fit(values: np.ndarray, n_harmonics: int) -> dict[str, list[float] | float]:
    """Least-squares periodic fit over phase in [0, 1)."""
    phase = np.arange(len(values)) / len(values)  # samples at 0, 1, ..., 99 % of the cycle
    cols = [np.ones_like(phase)]
    for k in range(1, n_harmonics + 1):
        cols += [np.cos(2 * np.pi * k * phase), np.sin(2 * np.pi * k * phase)]
    design = np.column_stack(cols)
    coef, *_ = np.linalg.lstsq(design, values, rcond=None)
    return {"a0": float(coef[0]), "a": coef[1::2].tolist(), "b": coef[2::2].tolist()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source", type=Path, default=Path("/work/shared/reference-data/ferrarin"))
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "trialsim/data/reference_kinematics.json")
    args = parser.parse_args()
    table = pd.read_csv(args.source / "Joint_Rotations.csv", header=None, skiprows=2)
    curves = {name: g[ADULT_FREE_MEAN_COLUMN].to_numpy(float) for name, g in table.groupby(0, sort=False)}
    pelvis = curves["Pelvic Ant/Posterior Tilt"]
    joints = {
        "pelvis_tilt": pelvis,
        "hip_flexion": curves["Thigh Flex/Extension"] - pelvis,
        "knee_angle": -curves["Knee Flex/Extension"],
        "ankle_angle": curves["Ankle Dorsi/Plantarflexion"] + ANKLE_OFFSET_DEG,
    }
    events = pd.read_csv(args.source / "Cycle_Events.csv", header=None, skiprows=2)
    foot_off = float(events.iloc[2, 19])
    out = {
        "source": "Bovi et al. 2011 Gait Posture 33:6, adult natural speed (Ferrarin data set), mean curves",
        "units": "deg",
        "phase": "0 = right heel strike, 1 = next right heel strike",
        "n_harmonics": N_HARMONICS,
        "ankle_offset_deg": ANKLE_OFFSET_DEG,
        "left_leg": "right leg shifted by 0.5 cycle",
        "foot_off_pct": foot_off,
        "joints": {name: fourier_fit(v[:-1], N_HARMONICS) for name, v in joints.items()},  # drop 100 % (= 0 %)
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1))
    for name, v in joints.items():
        c = out["joints"][name]
        ph = np.linspace(0, 1, len(v))  # 0..100 %
        fit = c["a0"] + sum(c["a"][k] * np.cos(2 * np.pi * (k + 1) * ph) + c["b"][k] * np.sin(2 * np.pi * (k + 1) * ph) for k in range(N_HARMONICS))
        print(f"{name}: rms fit error {np.sqrt(np.mean((fit - v) ** 2)):.2f} deg, range {v.min():.1f}..{v.max():.1f}")


if __name__ == "__main__":
    main()
