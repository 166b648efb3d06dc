"""trialsim dashboard: explore a study's designs and scenarios without writing YAML.

Start it with ``trialsim dashboard`` (or ``streamlit run app.py``). The sidebar turns
widgets into a study YAML, validated exactly as the CLI validates files; every number
shown comes from the public API (:mod:`trialsim.api`) and every figure from
:mod:`trialsim.plotting.interactive`. This file computes nothing itself.

State is per browser session (widget values and ``st.session_state``); the only thing
shared between sessions is ``st.cache_data``, keyed by the study YAML text, so the
same settings give the same numbers and going back to a setting is instant.
"""

from __future__ import annotations

import hashlib
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import streamlit as st
import yaml
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from trialsim import api
from trialsim.catalog import DEFAULT_STUDY
from trialsim.errors import SpecError, TrialsimError
from trialsim.plotting import interactive as figures
from trialsim.spec.loading import MAX_YAML_BYTES
from trialsim.spec.study import SHIFTABLE

UPLOAD = "upload a study YAML…"
DEFAULT_REPLICATES = 50
N_OPTIONS = [10, 15, 20, 25, 30, 40, 50, 60, 80, 100, 120, 150, 200, 300]
SYNTHETIC_OPTIONS = [0, 25, 50, 100, 200, 400]
RATIOS = {"1:1": 1.0, "3:2": 1.5, "2:1": 2.0, "3:1": 3.0, "1:2": 0.5}
MECHANISMS = ["symptomatic", "disease-modifying", "symptomatic + disease-modifying"]
BORROWING = ["none", "robust_mixture", "commensurate", "full"]
#: widget keys reset whenever the base study changes (so their defaults follow it)
SETTING_KEYS = ("cohort", "mechanism", "effect_multiplier", "dm_fraction", "responder_fraction", "device",
                "n_per_arm", "ratio", "synthetic_enabled", "synthetic_n", "borrowing", "robust_weight",
                "commensurate_sd", "drift_offset", "drift_age", "replicates", "seed")


def show_errors(lines: list[str]) -> None:
    """One-line problems, as the CLI prints them (never a traceback)."""
    st.error("\n\n".join(f"`{line}`" for line in lines), icon="🚫")


# --------------------------------------------------------------------------- base study


def choose_base() -> tuple[Any, Path | None] | None:
    """The study the settings start from: a shipped one or an uploaded YAML (validated, never executed)."""
    studies = {p.stem: p for p in api.shipped_studies()}
    names = [*studies, UPLOAD]
    wanted = st.query_params.get("study", DEFAULT_STUDY.stem)
    choice = st.sidebar.selectbox("Start from", names, index=names.index(wanted) if wanted in names else 0, key="base")
    if choice != UPLOAD:
        path = studies[choice]
        return api.load_study(path), path
    upload = st.sidebar.file_uploader("Study YAML", type=["yaml", "yml"], key="upload",
                                      help="Parsed with a safe loader and validated like `trialsim validate`; "
                                           "a cohort is named by a shipped cohort file (../cohorts/NAME.yaml) or given inline.")
    if upload is None:
        st.info("Upload a study YAML in the sidebar, or start from a shipped study.")
        return None
    raw = upload.getvalue()
    if len(raw) > MAX_YAML_BYTES:
        show_errors([f"{upload.name}: {len(raw)} bytes, larger than the {MAX_YAML_BYTES}-byte limit for a study YAML"])
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        show_errors([f"{upload.name}: not UTF-8 text (invalid byte at offset {exc.start}); save it as UTF-8"])
        return None
    try:
        return api.study_from_text(text, source=upload.name), None
    except SpecError as exc:
        show_errors(exc.lines())
    except TrialsimError as exc:
        show_errors([str(exc)])
    return None


def reset_settings_on_new_base(loaded: Any) -> None:
    base_id = hashlib.sha256(loaded.yaml_text.encode()).hexdigest()
    if st.session_state.get("_base_id") != base_id:
        for key in [*SETTING_KEYS, *(k for k in st.session_state if str(k).startswith("shift_"))]:
            st.session_state.pop(key, None)
        st.session_state["_base_id"] = base_id


# --------------------------------------------------------------------------- settings → YAML


def _query_ints(name: str) -> list[int] | None:
    try:
        values = [int(v) for v in str(st.query_params.get(name, "")).split(",") if v.strip()]
    except ValueError:
        return None
    return values or None


