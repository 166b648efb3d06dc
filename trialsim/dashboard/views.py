"""Streamlit views that only read a :class:`TrialResults`: the headline, the gait, download and cross-check tabs.

``app.py`` keeps the sidebar, the cached runs and the tab layout and calls these. The
simulator cross-check shows the report's own §6.1 frames
(:mod:`trialsim.report.crosscheck_section`), so the dashboard and the report cannot
disagree about the numbers or the flags.
"""

from __future__ import annotations

import hashlib
import tempfile

import streamlit as st

from trialsim.api.trial_results import TrialResults
from trialsim.plotting import interactive as figures
from trialsim.report.crosscheck_section import agreement, recommendations, side_by_side


def headline(results: TrialResults) -> None:
    """The recommended design, its power, type I error and patients saved, and one caption of what ran."""
    rec, spec, oc = results.recommended, results.spec, results.oc
    cols = st.columns([1.5, 1, 1, 1, 1.2])
    if rec.get("found"):
        cols[0].metric("Recommended design", str(rec["design"]), help="smallest concurrent total meeting the target power in every "
                       "alternative scenario with type I error within the bound in every null scenario")
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
    alt = oc[~oc.is_null].drop_duplicates("scenario")
    if len(alt):
        cols[4].metric(f"True effect ({alt.scenario.iloc[0]})", f"{alt.true_effect.iloc[0]:.4f}", spec.endpoint.measure, delta_color="off", delta_arrow="off")
    p = results.provenance
    st.caption(f"{spec.name} · cohort {results.baseline.attrs.get('cohort')} · device {spec.endpoint.device} · {results.summary['replicates']} replicates per "
               f"scenario × design · simulator {results.summary.get('simulator')} · seed {spec.seed} · {float(p.get('wall_time_s', 'nan')):.1f} s simulation"
               + (f" · recommended: {rec['n_control']} control + {rec['n_treatment']} treatment + {rec['n_synthetic']} synthetic, {rec['method']}" if rec.get("found") else ""))


def crosscheck_tab(results: TrialResults) -> None:
    """Both simulators side by side (the report's §6.1 tables); call only when the run has the cross-check."""
    ds = results.tree["simulator_crosscheck"].to_dataset()
    own, ref = (str(s) for s in ds.simulator.values)
    sha = ds.attrs.get("primary_checkpoint_sha256") or results.provenance.get("simulator_checkpoint_sha256", "")
    st.markdown(f"The same study — seed {ds.attrs.get('seed')}, scenarios, designs, {ds.attrs.get('replicates')} replicates, "
                f"analysis and decision rule — simulated on the **{own}** (every other tab) and on the closed-form **{ref}** "
                "simulator (a statistical model calibrated to published norms; not physics). Only the gait simulator differs.")
    st.caption(f"{own} checkpoint sha256: {sha or 'not recorded'}")
    frame, recs = side_by_side(ds), recommendations(ds)
    text, consistent = agreement(frame, recs)
    (st.success if consistent else st.warning)(text)
    st.dataframe(frame, hide_index=True, key="crosscheck_table")
    st.caption(f"Primary analysis per scenario and design. P(success) is power in alternatives and type I error in nulls; "
               f"difference = {own} − {ref}; beyond MC noise: |difference| > 1.96 × the two MC SEs combined as if independent. "
               "Each scenario's true effect is what its simulator implies, so power is compared at each simulator's own effect.")
    st.dataframe(recs, hide_index=True, key="crosscheck_recommendation")
    st.caption("Recommended design by simulator (same rule, same grid). SD of change: control-arm SD of the change at the primary visit.")


def gait_tab(results: TrialResults) -> None:
    """One baseline patient's body, speed and gait cycle (joint angles and an animated stick figure)."""
    baseline = results.baseline
    k = int(st.number_input("Virtual patient (baseline sample)", 0, baseline.sizes["patient"] - 1, 0, key="gait_patient"))
    p = {name: float(baseline[name].values[k]) for name in ("age_years", "sex", "height_m", "gait_speed_m_s", "stride_time_s", "cadence_steps_min")}
    st.markdown(f"**Patient {k}**: {p['age_years']:.0f} years, {'female' if p['sex'] > 0.5 else 'male'}, {p['height_m']:.2f} m; "
                f"baseline speed {p['gait_speed_m_s']:.2f} m/s, cadence {p['cadence_steps_min']:.0f} steps/min")
    curves, source = figures.gait_cycle_curves(height_m=p["height_m"], speed_m_s=p["gait_speed_m_s"])
    st.info(f"Joint angles shown: **{source}**. Body segments (Winter 2009 fractions of height) and stride timing are "
            "this patient's; the angles are patient-specific only when a simulation library is installed.")
    st.plotly_chart(figures.joint_angles(curves, source=source, reference=figures.reference_curves()), key="joint_angles")
    st.caption(f"Patient {k} walking (sagittal view, treadmill frame; right leg red): press ▶ play or drag the slider.")
    st.plotly_chart(figures.stick_figure(curves, height_m=p["height_m"], stride_time_s=p["stride_time_s"], speed_m_s=p["gait_speed_m_s"]), key="stick_figure")


def downloads_tab(text: str, results: TrialResults) -> None:
    """The study YAML on screen (to download and re-run) and the HTML report, rendered on request."""
    name = results.summary["study"]
    st.download_button("Download study YAML", text, file_name=f"{name}.yaml", mime="application/x-yaml", key="download_yaml", on_click="ignore")
    st.caption(f"Save it in `studies/` and run `trialsim run studies/{name}.yaml --out runs/{name}` to reproduce these numbers.")
    key = hashlib.sha256(text.encode()).hexdigest()
    if st.button("Prepare the simulation report (HTML)", key="prepare_report"):
        with st.spinner("Rendering the report…"), tempfile.TemporaryDirectory(prefix="trialsim-report-") as tmp:
            st.session_state["report"] = {"key": key, "html": results.report(format="html", directory=tmp).read_bytes()}
    report = st.session_state.get("report")
    if report and report["key"] == key:
        st.download_button("Download report.html", report["html"], file_name=f"{name}_report.html", mime="text/html", key="download_report", on_click="ignore")
        st.caption(f"report ready: {len(report['html']) / 1024:.0f} kB, figures embedded")
    st.code(text, language="yaml")
