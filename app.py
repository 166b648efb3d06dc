"""trialsim dashboard: explore a study's designs and scenarios without writing YAML.

Start it with ``trialsim dashboard`` (or ``streamlit run app.py``). A thin view: the
sidebar's values become a :class:`trialsim.Study` through ``Study.replace`` (validated
like a file; URL parameters are checked like CLI options and a bad one is shown as a
one-line error, never replaced), the run is ``Study.run`` and every figure is
``TrialResults.plot`` — the numbers ``trialsim run`` writes for the same study and seed. State is
per browser session; only ``st.cache_data`` (keyed by the study YAML) is shared. Views that only read the
results live in ``trialsim/dashboard/views.py``.
"""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path
from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from trialsim import Study, TrialResults
from trialsim.catalog import shipped_cohorts
from trialsim.dashboard import settings as S
from trialsim.dashboard import views
from trialsim.errors import SpecError, TrialsimError
from trialsim.plotting import interactive as figures
from trialsim.sensors.devices import DEVICES
from trialsim.spec.loading import MAX_YAML_BYTES
from trialsim.spec.study import SEVERITY_SPAN, SHIFTABLE


def show_errors(lines: list[str]) -> None:
    """One-line problems, as the CLI prints them (never a traceback)."""
    st.error("\n\n".join(f"`{line}`" for line in lines), icon="🚫")


def choose_base(query: S.QuerySettings) -> Study | None:
    """The study the settings start from: a shipped one or an uploaded YAML (validated, never executed)."""
    names = [p.stem for p in S.shipped_studies()] + [S.UPLOAD]
    choice = st.sidebar.selectbox("Start from", names, index=names.index(query.study), key="base")
    if choice != S.UPLOAD:
        return S.shipped_study(choice)
    upload = st.sidebar.file_uploader("Study YAML", type=["yaml", "yml"], key="upload",
                                      help="Parsed with a safe loader and validated like `trialsim validate`.")
    if upload is None:
        st.info("Upload a study YAML in the sidebar, or start from a shipped study.")
        return None
    raw = upload.getvalue()
    if len(raw) > MAX_YAML_BYTES:
        return show_errors([f"{upload.name}: {len(raw)} bytes, larger than the {MAX_YAML_BYTES}-byte limit for a study YAML"])
    try:
        return Study.from_text(raw.decode("utf-8"), source=upload.name)
    except UnicodeDecodeError as exc:
        show_errors([f"{upload.name}: not UTF-8 text (invalid byte at offset {exc.start}); save it as UTF-8"])
    except TrialsimError as exc:
        show_errors(exc.lines() if isinstance(exc, SpecError) else [str(exc)])
    return None


def reset_settings_on_new_base(study: Study) -> None:
    base_id = hashlib.sha256(study.yaml_text.encode()).hexdigest()
    if st.session_state.get("_base_id") != base_id:
        for key in [*S.SETTING_KEYS, *(k for k in st.session_state if str(k).startswith(("shift_", "severity_")))]:
            st.session_state.pop(key, None)
        st.session_state["_base_id"] = base_id