def settings_form(loaded: Any) -> dict[str, Any]:
    """Sidebar form; values apply (and the study reruns) when the form is submitted."""
    spec = loaded.spec
    form = st.sidebar.form("settings")
    values: dict[str, Any] = {}
    cohorts = [p.stem for p in api.shipped_cohorts()]
    current = Path(spec.cohort).stem if isinstance(spec.cohort, str) else "(inline cohort)"
    options = cohorts if current in cohorts else [current, *cohorts]
    values["cohort"] = form.selectbox("Cohort", options, index=options.index(current), key="cohort")

    form.markdown("**Treatment effect**")
    sym = spec.treatment.symptomatic
    dm = spec.treatment.disease_modifying_fraction
    mech_default = 2 if sym and dm > 0 else (1 if dm > 0 and not sym else 0)
    values["mechanism"] = form.radio("Mechanism", MECHANISMS, index=mech_default, key="mechanism")
    values["effect_multiplier"] = form.slider("Effect size (× the study's mechanism)", 0.0, 3.0, 1.0, 0.1, key="effect_multiplier",
                                              help="Scales every parameter shift and the disease-modifying fraction.")
    base_shifts = dict(sym.shifts) if sym else {"neural_drive": 0.0}
    values["shifts"] = {
        name: form.number_input(f"shift: {name}", -2.0, 2.0, float(shift), 0.01, key=f"shift_{name}", format="%.3f")
        for name, shift in base_shifts.items() if name in SHIFTABLE
    }
    values["dm_fraction"] = form.slider("Progression slowed (disease-modifying fraction)", 0.0, 1.0, float(dm or 0.3), 0.05, key="dm_fraction")
    values["responder_fraction"] = form.slider("Responder fraction", 0.0, 1.0, float(spec.treatment.responder_fraction), 0.05, key="responder_fraction")

    form.markdown("**Measurement and design**")
    devices = [name for name, d in api.DEVICES.items() if spec.endpoint.measure in d.measures()]
    values["device"] = form.selectbox("Device", devices, index=devices.index(spec.endpoint.device) if spec.endpoint.device in devices else 0, key="device")
    n_default = _query_ints("n_per_arm") or list(spec.design.n_per_arm)
    values["n_per_arm"] = form.multiselect("Control patients per arm (grid)", sorted(set(N_OPTIONS) | set(n_default)), default=n_default, key="n_per_arm")
    ratio = spec.treatment_arm.allocation / spec.control_arm.allocation
    ratio_name = min(RATIOS, key=lambda k: abs(RATIOS[k] - ratio))
    values["ratio"] = form.selectbox("Allocation treatment:control", list(RATIOS), index=list(RATIOS).index(ratio_name), key="ratio")

    form.markdown("**Synthetic control arm**")
    sc = spec.synthetic_control
    values["synthetic_enabled"] = form.checkbox("Use a synthetic control arm", sc.enabled, key="synthetic_enabled")
    m_default = list(spec.design.synthetic_control_n)
    values["synthetic_n"] = form.multiselect("Synthetic controls (grid)", sorted(set(SYNTHETIC_OPTIONS) | set(m_default)), default=m_default, key="synthetic_n")
    borrow = spec.analysis.borrowing
    values["borrowing"] = form.selectbox("Borrowing", BORROWING, index=BORROWING.index(borrow.method), key="borrowing")
    values["robust_weight"] = form.slider("Robust mixture: vague weight", 0.0, 1.0, float(borrow.robust_weight), 0.05, key="robust_weight")
    values["commensurate_sd"] = form.number_input("Commensurate SD (endpoint units)", 0.001, 10.0, float(borrow.commensurate_sd), 0.01, key="commensurate_sd", format="%.3f")
    values["drift_offset"] = form.number_input("Drift: synthetic outcome offset (endpoint units)", -5.0, 5.0, float(sc.drift.outcome_offset), 0.01, key="drift_offset", format="%.3f")
    values["drift_age"] = form.number_input("Drift: synthetic age shift (years)", -30.0, 30.0, float(sc.drift.age_shift_years), 1.0, key="drift_age")

    form.markdown("**Monte Carlo**")
    wanted = _query_ints("replicates")
    values["replicates"] = form.number_input("Replicates per scenario × design", 10, 5000, min(max(wanted[0], 10), 5000) if wanted else min(spec.replicates, DEFAULT_REPLICATES), 10, key="replicates")
    values["seed"] = form.number_input("Seed", 0, 2**32 - 1, spec.seed, key="seed")
    form.form_submit_button("Run simulation", type="primary", key="run")
    return values


