"""The public API: :class:`Study` (what to simulate) and :class:`TrialResults` (what came out).

Examples
--------
>>> from trialsim.api import Study, TrialResults
>>> results = Study.from_yaml("studies/pd_gait_speed_phase2.yaml").replace(n_per_arm=[20, 40]).run(replicates=100)  # doctest: +SKIP
>>> results.save("runs/x"); TrialResults.open("runs/x").report(format="pdf")  # doctest: +SKIP
"""

from trialsim.api.study import Study
from trialsim.api.trial_results import TrialResults

__all__ = ["Study", "TrialResults"]
