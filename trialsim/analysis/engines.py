"""The analysis engines by name: ``fast`` (exact/Laplace, vectorised) and ``pymc`` (NUTS per replicate).

A study's ``analysis.engine`` picks one; :func:`analyze_batch` looks it up here, so the
fast engine never imports the PyMC one (and the PyMC one builds on the fast engine's
layouts and summaries).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from trialsim.analysis.batch_analysis import BatchAnalysis
from trialsim.analysis.engine import analyze_batch as analyze_batch_fast
from trialsim.analysis.engine import method_label
from trialsim.analysis.layout import external_size
from trialsim.errors import TrialsimError
from trialsim.spec.analysis import AnalysisSpec, DecisionSpec
from trialsim.trial.batch import TrialBatch

__all__ = ["ANALYSIS_ENGINES", "AnalysisEngine", "analyze_batch", "engine_named"]


class AnalysisEngine(Protocol):
    def __call__(self, batch: TrialBatch, *, analysis: AnalysisSpec, decision: DecisionSpec,
                 n_external: int | None = None, seed: int = 0) -> BatchAnalysis: ...


def _pymc(batch: TrialBatch, *, analysis: AnalysisSpec, decision: DecisionSpec,
          n_external: int | None = None, seed: int = 0) -> BatchAnalysis:
    from dataclasses import replace

    from trialsim.analysis.engine import pooled_sd
    from trialsim.analysis.pymc_engine import analyze_batch_pymc

    m = external_size(batch, n_external) if analysis.borrowing.method != "none" else 0
    result = analyze_batch_pymc(batch, analysis=analysis, decision=decision, n_external=m, seed=seed,
                                label=method_label(analysis, n_external=m))
    return replace(result, pooled_sd=pooled_sd(batch))


#: engine name → function analysing every replicate of a batch
ANALYSIS_ENGINES: dict[str, Callable[..., BatchAnalysis]] = {"fast": analyze_batch_fast, "pymc": _pymc}


def engine_named(name: str) -> Callable[..., BatchAnalysis]:
    """The engine registered as ``name``; an unknown name is a one-line error listing the allowed ones."""
    try:
        return ANALYSIS_ENGINES[name]
    except KeyError:
        raise TrialsimError(f"analysis.engine: {name!r} unknown (allowed: {', '.join(ANALYSIS_ENGINES)})") from None


def analyze_batch(
    batch: TrialBatch, *, analysis: AnalysisSpec, decision: DecisionSpec, n_external: int | None = None, seed: int = 0,
) -> BatchAnalysis:
    """Analyse and decide every replicate of ``batch`` with the engine ``analysis.engine`` names.

    Examples
    --------
    >>> from trialsim.spec.analysis import AnalysisSpec, DecisionSpec
    >>> res = analyze_batch(batch, analysis=AnalysisSpec(), decision=DecisionSpec())  # doctest: +SKIP
    """
    return engine_named(analysis.engine)(batch, analysis=analysis, decision=decision, n_external=n_external, seed=seed)