def study_yaml(loaded: Any, values: dict[str, Any]) -> str:
    """The study YAML the settings describe (the base study's YAML with the settings applied)."""
    d = yaml.safe_load(loaded.yaml_text)
    if values["cohort"] != "(inline cohort)":
        d["cohort"] = f"../cohorts/{values['cohort']}.yaml"
    mult, mech = values["effect_multiplier"], values["mechanism"]
    treatment = dict(d.get("treatment") or {})
    if mech != "disease-modifying":
        sym = dict(treatment.get("symptomatic") or {})
        sym["shifts"] = {k: round(v * mult, 6) for k, v in values["shifts"].items()}
        treatment["symptomatic"] = sym
    else:
        treatment.pop("symptomatic", None)
    treatment["disease_modifying_fraction"] = min(1.0, round(values["dm_fraction"] * mult, 6)) if mech != "symptomatic" else 0.0
    treatment["responder_fraction"] = values["responder_fraction"]
    d["treatment"] = treatment
    d.setdefault("endpoint", {})["device"] = values["device"]
    ratio = RATIOS[values["ratio"]]
    for arm in d["arms"]:
        arm["allocation"] = round((ratio if arm["role"] == "treatment" else 1.0) / (1.0 + ratio), 10)
    design = dict(d.get("design") or {})
    design.update({"n_per_arm": sorted(values["n_per_arm"]), "allocation_ratios": [ratio],
                   "synthetic_control_n": sorted(values["synthetic_n"]) or [0]})
    d["design"] = design
    enabled = values["synthetic_enabled"]
    d["synthetic_control"] = {"enabled": enabled, "drift": {"age_shift_years": values["drift_age"], "outcome_offset": values["drift_offset"]}}
    analysis = dict(d.get("analysis") or {})
    borrowing = dict(analysis.get("borrowing") or {})
    borrowing.update({"method": values["borrowing"] if enabled else "none", "robust_weight": values["robust_weight"],
                      "commensurate_sd": values["commensurate_sd"]})
    analysis["borrowing"] = borrowing
    d["analysis"] = analysis
    d["replicates"] = int(values["replicates"])
    d["seed"] = int(values["seed"])
    return yaml.safe_dump(d, sort_keys=False, allow_unicode=True)


# --------------------------------------------------------------------------- running (cached by the YAML text)


def _load(study_text: str, base_path: str | None) -> Any:
    return api.study_from_text(study_text, source="dashboard settings", base_path=Path(base_path) if base_path else None)


@st.cache_data(show_spinner=False, max_entries=32)
def simulate(study_text: str, base_path: str | None, _progress: dict[str, int] | None = None) -> dict[str, Any]:
    """Run the study and the patient-level views the dashboard shows (the same ones ``trialsim run`` writes)."""
    loaded = _load(study_text, base_path)

    def report(done: int, total: int) -> None:
        if _progress is not None:
            _progress.update(done=done, total=total)

    run = api.run_study(loaded, quiet=True, on_progress=report)
    tree, summary = api.assemble_results(run, command="trialsim dashboard")
    return {
        "run": run, "table": api.oc_table(run), "recommended": summary["recommended_design"],
        "examples": tree["examples"].to_dataset(), "baseline": tree["baseline"].to_dataset(),
        "tree": tree, "summary": summary,
    }


@st.cache_data(show_spinner=False, max_entries=64)
def scenario_examples(study_text: str, base_path: str | None, scenario: str, design: str, effect: float) -> Any:
    loaded = _load(study_text, base_path)
    spec = next(s for s in loaded.spec.scenarios if s.name == scenario)
    chosen = next(d for d in api.candidate_designs(loaded.spec) if d.label == design)
    return api.example_trials(loaded, scenario=spec, design=chosen, simulator=api.select_simulator(loaded.spec.simulator), effect=effect)


