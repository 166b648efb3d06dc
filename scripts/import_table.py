"""The package's real import graph: layer order, upward imports, cycles, and ARCHITECTURE.md's table.

``python scripts/import_table.py`` rewrites the table between the markers in
ARCHITECTURE.md from the code; ``tests/test_architecture.py`` fails when the table is
stale, when a module imports from a higher layer, or when modules import each other in
a cycle (imports inside functions count: a lazy import is still a dependency).
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "trialsim"
ARCHITECTURE = ROOT / "ARCHITECTURE.md"
BEGIN, END = "<!-- import-table:begin -->", "<!-- import-table:end -->"

#: bottom to top: a unit may import only units listed before it (and itself)
LAYERS: list[tuple[str, str]] = [
    ("errors", "`TrialsimError` tree; the CLI prints its one line and exits 2"),
    ("seeding", "named random streams (`stream(seed, *name)`)"),
    ("execution", "`run_tasks`: serial or Dask, atomic per-task checkpoints (used by the library build and study runs)"),
    ("catalog", "where the shipped `studies/` and `cohorts/` are"),
    ("physiology", "parameter registry; covariates + disease → musculoskeletal parameters; progression"),
    ("spec", "pydantic models of study/cohort YAML, safe bounded loading, one-line errors, config hash"),
    ("population", "covariates and severity of candidate patients, inclusion/exclusion"),
    ("musculoskeletal", "OpenSim model building, Moco gait, measures, simulation library"),
    ("sensors", "devices (registry `DEVICES`, `device_named`): true gait → observed endpoint with a calibrated error; "
                "signals stride by stride (walk events, fGn/DFA variability, insole force, kinematics, IMU, video keypoints), "
                "event detection and features shared by real and synthetic data, devices measuring from signals"),
    ("generative", "`GaitSimulator` Protocol and registry (`simulators.py`); reference model; torch generator; digital twins"),
    ("trial", "enrolment, randomisation, progression and treatment mechanisms, dropout, synthetic controls, `TrialBatch`"),
    ("datasets", "`synth` (labelled synthetic sensor datasets: `trialsim synth`), `fidelity` + `fidelity_html` "
                 "(real vs synthetic recordings: `trialsim fidelity`)"),
    ("analysis", "fast exact/Laplace engine, PyMC engine (registry `engines.py`; ArviZ diagnostics), borrowing (robust MAP in σ units, ESS capped at the synthetic controls), prior ESS, drift sweep, design search on MC bounds, PROCOVA, MMRM, frequentist references"),
    ("results", "the run stage: `run.py` (simulate + analyse every scenario × design), `adaptive.py` (more replicates while unclear), `tables.py` (OC table, recommendation; `calibration.py`, `uncertainty.py`), `drift_curve.py` (`/drift`, tipping points), `levers.py` (PROCOVA gain, variance check), `store.py` (DataTree, summary, manifest), `assemble.py`, `crosscheck.py` (a generator study re-run on `reference`: `/simulator_crosscheck`)"),
    ("plotting", "`prepare.py` (tidy frames) → `static.py` (matplotlib) and `interactive_results.py` (plotly); `namespace.py` (`results.plot`)"),
    ("report", "the simulation report (HTML, PDF); reads results, never computes"),
    ("api", "`Study`, `TrialResults` (the public API) and `workflow.py` (atomic, resumable run directory)"),
    ("dashboard", "`settings.py`: dashboard settings → `Study.replace`, URL parameter checks (no Streamlit import); "
                  "`views.py`: Streamlit views that only read `TrialResults` (headline, gait, downloads, simulator cross-check)"),
    ("cli", "the typer CLI: `main.py`, `physics.py`, `generator.py`, `sensors.py` (synth, fidelity)"),
]
#: the package root (lazy `Study`/`TrialResults` exports) and ``python -m trialsim`` sit above everything
TOP = {"trialsim", "trialsim.__main__"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def import_graph() -> dict[str, set[str]]:
    """module → trialsim modules it imports (anywhere in the file, lazy imports included)."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        graph[name]
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            for target in targets:
                if target.startswith("trialsim") and target in modules and target != name:
                    graph[name].add(target)
    return graph


def unit(module: str) -> str:
    parts = module.split(".")
    return module if module in TOP else parts[1]


def rank(module: str) -> int:
    names = [n for n, _ in LAYERS]
    u = unit(module)
    return len(names) if module in TOP else names.index(u)


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    return sorted(f"{a} -> {b}" for a, targets in graph.items() for b in targets if rank(b) > rank(a))


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []
    sys.setrecursionlimit(10_000)

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def table(graph: dict[str, set[str]]) -> str:
    uses: dict[str, set[str]] = defaultdict(set)
    for a, targets in graph.items():
        if a in TOP:
            continue
        for b in targets:
            if b not in TOP and unit(b) != unit(a):
                uses[unit(a)].add(unit(b))
    names = [n for n, _ in LAYERS]
    lines = ["| layer | module | owns | imports (from the code) |", "| --- | --- | --- | --- |"]
    for i, (name, owns) in enumerate(LAYERS):
        imported = ", ".join(f"`{u}`" for u in sorted(uses[name], key=names.index)) or "stdlib and third-party only"
        lines.append(f"| {i} | `{name}` | {owns} | {imported} |")
    return "\n".join(lines)


def rewrite(path: Path = ARCHITECTURE) -> None:
    text = path.read_text()
    begin, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    path.write_text(text[:begin] + "\n" + table(import_graph()) + "\n" + text[end:])


if __name__ == "__main__":
    rewrite()
    print(table(import_graph()))
