"""Regression layouts of a :class:`~trialsim.trial.batch.TrialBatch` for ANCOVA.

One layout feeds both engines: the fast engine reduces it to sufficient statistics,
the PyMC engine takes one replicate's rows, so both fit literally the same model.

Rows are the concurrent patients followed by the synthetic controls (if borrowed);
columns are

``control_mean``  1 for every row: mean change of the concurrent control arm
                  at the covariate centre;
``effect``        1 for treated patients (the estimand);
``baseline``      baseline measure, centred on the concurrent completers' mean;
``prognostic``    (PROCOVA) the twin's predicted change, centred likewise;
``drift``         1 for synthetic-control rows: their mean minus the concurrent
                  control mean (its prior encodes the borrowing method).

A row enters the likelihood only if its patient completed the primary visit
(ANCOVA on completers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trialsim.trial.batch import TrialBatch

__all__ = ["AncovaLayout", "ancova_layout", "external_size"]


@dataclass(frozen=True)
class AncovaLayout:
    """Design matrix and outcome of R replicates, padded to a common row count.

    Attributes
    ----------
    columns
        Names of the ``P`` columns (see module docstring).
    x
        ``(R, L, P)`` design; rows not used are zero.
    y
        ``(R, L)`` change from baseline at the primary visit; 0 where not used.
    used
        ``(R, L)`` rows entering the likelihood.
    external
        ``(L,)`` True for synthetic-control rows.
    """

    columns: tuple[str, ...]
    x: np.ndarray
    y: np.ndarray
    used: np.ndarray
    external: np.ndarray

    def index(self, name: str) -> int:
        return self.columns.index(name)

    def stats(self, *, concurrent_only: bool = False) -> tuple[np.ndarray, ...]:
        """Sufficient statistics ``(XᵀX, Xᵀy, yᵀy, n)`` per replicate."""
        w = self.used.astype(float)
        if concurrent_only:
            w = w * (~self.external)[None, :]
        xw = self.x * w[..., None]
        xtx = np.einsum("rli,rlj->rij", xw, self.x, optimize=True)
        xty = np.einsum("rli,rl->ri", xw, self.y, optimize=True)
        yty = np.einsum("rl,rl->r", w, self.y**2)
        return xtx, xty, yty, w.sum(axis=1)

    def n_concurrent_control(self) -> np.ndarray:
        """``(R,)`` concurrent control completers."""
        ctrl = self.used & (~self.external)[None, :] & (self.x[..., self.index("effect")] == 0)
        return ctrl.sum(axis=1)


def external_size(batch: TrialBatch, n_external: int | None) -> int:
    """Number of synthetic controls to use (all when ``n_external`` is None)."""
    available = 0 if batch.external_outcome is None else int(batch.external_outcome.shape[1])
    if n_external is None:
        return available
    if n_external < 0 or n_external > available:
        raise ValueError(f"n_external={n_external} but the batch holds {available} synthetic controls")
    return int(n_external)


def ancova_layout(
    batch: TrialBatch, *, prognostic: bool, n_external: int = 0,
) -> AncovaLayout:
    """Build the ANCOVA layout of ``batch`` (``n_external`` synthetic controls borrowed).

    Examples
    --------
    >>> import numpy as np
    >>> b = TrialBatch(visits_weeks=np.array([0.0, 12.0]), primary_visit=1,
    ...                arm=np.array([[0, 1]]), outcome=np.array([[[1.0, 1.1], [1.0, 1.3]]]),
    ...                prognostic_score=np.zeros((1, 2)), true_effect=0.2)
    >>> ancova_layout(b, prognostic=False).columns
    ('control_mean', 'effect', 'baseline')
    """
    change = batch.change_from_baseline()
    baseline = batch.outcome[:, :, 0]
    used = np.isfinite(change)
    arm = batch.arm.astype(float)
    score = batch.prognostic_score
    r, n = change.shape
    m = n_external
    columns = ["control_mean", "effect", "baseline"] + (["prognostic"] if prognostic else [])
    if m > 0:
        columns.append("drift")
        ext_change = batch.external_change_from_baseline()[:, :m]  # type: ignore[index]
        ext_base = batch.external_outcome[:, :m, 0]  # type: ignore[index]
        if prognostic and batch.external_prognostic_score is None:
            raise ValueError("PROCOVA with borrowing needs external_prognostic_score in the batch")
        ext_score = (
            batch.external_prognostic_score[:, :m] if prognostic else np.zeros((r, m))  # type: ignore[index]
        )
        change = np.concatenate([change, ext_change], axis=1)
        baseline = np.concatenate([baseline, ext_base], axis=1)
        used = np.concatenate([used, np.isfinite(ext_change)], axis=1)
        arm = np.concatenate([arm, np.zeros((r, m))], axis=1)
        score = np.concatenate([score, ext_score], axis=1)
    external = np.arange(n + m) >= n
    conc = used & ~external[None, :]
    count = np.maximum(conc.sum(axis=1, keepdims=True), 1)

    def centred(values: np.ndarray) -> np.ndarray:
        centre = np.where(conc, values, 0.0).sum(axis=1, keepdims=True) / count
        return np.where(used, values - centre, 0.0)

    cols = [np.ones_like(arm), arm, centred(baseline)]
    if prognostic:
        cols.append(centred(score))
    if m > 0:
        cols.append(np.broadcast_to(external.astype(float), arm.shape))
    x = np.stack(cols, axis=-1) * used[..., None]
    y = np.where(used, change, 0.0)
    return AncovaLayout(columns=tuple(columns), x=x, y=y, used=used, external=external)