def simulate_with_progress(study_text: str, base_path: str | None, loaded: Any) -> dict[str, Any]:
    """``simulate`` in a worker thread while a progress bar shows its finished replicate blocks."""
    progress = {"done": 0, "total": 1}
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["value"] = simulate(study_text, base_path, _progress=progress)
        except BaseException as exc:  # handed to the script thread below
            outcome["error"] = exc

    worker = threading.Thread(target=work, daemon=True)
    add_script_run_ctx(worker, get_script_run_ctx())
    started = time.monotonic()
    worker.start()
    bar = None
    while worker.is_alive():
        worker.join(0.25)
        elapsed = time.monotonic() - started
        if worker.is_alive() and elapsed > 0.5:
            done, tasks = progress["done"], progress["total"]
            bar = bar or st.progress(0.0)
            text = (f"simulating and analysing trials: {done}/{tasks} replicate blocks · {elapsed:.0f} s"
                    if done < tasks else f"example trials and baseline cohort · {elapsed:.0f} s")
            bar.progress(min(done / tasks, 1.0), text=text)
    if bar is not None:
        bar.empty()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]


def report_html(study_text: str, base_path: str | None, result: dict[str, Any]) -> bytes:
    """The simulation report of what is on screen (same renderer as ``trialsim run``)."""
    tree, summary = result["tree"], result["summary"]
    with tempfile.TemporaryDirectory(prefix="trialsim-report-") as tmp:
        return Path(api.render_html(Path(tmp), tree=tree, summary=summary)).read_bytes()


# --------------------------------------------------------------------------- views


def headline(result: dict[str, Any]) -> None:
    run, rec = result["run"], result["recommended"]
    spec = run.loaded.spec
    unit = spec.endpoint.measure
    cols = st.columns([1.5, 1, 1, 1, 1.2])
    if rec.get("found"):
        cols[0].metric("Recommended design", str(rec["design"]),
                       help="smallest concurrent total meeting the target power in every alternative scenario "
                            "with type I error within the bound in every null scenario")
        cols[1].metric("Power (worst alternative)", f"{rec['power']:.3f}", f"± {rec['power_mc_se']:.3f} MC SE", delta_color="off", delta_arrow="off")
        cols[2].metric("Max type I error", f"{rec['max_type1_error']:.3f}", f"bound {spec.type1_budget:g}", delta_color="off", delta_arrow="off")
        saved = rec.get("patients_saved") if rec.get("saves_patients") else 0
        cols[3].metric("Patients saved", str(saved), f"vs conventional {rec['conventional_n_total']} (closed form)", delta_color="off", delta_arrow="off")
        if not rec.get("saves_patients"):
            st.info(f"No candidate design saves patients: recommended is the conventional 1:1 trial, "
                    f"{rec.get('conventional_n_per_arm')} per arm. {rec.get('statement')}")
        elif (rec.get("uncertainty") or {}).get("choice_uncertain"):
            st.warning(f"The choice is uncertain: {rec['statement']}")
    else:
        cols[0].metric("Recommended design", "none in grid")
        st.warning(str(rec.get("reason")))
    alt = next((s for s in run.scenarios if not s.is_null), None)
    if alt is not None:
        cols[4].metric(f"True effect ({alt.name})", f"{run.true_effects[alt.name]:.4f}", unit, delta_color="off", delta_arrow="off")
    st.caption(
        f"{spec.name} · cohort {run.loaded.cohort.name} · device {spec.endpoint.device} · {run.replicates} replicates per "
        f"scenario × design · simulator {run.simulator_provenance.get('simulator')} · seed {spec.seed} · "
        f"{run.wall_time_s:.1f} s simulation" + (f" · recommended: {rec['n_control']} control + {rec['n_treatment']} treatment"
                                                  f" + {rec['n_synthetic']} synthetic, {rec['method']}" if rec.get("found") else "")
    )