def settings_form(study: Study, query: S.QuerySettings) -> dict[str, Any]:
    """Sidebar form; values apply (and the study reruns) when the form is submitted."""
    spec, form, v = study.spec, st.sidebar.form("settings"), {}
    cohorts = [p.stem for p in shipped_cohorts()]
    current = Path(spec.cohort).stem if isinstance(spec.cohort, str) else "(inline cohort)"
    options = cohorts if current in cohorts else [current, *cohorts]
    v["cohort"] = form.selectbox("Cohort", options, index=options.index(current), key="cohort")
    form.markdown("**Treatment effect**")
    sym, dm = spec.treatment.symptomatic, spec.treatment.disease_modifying_fraction
    v["mechanism"] = form.radio("Mechanism", S.MECHANISMS, index=2 if sym and dm > 0 else (1 if dm > 0 and not sym else 0), key="mechanism")
    v["effect_multiplier"] = form.slider("Effect size (× the study's mechanism)", 0.0, 3.0, 1.0, 0.1, key="effect_multiplier",
                                         help="Scales every parameter shift, every severity shift and the disease-modifying fraction.")
    severity = dict(sym.severity_shift) if sym else {}
    v["severity_shift"] = {name: form.number_input(f"severity shift: {name} (points)", -float(SEVERITY_SPAN[name]),
                                                   float(SEVERITY_SPAN[name]), float(x), 1.0, key=f"severity_{name}",
                                                   format="%.1f")
                           for name, x in severity.items()}
    shifts = dict(sym.shifts) if sym else ({} if severity else {"neural_drive": 0.0})
    v["shifts"] = {name: form.number_input(f"shift: {name}", -2.0, 2.0, float(x), 0.01, key=f"shift_{name}", format="%.3f")
                   for name, x in shifts.items() if name in SHIFTABLE}
    v["dm_fraction"] = form.slider("Progression slowed (disease-modifying fraction)", 0.0, 1.0, float(dm or 0.3), 0.05, key="dm_fraction")
    v["responder_fraction"] = form.slider("Responder fraction", 0.0, 1.0, float(spec.treatment.responder_fraction), 0.05, key="responder_fraction")
    form.markdown("**Measurement and design**")
    devices = [name for name, d in DEVICES.items() if spec.endpoint.measure in d.measures()]
    v["device"] = form.selectbox("Device", devices, index=devices.index(spec.endpoint.device) if spec.endpoint.device in devices else 0, key="device")
    n_default = query.n_per_arm or list(spec.design.n_per_arm)
    v["n_per_arm"] = form.multiselect("Control patients per arm (grid)", sorted(set(S.N_OPTIONS) | set(n_default)), default=n_default, key="n_per_arm")
    ratio = spec.treatment_arm.allocation / spec.control_arm.allocation
    ratio_name = min(S.RATIOS, key=lambda k: abs(S.RATIOS[k] - ratio))
    v["ratio"] = form.selectbox("Allocation treatment:control", list(S.RATIOS), index=list(S.RATIOS).index(ratio_name), key="ratio")
    form.markdown("**Synthetic control arm**")
    sc, borrow = spec.synthetic_control, spec.analysis.borrowing
    v["synthetic_enabled"] = form.checkbox("Use a synthetic control arm", sc.enabled, key="synthetic_enabled")
    m_default = list(spec.design.synthetic_control_n)
    v["synthetic_n"] = form.multiselect("Synthetic controls (grid)", sorted(set(S.SYNTHETIC_OPTIONS) | set(m_default)), default=m_default, key="synthetic_n")
    v["borrowing"] = form.selectbox("Borrowing", S.BORROWING, index=S.BORROWING.index(borrow.method), key="borrowing")
    v["robust_weight"] = form.slider("Robust mixture: vague weight", 0.0, 1.0, float(borrow.robust_weight), 0.05, key="robust_weight")
    v["commensurate_sd"] = form.number_input("Commensurate SD (endpoint units)", 0.001, 10.0, float(borrow.commensurate_sd), 0.01, key="commensurate_sd", format="%.3f")
    v["drift_offset"] = form.number_input("Drift: synthetic outcome offset (endpoint units)", -5.0, 5.0, float(sc.drift.outcome_offset), 0.01, key="drift_offset", format="%.3f")
    v["drift_age"] = form.number_input("Drift: synthetic age shift (years)", -30.0, 30.0, float(sc.drift.age_shift_years), 1.0, key="drift_age")
    form.markdown("**Monte Carlo**")
    low, high = S.REPLICATES_RANGE
    v["replicates"] = form.number_input("Replicates per scenario × design", low, high, query.replicates or min(spec.replicates, S.DEFAULT_REPLICATES), 10, key="replicates")
    v["seed"] = form.number_input("Seed", 0, 2**32 - 1, spec.seed, key="seed")
    form.form_submit_button("Run simulation", type="primary", key="run")
    return v


