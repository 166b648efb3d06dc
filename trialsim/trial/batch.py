"""Dense patient-level data of many simulated trials of one design.

This is the hand-over from the trial layer to the analysis layer: R replicates of a
trial with the same design share one shape, so they are stored as arrays with a
leading ``replicate`` axis and analysed in one vectorised pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class TrialBatch:
    """R simulated trials of one design.

    Attributes
    ----------
    visits_weeks
        ``(V,)`` visit times in weeks; ``visits_weeks[0] == 0`` is baseline.
    primary_visit
        Index into ``visits_weeks`` of the primary endpoint visit.
    arm
        ``(R, N)`` int: 0 = concurrent control, 1 = treatment.
    outcome
        ``(R, N, V)`` observed endpoint measure (e.g. ``gait_speed_m_s``) at each
        visit; ``NaN`` after dropout. Baseline (visit 0) is always observed.
    prognostic_score
        ``(R, N)`` each patient's digital-twin prediction of their *change from
        baseline* at the primary visit under control (PROCOVA covariate).
    covariates
        name -> ``(R, N)`` baseline covariates (``age_years``, ``sex`` ...).
    external_outcome
        ``(R, M, V)`` synthetic (external) control arm outcomes, or ``None``.
    external_prognostic_score
        ``(R, M)`` twin predictions for the synthetic controls, or ``None``.
    true_effect
        The data-generating estimand: population mean difference (treatment −
        control) in change from baseline at the primary visit, in endpoint units.
    endpoint
        Name of the measure, e.g. ``"gait_speed_m_s"``.
    """

    visits_weeks: np.ndarray
    primary_visit: int
    arm: np.ndarray
    outcome: np.ndarray
    prognostic_score: np.ndarray
    true_effect: float
    endpoint: str = "gait_speed_m_s"
    covariates: dict[str, np.ndarray] = field(default_factory=dict)
    external_outcome: np.ndarray | None = None
    external_prognostic_score: np.ndarray | None = None

    @property
    def n_replicates(self) -> int:
        return int(self.outcome.shape[0])

    @property
    def n_patients(self) -> int:
        return int(self.outcome.shape[1])

    def change_from_baseline(self) -> np.ndarray:
        """``(R, N)`` change at the primary visit (``NaN`` where dropped out)."""
        return self.outcome[:, :, self.primary_visit] - self.outcome[:, :, 0]

    def external_change_from_baseline(self) -> np.ndarray | None:
        """``(R, M)`` change of the synthetic controls, or ``None``."""
        if self.external_outcome is None:
            return None
        return self.external_outcome[:, :, self.primary_visit] - self.external_outcome[:, :, 0]

    def replicate(self, index: int) -> TrialBatch:
        """Return a batch holding replicate ``index`` alone."""
        sl = slice(index, index + 1)
        return TrialBatch(
            visits_weeks=self.visits_weeks,
            primary_visit=self.primary_visit,
            arm=self.arm[sl],
            outcome=self.outcome[sl],
            prognostic_score=self.prognostic_score[sl],
            true_effect=self.true_effect,
            endpoint=self.endpoint,
            covariates={k: v[sl] for k, v in self.covariates.items()},
            external_outcome=None if self.external_outcome is None else self.external_outcome[sl],
            external_prognostic_score=(
                None if self.external_prognostic_score is None else self.external_prognostic_score[sl]
            ),
        )