def power_tab(result: dict[str, Any]) -> None:
    table, spec = result["table"], result["run"].loaded.spec
    st.plotly_chart(figures.power_curves(table, target_power=spec.design.target_power, max_type1_error=spec.type1_budget),
                    key="power_curves")
    st.caption("Bands: ± 1.96 Monte Carlo standard errors. Dashed line: target power (alternative scenarios) or the type I "
               "error bound (null scenarios). Dotted: the frequentist reference analysis without borrowing or PROCOVA.")
    columns = ["analysis", "scenario", "design", "n_total", "n_synthetic", "power", "power_mc_se", "bias", "rmse",
               "coverage", "mean_ess_borrowed", "method"]
    st.dataframe(table[columns], hide_index=True, key="oc_table")
    tree, summary = result.get("tree"), result.get("summary") or {}
    if tree is not None and "drift" in tree.children and summary.get("drift"):
        d, rec = summary["drift"], result["recommended"]
        st.plotly_chart(figures.drift_curves(tree["drift"].to_dataset(), budget=d["type1_budget"], target_power=d["target_power"],
                                             highlight=rec.get("design") if rec.get("n_synthetic") else None), key="drift_curves")
        st.caption(f"Type I error and power of every borrowing design against drift of the synthetic controls "
                   f"(± {d['half_width']:g}, {d['range_source']}), same simulated patients; bands ± 1.96 MC SE; dotted: "
                   f"budget {d['type1_budget']:g} / target power, dashed: 2 × budget.")
        tips = [{"design": k, **{f"{name} ({side})": v[side] for name, v in t.items() for side in ("negative", "positive")}}
                for k, t in d["tipping_points"].items()]
        st.dataframe(tips, hide_index=True, key="drift_tipping_points")


def design_picker(result: dict[str, Any], key: str) -> int:
    run, rec = result["run"], result["recommended"]
    labels = [d.label for d in run.designs]
    default = labels.index(rec["design"]) if rec.get("found") else len(labels) - 1
    return labels.index(st.selectbox("Design", labels, index=default, key=key))


def posterior_tab(result: dict[str, Any]) -> None:
    run = result["run"]
    d = design_picker(result, "posterior_design")
    names = [s.name for s in run.scenarios]
    st.plotly_chart(figures.posterior_means(run.per_replicate, scenarios=names, design_index=d, true_effects=run.true_effects),
                    key="posterior_means")
    s = names.index(st.selectbox("Scenario", names, index=next((i for i, x in enumerate(run.scenarios) if not x.is_null), 0),
                                 key="posterior_scenario"))
    st.plotly_chart(figures.posterior_intervals(run.per_replicate, scenario_index=s, design_index=d,
                                                true_effect=run.true_effects[names[s]], threshold=run.loaded.spec.decision.threshold),
                    key="posterior_intervals")


def patients_tab(result: dict[str, Any]) -> None:
    examples = result["examples"]
    trial = st.radio("Simulated trial", list(range(examples.sizes["trial"])), horizontal=True, key="trajectory_trial")
    change = st.toggle("Change from baseline", True, key="trajectory_change")
    st.plotly_chart(figures.trajectories(examples, trial=trial, change_from_baseline=change), key="trajectories")


def controls_tab(study_text: str, base_path: str | None, result: dict[str, Any]) -> None:
    run, table, rec = result["run"], result["table"], result["recommended"]
    synthetic = [d for d in run.designs if d.n_synthetic > 0]
    if not synthetic:
        st.info("This study has no synthetic control arm: tick “Use a synthetic control arm” in the sidebar to compare.")
        return
    same_size = [d for d in synthetic if rec.get("found") and d.n_control == rec["n_control"] and d.n_treatment == rec["n_treatment"]]
    labels = [d.label for d in synthetic]
    default = rec["design"] if rec.get("design") in labels else (same_size or synthetic)[-1].label
    design = st.selectbox("Design with synthetic controls", labels, index=labels.index(default), key="controls_design")
    names = [s.name for s in run.scenarios]
    drifting = next((s.name for s in run.scenarios if s.drift is not None), names[0])
    scenario = st.selectbox("Scenario", names, index=names.index(drifting), key="controls_scenario")
    with st.spinner("Simulating example trials…"):
        examples = scenario_examples(study_text, base_path, scenario, design, run.true_effects[scenario])
    st.plotly_chart(figures.control_comparison(examples, trial=0), key="control_comparison")
    rows = table[(table.analysis == "primary") & (table.design == design)]
    st.dataframe(rows[["scenario", "scenario_kind", "power", "type1_error", "bias", "rmse", "coverage", "mean_ess_borrowed"]],
                 hide_index=True, key="controls_table")
    st.caption("Drift scenarios shift the synthetic controls' outcome (or age); the borrowing method decides how much of "
               "that reaches the estimate (bias) and the decision (type I error).")