@st.cache_data(show_spinner=False, max_entries=32)
def simulate(study_text: str, base_path: str | None, _progress: dict[str, int] | None = None) -> TrialResults:
    """``Study.run`` of the YAML on screen (cached by its text)."""
    def report(done: int, total: int) -> None:
        if _progress is not None:
            _progress.update(done=done, total=total)

    return Study.from_text(study_text, source="dashboard settings", base_path=base_path).run(
        progress=report, command="trialsim dashboard")


@st.cache_data(show_spinner=False, max_entries=64)
def scenario_examples(study_text: str, base_path: str | None, scenario: str, design: str) -> Any:
    return Study.from_text(study_text, source="dashboard settings", base_path=base_path).example_trials(scenario=scenario, design=design)


def simulate_with_progress(study_text: str, base_path: str | None) -> TrialResults:
    """``simulate`` in a worker thread while a progress bar shows its finished replicate blocks."""
    progress, outcome = {"done": 0, "total": 1}, {}

    def work() -> None:
        try:
            outcome["value"] = simulate(study_text, base_path, _progress=progress)
        except BaseException as exc:  # handed to the script thread below
            outcome["error"] = exc

    worker = threading.Thread(target=work, daemon=True)
    add_script_run_ctx(worker, get_script_run_ctx())
    started, bar = time.monotonic(), None
    worker.start()
    while worker.is_alive():
        worker.join(0.25)
        elapsed = time.monotonic() - started
        if worker.is_alive() and elapsed > 0.5:
            done, tasks = progress["done"], progress["total"]
            bar = bar or st.progress(0.0)
            bar.progress(min(done / tasks, 1.0), text=f"simulating and analysing trials: {done}/{tasks} replicate blocks · {elapsed:.0f} s"
                         if done < tasks else f"example trials and baseline cohort · {elapsed:.0f} s")
    if bar is not None:
        bar.empty()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]


def results_tabs(text: str, base_path: str | None, results: TrialResults) -> None:
    oc, plot = results.oc, results.plot
    crosscheck = results.simulator_crosscheck is not None  # a generator study, also run on the reference simulator
    tabs = st.tabs(["Power & type I error", "Effect posteriors", "Virtual patients", "Synthetic vs concurrent controls",
                    "Baseline vs norms", "Gait cycle", "Study YAML & report", *(["Simulator cross-check"] if crosscheck else [])])
    with tabs[0]:
        st.plotly_chart(plot.power(backend="plotly"), key="power_curves")
        st.caption("Bands: ± 1.96 Monte Carlo standard errors. Dashed line: target power (alternative scenarios) or the type I "
                   "error bound (null scenarios). Dotted: the frequentist reference analysis without borrowing or PROCOVA.")
        st.dataframe(oc[["analysis", "scenario", "design", "n_total", "n_synthetic", "power", "power_mc_se", "bias", "rmse",
                         "coverage", "mean_ess_borrowed", "method"]], hide_index=True, key="oc_table")
        d = results.summary.get("drift")
        if d and "drift" in results.tree.children:
            st.plotly_chart(plot.type1_vs_drift(backend="plotly"), key="drift_curves")
            st.caption(f"Type I error against drift of the synthetic controls (± {d['half_width']:g}, {d['range_source']}; "
                       f"≤ 8 borrowing designs, all in the table), same simulated patients; bars ± 1.96 MC SE.")
            st.dataframe([{"design": k, **{f"{n} ({side})": v[side] for n, v in t.items() for side in ("negative", "positive")}}
                          for k, t in d["tipping_points"].items()], hide_index=True, key="drift_tipping_points")
    with tabs[1]:
        labels, rec = list(dict.fromkeys(oc.design)), results.recommended
        design = st.selectbox("Design", labels, index=labels.index(rec["design"]) if rec.get("found") else len(labels) - 1, key="posterior_design")
        st.plotly_chart(plot.posteriors(design=design, kind="means", backend="plotly"), key="posterior_means")
        names = list(dict.fromkeys(oc.scenario))
        first_alt = next((i for i, s in enumerate(names) if not oc[oc.scenario == s].is_null.iloc[0]), 0)
        scenario = st.selectbox("Scenario", names, index=first_alt, key="posterior_scenario")
        st.plotly_chart(plot.posteriors(design=design, scenario=scenario, backend="plotly"), key="posterior_intervals")
    with tabs[2]:
        trial = st.radio("Simulated trial", list(range(results.examples.sizes["trial"])), horizontal=True, key="trajectory_trial")
        change = st.toggle("Change from baseline", True, key="trajectory_change")
        st.plotly_chart(plot.trajectories(trial=trial, change_from_baseline=change, backend="plotly"), key="trajectories")
    with tabs[3]:
        controls_tab(text, base_path, results)
    with tabs[4]:
        baseline = results.baseline
        st.plotly_chart(figures.speed_by_age_and_sex(baseline), key="speed_norms")
        st.caption(f"Lines: {figures.NORMS['bohannon_2011_comfortable_speed_m_s']['source']} — healthy adults; "
                   f"a {baseline.attrs.get('condition')} cohort is expected to sit below them.")
        st.plotly_chart(figures.spatiotemporal_vs_norms(baseline), key="spatiotemporal_norms")
        st.caption(f"Orange: mean ± SD of {figures.NORMS['bovi_2011_adults']['source']}.")
    with tabs[5]:
        views.gait_tab(results)
    with tabs[6]:
        views.downloads_tab(text, results)
    if crosscheck:
        with tabs[7]:
            views.crosscheck_tab(results)


