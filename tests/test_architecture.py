"""The layout tells the flow: imports go down the layers, no cycles, small modules, a true ARCHITECTURE.md."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOOL = runpy.run_path(str(ROOT / "scripts" / "import_table.py"))
MAX_LINES = 500
MAX_APP_LINES = 300


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return TOOL["import_graph"]()


def test_every_package_has_a_layer(graph: dict[str, set[str]]) -> None:
    layers = {name for name, _ in TOOL["LAYERS"]}
    units = {TOOL["unit"](m) for m in graph if m not in TOOL["TOP"]}
    assert units <= layers, f"add to LAYERS in scripts/import_table.py: {sorted(units - layers)}"


def test_no_upward_import(graph: dict[str, set[str]]) -> None:
    assert TOOL["upward_imports"](graph) == []


def test_no_import_cycle(graph: dict[str, set[str]]) -> None:
    assert TOOL["cycles"](graph) == []


def test_checks_can_fail() -> None:
    """The checks themselves catch an upward import and a cycle."""
    fake = {"trialsim.spec.study": {"trialsim.analysis.engine"}, "trialsim.analysis.engine": {"trialsim.spec.study"}}
    assert TOOL["upward_imports"](fake) == ["trialsim.spec.study -> trialsim.analysis.engine"]
    assert TOOL["cycles"](fake) == [["trialsim.analysis.engine", "trialsim.spec.study"]]


def test_architecture_table_is_generated_from_the_code(graph: dict[str, set[str]]) -> None:
    text = (ROOT / "ARCHITECTURE.md").read_text()
    assert TOOL["table"](graph) in text, "ARCHITECTURE.md is stale: run python scripts/import_table.py"


def test_no_module_over_500_lines_and_a_small_app() -> None:
    sizes = {str(p.relative_to(ROOT)): len(p.read_text().splitlines()) for p in (ROOT / "trialsim").rglob("*.py")}
    assert {k: v for k, v in sizes.items() if v >= MAX_LINES} == {}
    assert len((ROOT / "app.py").read_text().splitlines()) < MAX_APP_LINES


def test_no_name_collisions_and_no_old_layout() -> None:
    package = ROOT / "trialsim"
    for gone in ("cli.py", "cli_generator.py", "cli_physics.py", "pipeline.py", "workflow.py", "api.py",
                 "analysis/results.py", "results/operating.py", "trial/twins.py", "utils"):
        assert not (package / gone).exists(), gone
    source = "\n".join(p.read_text() for p in package.rglob("*.py"))
    assert "_mount_optional" not in source
    assert "matplotlib.use(" not in source
    assert 'str.contains(r"\\+procova")' not in source