def baseline_tab(result: dict[str, Any]) -> None:
    baseline = result["baseline"]
    st.plotly_chart(figures.speed_by_age_and_sex(baseline), key="speed_norms")
    st.caption(f"Lines: {figures.NORMS['bohannon_2011_comfortable_speed_m_s']['source']} — healthy adults; "
               f"a {baseline.attrs.get('condition')} cohort is expected to sit below them.")
    st.plotly_chart(figures.spatiotemporal_vs_norms(baseline), key="spatiotemporal_norms")
    st.caption(f"Orange: mean ± SD of {figures.NORMS['bovi_2011_adults']['source']}.")


def gait_tab(result: dict[str, Any]) -> None:
    baseline = result["baseline"]
    n = baseline.sizes["patient"]
    k = int(st.number_input("Virtual patient (baseline sample)", 0, n - 1, 0, key="gait_patient"))
    p = {name: float(baseline[name].values[k]) for name in ("age_years", "sex", "height_m", "gait_speed_m_s", "stride_time_s", "cadence_steps_min")}
    st.markdown(f"**Patient {k}**: {p['age_years']:.0f} years, {'female' if p['sex'] > 0.5 else 'male'}, {p['height_m']:.2f} m; "
                f"baseline speed {p['gait_speed_m_s']:.2f} m/s, cadence {p['cadence_steps_min']:.0f} steps/min")
    curves, source = figures.gait_cycle_curves(height_m=p["height_m"], speed_m_s=p["gait_speed_m_s"])
    st.info(f"Joint angles shown: **{source}**. Body segments (Winter 2009 fractions of height) and stride timing are "
            "this patient's; the angles are patient-specific only when a simulation library is installed.")
    st.plotly_chart(figures.joint_angles(curves, source=source, reference=figures.reference_curves()), key="joint_angles")
    st.caption(f"Patient {k} walking (sagittal view, treadmill frame; right leg red): press ▶ play or drag the slider.")
    st.plotly_chart(figures.stick_figure(curves, height_m=p["height_m"], stride_time_s=p["stride_time_s"], speed_m_s=p["gait_speed_m_s"]),
                    key="stick_figure")


def downloads_tab(study_text: str, base_path: str | None, result: dict[str, Any]) -> None:
    name = result["run"].loaded.spec.name
    st.download_button("Download study YAML", study_text, file_name=f"{name}.yaml", mime="application/x-yaml", key="download_yaml",
                       on_click="ignore")
    st.caption(f"Save it in `studies/` and run `trialsim run studies/{name}.yaml --out runs/{name}` to reproduce these numbers.")
    key = hashlib.sha256(study_text.encode()).hexdigest()
    if st.button("Prepare the simulation report (HTML)", key="prepare_report"):
        with st.spinner("Rendering the report…"):
            st.session_state["report"] = {"key": key, "html": report_html(study_text, base_path, result)}
    report = st.session_state.get("report")
    if report and report["key"] == key:
        st.download_button("Download report.html", report["html"], file_name=f"{name}_report.html", mime="text/html",
                           key="download_report", on_click="ignore")
        st.caption(f"report ready: {len(report['html']) / 1024:.0f} kB, figures embedded")
    st.code(study_text, language="yaml")


def main() -> None:
    st.set_page_config(page_title="trialsim dashboard", layout="wide")
    st.title("trialsim · in-silico trial designer")
    base = choose_base()
    if base is None:
        return
    loaded, path = base
    reset_settings_on_new_base(loaded)
    values = settings_form(loaded)
    text = study_yaml(loaded, values)
    base_path = str(path) if path else None
    try:
        current = _load(text, base_path)
    except SpecError as exc:
        show_errors(exc.lines())
        return
    try:
        result = simulate_with_progress(text, base_path, current)
    except TrialsimError as exc:
        show_errors([str(exc)])
        return
    headline(result)
    tabs = st.tabs(["Power & type I error", "Effect posteriors", "Virtual patients", "Synthetic vs concurrent controls",
                    "Baseline vs norms", "Gait cycle", "Study YAML & report"])
    with tabs[0]:
        power_tab(result)
    with tabs[1]:
        posterior_tab(result)
    with tabs[2]:
        patients_tab(result)
    with tabs[3]:
        controls_tab(text, base_path, result)
    with tabs[4]:
        baseline_tab(result)
    with tabs[5]:
        gait_tab(result)
    with tabs[6]:
        downloads_tab(text, base_path, result)


main()
