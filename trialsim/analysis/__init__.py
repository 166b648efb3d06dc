"""Analysis of simulated trials: Bayesian and frequentist models, borrowing, OCs, design search.

The fast engine (:func:`analyze_batch`) computes exact conjugate (ANCOVA) or
Laplace/GLS (MMRM) posteriors vectorised over replicates; PyMC models of the same
models (:mod:`trialsim.analysis.pymc_models`) verify it. PyMC, ArviZ and statsmodels
are imported only inside the functions that need them.
"""

from trialsim.analysis.batch_analysis import BatchAnalysis
from trialsim.analysis.closed_form import (
    closed_form_assurance,
    closed_form_n_per_arm,
    closed_form_power,
)
from trialsim.analysis.design_search import search_designs
from trialsim.analysis.engines import analyze_batch
from trialsim.analysis.frequentist import frequentist_ancova, frequentist_mmrm
from trialsim.analysis.operating import assurance, operating_characteristics
from trialsim.analysis.pymc_models import (
    build_ancova_model,
    build_borrowing_model,
    build_mmrm_model,
)

__all__ = [
    "BatchAnalysis",
    "analyze_batch",
    "assurance",
    "build_ancova_model",
    "build_borrowing_model",
    "build_mmrm_model",
    "closed_form_assurance",
    "closed_form_n_per_arm",
    "closed_form_power",
    "frequentist_ancova",
    "frequentist_mmrm",
    "operating_characteristics",
    "search_designs",
]