def controls_tab(text: str, base_path: str | None, results: TrialResults) -> None:
    oc, rec = results.oc, results.recommended
    synthetic = list(dict.fromkeys(oc[oc.n_synthetic > 0].design))
    if not synthetic:
        st.info("This study has no synthetic control arm: tick “Use a synthetic control arm” in the sidebar to compare.")
        return
    design = st.selectbox("Design with synthetic controls", synthetic, index=synthetic.index(rec["design"]) if rec.get("design") in synthetic else len(synthetic) - 1, key="controls_design")
    names = list(dict.fromkeys(oc.scenario))
    drifting = next((s for s in names if (oc[oc.scenario == s].drift_outcome_offset != 0).any()), names[0])
    scenario = st.selectbox("Scenario", names, index=names.index(drifting), key="controls_scenario")
    with st.spinner("Simulating example trials…"):
        examples = scenario_examples(text, base_path, scenario, design)
    st.plotly_chart(figures.control_comparison(examples, trial=0), key="control_comparison")
    rows = oc[(oc.analysis == "primary") & (oc.design == design)]
    st.dataframe(rows[["scenario", "scenario_kind", "power", "type1_error", "bias", "rmse", "coverage", "mean_ess_borrowed"]],
                 hide_index=True, key="controls_table")
    st.caption("Drift scenarios shift the synthetic controls' outcome (or age); the borrowing method decides how much of "
               "that reaches the estimate (bias) and the decision (type I error).")


def main() -> None:
    st.set_page_config(page_title="trialsim dashboard", layout="wide")
    st.title("trialsim · in-silico trial designer")
    query, problems = S.parse_query({k: st.query_params[k] for k in st.query_params})
    if problems:
        show_errors(problems)
        return
    base = choose_base(query)
    if base is None:
        return
    reset_settings_on_new_base(base)
    values = settings_form(base, query)
    base_path = S.base_path_of(base)
    try:
        current = S.with_settings(base, values)
        results = simulate_with_progress(current.yaml_text, base_path)
    except TrialsimError as exc:
        return show_errors(exc.lines() if isinstance(exc, SpecError) else [str(exc)])
    views.headline(results)
    results_tabs(current.yaml_text, base_path, results)


main()
