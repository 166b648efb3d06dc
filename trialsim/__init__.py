"""trialsim: in-silico clinical trials in movement disorders, with virtual patients grounded in physics.

``from trialsim import Study, TrialResults`` is the API a statistician holds:
``Study.from_yaml(path).replace(n_per_arm=[20, 40]).run(replicates=400)`` returns
:class:`TrialResults`. ``import trialsim`` stays light: these load on first use, and
OpenSim, torch, PyMC and Streamlit load only where used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Study", "TrialResults", "__version__"]

if TYPE_CHECKING:
    from trialsim.api.study import Study
    from trialsim.api.trial_results import TrialResults


def __getattr__(name: str) -> Any:
    if name == "Study":
        from trialsim.api.study import Study

        return Study
    if name == "TrialResults":
        from trialsim.api.trial_results import TrialResults

        return TrialResults
    raise AttributeError(f"module 'trialsim' has no attribute {name!r}")
