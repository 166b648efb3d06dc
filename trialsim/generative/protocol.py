"""The one interface every gait simulator satisfies (physics generator, reference model)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class GaitSimulator(Protocol):
    """Maps musculoskeletal parameters to spatiotemporal gait measures.

    ``params`` maps any subset of ``trialsim physics params`` names to arrays that
    broadcast together (missing names take their nominal value). With ``rng=None``
    the result is the patient's typical gait; with a generator, it is one day's gait
    with realistic within-patient variability. Returns measure name → array of the
    broadcast shape, using the names in :data:`trialsim.spec.names.GAIT_MEASURES`.
    """

    name: str

    def provenance(self) -> dict[str, str]:
        """What produced the gaits (model name, version, checkpoint/library hashes)."""
        ...

    def simulate(
        self, params: Mapping[str, np.ndarray], *, rng: np.random.Generator | None = None
    ) -> dict[str, np.ndarray]:
        """Return gait measures for every patient in ``params``."""
        ...
