"""``results.plot``: typed, keyword-only figures of a run, fresh or reopened from disk.

Each method prepares its data once (:mod:`.prepare`) and renders it with matplotlib
(``backend="matplotlib"``, the default; what the report embeds) or plotly
(``backend="plotly"``; what the dashboard shows). Everything comes from the results
tree, so ``TrialResults.open(dir).plot.power()`` draws exactly what the run drew.

Examples
--------
>>> fig = results.plot.power(scenario="expected")  # doctest: +SKIP
>>> fig = results.plot.type1_vs_drift(backend="plotly")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any, Literal

import xarray as xr
import yaml

from trialsim.plotting import prepare
from trialsim.spec.study import StudySpec

Backend = Literal["matplotlib", "plotly"]


def _render(name: str, data: object, backend: Backend) -> Any:
    if backend == "matplotlib":
        from trialsim.plotting import static

        return getattr(static, name)(data)
    if backend == "plotly":
        from trialsim.plotting import interactive_results

        return getattr(interactive_results, name)(data)
    from trialsim.errors import TrialsimError

    raise TrialsimError(f"backend: {backend!r} unknown (allowed: matplotlib, plotly)")


class ResultPlots:
    """Figures of one results tree (returned by :attr:`TrialResults.plot`)."""

    def __init__(self, tree: xr.DataTree, summary: dict[str, Any]) -> None:
        self._tree, self._summary = tree, summary

    @cached_property
    def _spec(self) -> StudySpec:
        return StudySpec.model_validate(yaml.safe_load(str(self._tree.attrs["study_yaml"])))

    @property
    def _highlight(self) -> str:
        return prepare.recommended_or_largest(self._tree, self._summary)

    def power(self, *, scenario: str | Sequence[str] | None = None, design: str | None = None,
              backend: Backend = "matplotlib") -> Any:
        """P(success) against concurrent sample size, one panel per scenario (default: those without drift).

        ``design`` is circled on the curves (default: the recommended design). In null
        scenarios the rate is the type I error; the dashed line is the bound, else the
        target power. Bands: ± 1.96 Monte Carlo SE.
        """
        d = self._spec.design
        data = prepare.power_data(self._tree, scenario=scenario, design=design or self._highlight,
                                  target_power=d.target_power, max_type1_error=self._spec.type1_budget)
        return _render("power", data, backend)

    def type1_vs_drift(self, *, designs: Sequence[str] | None = None, backend: Backend = "matplotlib") -> Any:
        """Type I error against the synthetic controls' drift (≤ 8 designs; default: evenly chosen
        borrowing designs, the recommended one included), y-axis scaled to the data."""
        data = prepare.type1_drift_data(self._tree, designs=designs, highlight=self._highlight,
                                        max_type1_error=self._spec.type1_budget)
        return _render("type1_vs_drift", data, backend)

    def posteriors(self, *, design: str | None = None, scenario: str | None = None,
                   analysis: Literal["primary", "reference"] = "primary",
                   kind: Literal["intervals", "means"] = "intervals", backend: Backend = "matplotlib") -> Any:
        """Posterior summaries of every simulated trial: ``intervals`` (each replicate's 95 % interval,
        by decision, in one scenario) or ``means`` (posterior means across scenarios; plotly)."""
        data = prepare.posterior_data(self._tree, design=design or self._highlight, scenario=scenario,
                                      analysis=analysis, threshold=self._spec.decision.threshold)
        if kind == "means":
            from trialsim.plotting import interactive_results

            return interactive_results.posterior_means(data)
        return _render("posteriors", data, backend)

    def trajectories(self, *, trial: int = 0, change_from_baseline: bool = True, backend: Backend = "matplotlib") -> Any:
        """Each virtual patient's endpoint over the visits in one example trial, by arm, with arm means."""
        data = prepare.trajectory_data(self._tree["examples"].to_dataset(), trial=trial,
                                       change_from_baseline=change_from_baseline)
        return _render("trajectories", data, backend)

    def example_posteriors(self, *, var_names: Sequence[str] = ("effect",)) -> Any:
        """ArviZ posterior plots of the example trials' NUTS fits (matplotlib), from the stored draws.

        Needs a run with ``example_posteriors=True`` (``trialsim run --example-posteriors``).
        """
        from trialsim.plotting.static import arviz_posteriors

        if "posteriors" not in self._tree.children:
            from trialsim.errors import TrialsimError

            raise TrialsimError("example_posteriors: these results hold no NUTS fits of example trials; "
                                "run with Study.run(example_posteriors=True) or trialsim run --example-posteriors")
        return arviz_posteriors(self._tree["posteriors"].to_dataset(), var_names=var_names,
                                threshold=self._spec.decision.threshold)
