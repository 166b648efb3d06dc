"""The dashboard driven through its real widgets (Streamlit AppTest): what it shows, not just that it runs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.dashboard.conftest import array, chart, metrics, submit
import trialsim.results.run
from trialsim import Study
from trialsim.catalog import DEFAULT_STUDY

BAD_UPLOADS = [
    ("broken.yaml", b"name: x\narms: [\n", "broken.yaml: line"),
    ("hostile.yaml", b"name: !!python/object/apply:os.system ['echo pwned']\n", "YAML tag"),
    ("unknown_key.yaml", None, "unknown_key.yaml: endpoint.colour: unknown key"),
]


def _no_traceback(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert all("Traceback" not in e.value for e in at.error)


def test_shows_the_recommendation_the_public_api_computes(make_app) -> None:
    at = make_app().run(timeout=120)
    _no_traceback(at)
    shown = metrics(at)
    # the YAML on screen, run through the public API, gives the same recommendation
    study = Study.from_text(at.code[0].value, source="test", base_path=DEFAULT_STUDY)
    assert study.spec.replicates == 20
    assert study.spec.design.n_per_arm == [20, 40]
    results = study.run()
    rec = results.recommended
    if rec["found"]:
        assert shown["Recommended design"][0] == rec["design"]
        assert shown["Power (worst alternative)"][0] == f"{rec['power']:.3f}"
        assert shown["Max type I error"][0] == f"{rec['max_type1_error']:.3f}"
        saved = rec["patients_saved"]
        assert shown["Patients saved"][0] == ("—" if saved is None else str(saved))
    else:
        assert shown["Recommended design"][0] == "none in grid"
    table = results.oc
    alt = table[~table.is_null].scenario.iloc[0]
    assert shown[f"True effect ({alt})"][0] == f"{table[table.scenario == alt].true_effect.iloc[0]:.4f}"
    # the power curves plot exactly the OC table's primary power at each sample size
    fig = chart(at, "power_curves")
    first = table[(table.analysis == "primary") & (table.scenario == alt) & (table.n_synthetic == 0)].sort_values("n_total")
    plotted = [t for t in fig["data"] if t.get("name") == "primary analysis, no synthetic controls"]
    assert any(array(t["y"]) == pytest.approx(list(first.power)) for t in _all_traces(fig, "primary analysis, no synthetic controls"))
    assert plotted, "legend entry for the primary analysis is missing"


def _all_traces(fig: dict, name: str) -> list[dict]:
    """Traces with this legend group (the legend entry is shown in the first panel only)."""
    return [t for t in fig["data"] if t.get("legendgroup") == name and t.get("mode") == "lines+markers"]


def test_effect_size_moves_true_effect_and_power(make_app) -> None:
    at = make_app().run(timeout=120)
    base = metrics(at)
    submit(at, effect_multiplier=0.0)
    _no_traceback(at)
    null = metrics(at)
    assert null["True effect (expected)"][0] == "0.0000"
    assert null["Recommended design"][0] == "none in grid"
    submit(at, effect_multiplier=2.0)
    strong = metrics(at)
    assert float(strong["True effect (expected)"][0]) > float(base["True effect (expected)"][0]) > 0
    # a doubled effect reaches the target power with no more patients than the default
    assert strong["Recommended design"][0] != "none in grid"
    assert float(strong["Power (worst alternative)"][0]) >= 0.8
    # the YAML on screen carries the doubled mechanism
    shown = yaml.safe_load(at.code[0].value)
    base_shifts = Study.from_yaml(DEFAULT_STUDY).spec.treatment.symptomatic.shifts
    assert shown["treatment"]["symptomatic"]["shifts"] == pytest.approx({k: 2 * v for k, v in base_shifts.items()})


def test_replicates_change_the_monte_carlo_numbers(make_app) -> None:
    at = make_app().run(timeout=120)
    assert "20 replicates per scenario" in at.caption[0].value
    before = at.dataframe[0].value
    submit(at, replicates=40)
    assert "40 replicates per scenario" in at.caption[0].value
    after = at.dataframe[0].value
    assert list(before.design) == list(after.design)
    # success rates are now counts out of 40: some are odd multiples of 1/40, impossible with 20 replicates
    for table, r in ((before, 20), (after, 40)):
        assert ((table.power * r).round(9) % 1 == 0).all()
    assert ((after.power * 40).round().astype(int) % 2 == 1).any()
    assert not before.power.equals(after.power)


def test_settings_change_design_device_and_borrowing(make_app) -> None:
    at = make_app().run(timeout=120)
    submit(at, ratio="2:1", device="imu_ankle", borrowing="full", n_per_arm=[20, 30])
    _no_traceback(at)
    spec = yaml.safe_load(at.code[0].value)
    assert spec["design"]["allocation_ratios"] == [2.0]
    assert spec["design"]["n_per_arm"] == [20, 30]
    assert spec["arms"][1]["allocation"] == pytest.approx(2 / 3)
    assert spec["endpoint"]["device"] == "imu_ankle"
    assert spec["analysis"]["borrowing"]["method"] == "full"
    labels = set(at.dataframe[0].value.design)
    assert {"c20_t40_s0", "c30_t60_s0"} <= labels
    assert "device imu_ankle" in at.caption[0].value


def test_invalid_settings_show_one_line_errors(make_app) -> None:
    at = make_app().run(timeout=120)
    submit(at, n_per_arm=[])
    _no_traceback(at)
    assert len(at.error) == 1
    assert "dashboard settings: design.n_per_arm:" in at.error[0].value
    assert not at.metric  # nothing stale is shown under an invalid setting


@pytest.mark.parametrize(("name", "content", "expected"), BAD_UPLOADS)
def test_invalid_upload_shows_the_one_line_error(make_app, name: str, content: bytes | None, expected: str) -> None:
    if content is None:
        data = yaml.safe_load(DEFAULT_STUDY.read_text())
        data["endpoint"]["colour"] = "blue"
        content = yaml.safe_dump(data).encode()
    at = make_app().run(timeout=120)
    at.selectbox(key="base").set_value("upload a study YAML…").run()
    at.file_uploader(key="upload").set_value((name, content, "application/x-yaml")).run(timeout=120)
    _no_traceback(at)
    assert len(at.error) == 1
    assert expected in at.error[0].value
    assert "\n" not in at.error[0].value.strip("`")
    assert not at.metric


def test_valid_upload_runs(make_app, tmp_path: Path) -> None:
    data = yaml.safe_load(DEFAULT_STUDY.read_text())
    data.update({"name": "uploaded_trial", "seed": 99})
    at = make_app().run(timeout=120)
    at.selectbox(key="base").set_value("upload a study YAML…").run()
    at.file_uploader(key="upload").set_value(("mine.yaml", yaml.safe_dump(data).encode(), "application/x-yaml")).run(timeout=120)
    _no_traceback(at)
    assert "uploaded_trial" in at.caption[0].value
    assert "seed 99" in at.caption[0].value
    assert metrics(at)["Recommended design"][0]


def test_returning_to_a_setting_reuses_the_cached_run(make_app, monkeypatch) -> None:
    calls = []
    real = trialsim.results.run.run_study

    def counting(loaded, **kwargs):
        calls.append(loaded.spec.seed)
        return real(loaded, **kwargs)

    monkeypatch.setattr(trialsim.results.run, "run_study", counting)
    at = make_app().run(timeout=120)
    submit(at, seed=424242)
    first = metrics(at)
    submit(at, seed=424243)
    submit(at, seed=424242)
    assert metrics(at) == first
    assert calls.count(424242) == 1
    assert calls.count(424243) == 1


def test_two_sessions_keep_their_own_settings_and_numbers(make_app) -> None:
    a = make_app().run(timeout=120)
    b = make_app().run(timeout=120)
    submit(a, effect_multiplier=2.0)
    submit(b, effect_multiplier=0.0)
    a.run(timeout=120)
    assert metrics(b)["True effect (expected)"][0] == "0.0000"
    assert float(metrics(a)["True effect (expected)"][0]) > 0.05
    assert a.slider(key="effect_multiplier").value == 2.0
    assert b.slider(key="effect_multiplier").value == 0.0
    assert yaml.safe_load(a.code[0].value) != yaml.safe_load(b.code[0].value)
    # the app keeps no user data in module globals: a third session starts from the defaults
    c = make_app().run(timeout=120)
    assert c.slider(key="effect_multiplier").value == 1.0


def test_report_and_yaml_downloads(make_app) -> None:
    at = make_app().run(timeout=120)
    assert at.button(key="prepare_report")
    at.button(key="prepare_report").click().run(timeout=240)
    _no_traceback(at)
    html = at.session_state["report"]["html"].decode()
    assert html.lstrip().lower().startswith("<!doctype html")
    rec = metrics(at)["Recommended design"][0]
    assert rec in html
    assert "pd_gait_speed_phase2" in html
    assert any("report ready" in c.value for c in at.caption)
    # the downloadable YAML is the one on screen and re-validates to the same study
    text = at.code[0].value
    assert Study.from_text(text, source="x", base_path=DEFAULT_STUDY).spec.replicates == 20


def test_views_show_patients_controls_norms_and_gait(make_app) -> None:
    at = make_app().run(timeout=120)
    traj = chart(at, "trajectories")
    examples_n = sum(1 for t in traj["data"] if t["name"].endswith(": mean"))
    assert examples_n == 2
    controls = chart(at, "control_comparison")
    assert {t["name"].split(" (")[0] for t in controls["data"] if "mean" in t["name"]} == {"concurrent controls", "synthetic controls"}
    norms = chart(at, "speed_norms")
    assert any(t["name"] == "Bohannon 2011 women" for t in norms["data"])
    stick = chart(at, "stick_figure")
    assert len(stick["frames"]) >= 20
    assert stick["layout"]["updatemenus"][0]["buttons"][0]["args"][1]["frame"]["duration"] > 0
    assert any("Joint angles shown" in i.value for i in at.info)
    at.number_input(key="gait_patient").set_value(7).run(timeout=120)
    assert "**Patient 7**" in " ".join(m.value for m in at.markdown)


@pytest.mark.parametrize(("query", "expected"), [
    ({"replicates": "-5", "n_per_arm": "abc"},
     ["URL parameter n_per_arm=abc: 'abc' is not a whole number", "URL parameter replicates=-5: -5 is not in the range 10..5000"]),
    ({"study": "does_not_exist"}, ["URL parameter study=does_not_exist: not a shipped study (allowed: "]),
    ({"replicates": "1e9"}, ["URL parameter replicates=1e9: '1e9' is not a whole number"]),
])
def test_bad_url_parameters_are_errors_not_runs(make_app, query: dict[str, str], expected: list[str]) -> None:
    at = make_app(**query).run(timeout=120)
    _no_traceback(at)
    assert len(at.error) == 1
    shown = at.error[0].value
    for line in expected:
        assert line in shown
    # nothing ran, nothing stale or substituted is shown
    assert not at.metric
    assert not at.get("plotly_chart")
