"""Run one gait solve in a worker subprocess with a hard timeout.

CasADi/IPOPT callbacks can hang or crash the interpreter (MOCO-NOTES), so each
solve runs in ``python -m trialsim.musculoskeletal.runner REQUEST RESULT`` in its
own process group, killed on timeout. A solve that fails, crashes or times out is
returned as a record with ``success=False`` and its reason, never dropped.

Worker policy: predictive solve warm-started from the given guess (default: the
shipped nominal solution). If that fails and ``retrack_on_failure`` is set, the
patient's own tracking solution is computed and the predictive solve is repeated
from it.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from trialsim.errors import SimulationError

FAILED_MEASURES_NOTE = "no measures: solve failed"
#: IPOPT options Moco sets itself (from SolverSettings): IPOPT keeps Moco's value and only
#: warns when ``ipopt.opt`` names them (measured: ``max_iter 2`` there left 600)
MOCO_IPOPT_OPTIONS = frozenset({"max_iter", "tol", "constr_viol_tol", "print_level", "hessian_approximation",
                                "linear_solver"})


def run_solve(request: dict[str, Any], *, timeout_s: float) -> dict[str, Any]:
    """Solve ``request`` in a subprocess; always returns a result record."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="trialsim_solve_") as tmp:
        req_path, out_path = Path(tmp) / "request.json", Path(tmp) / "result.json"
        req_path.write_text(json.dumps(request))
        write_ipopt_options(Path(tmp), request.get("settings", {}).get("ipopt_options") or {})
        env = dict(os.environ)
        threads = str(request.get("settings", {}).get("threads", 1))
        env.update(OMP_NUM_THREADS=threads, OPENBLAS_NUM_THREADS=threads, MKL_NUM_THREADS=threads)
        log_path = Path(tmp) / "worker.log"
        with open(log_path, "w") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "trialsim.musculoskeletal.runner", str(req_path), str(out_path)],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env,
                cwd=tmp,  # Moco writes scratch files (tracked states, stop files, opensim.log) into the cwd
            )
            try:
                rc = proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                return _failure(request, f"timeout after {timeout_s:g} s", time.perf_counter() - start, "Timeout")
        if rc != 0 or not out_path.exists():
            tail = log_path.read_text(errors="replace").strip().splitlines()[-3:]
            return _failure(request, f"worker exited with code {rc}: {' | '.join(tail)[:300]}", time.perf_counter() - start, "WorkerCrashed")
        result: dict[str, Any] = json.loads(out_path.read_text())
        return result


def write_ipopt_options(folder: Path, options: dict[str, Any]) -> None:
    """``folder/ipopt.opt``: one ``name value`` line per option. IPOPT reads this file from
    its working directory, but an option Moco sets itself keeps Moco's value, so naming one
    is refused. Nothing is written without options: IPOPT runs on Moco's settings alone."""
    clash = sorted(set(options) & MOCO_IPOPT_OPTIONS)
    if clash:
        raise SimulationError(f"ipopt_options: {', '.join(clash)} is set by Moco, which IPOPT lets win over "
                              "ipopt.opt; use the SolverSettings field instead")
    if options:
        (folder / "ipopt.opt").write_text("".join(f"{name} {value}\n" for name, value in sorted(options.items())))


def _failure(request: dict[str, Any], reason: str, wall: float, status: str) -> dict[str, Any]:
    return {
        "success": False, "status": status, "failure_reason": reason, "objective": math.nan,
        "iterations": 0, "wall_time_s": wall, "measures": {}, "curves": {},
        "speed_m_s": request.get("speed_m_s"), "full_cycle": None,
    }


def solve_request(request: dict[str, Any]) -> dict[str, Any]:
    """The worker's job (runs inside the subprocess)."""
    from trialsim.musculoskeletal.gait import SolverSettings, solve_predictive, solve_tracking

    start = time.perf_counter()
    if request.get("mode") == "free_speed":
        return _solve_free_speed_request(request, start)
    params = request["params"]
    speed = float(request["speed_m_s"])
    settings = SolverSettings(**request.get("settings", {}))
    attempts = []
    if request.get("mode") == "tracking":
        outcome = solve_tracking(params, speed_m_s=speed, settings=settings)
    else:
        outcome = solve_predictive(params, speed_m_s=speed, settings=settings, guess=request.get("guess"))
        attempts.append(f"warm start: {outcome.status} after {outcome.iterations} it")
        if not outcome.success and request.get("retrack_on_failure", False):
            tracked = solve_tracking(params, speed_m_s=speed, settings=settings, full_cycle=outcome.full_cycle)
            attempts.append(f"tracking: {tracked.status} after {tracked.iterations} it")
            outcome = solve_predictive(params, speed_m_s=speed, settings=settings, guess=tracked.solution, full_cycle=outcome.full_cycle)
            attempts.append(f"from tracking: {outcome.status} after {outcome.iterations} it")
    if request.get("save_solution") and outcome.success:
        outcome.solution.write(str(request["save_solution"]))
    result: dict[str, Any] = {
        "success": outcome.success, "status": outcome.status,
        "failure_reason": "" if outcome.success else f"IPOPT {outcome.status} ({'; '.join(attempts)})",
        "objective": outcome.objective, "iterations": outcome.iterations,
        "speed_m_s": speed, "full_cycle": outcome.full_cycle, "attempts": attempts,
    }
    return _with_curves_and_measures(result, outcome, params, start)


def _with_curves_and_measures(result: dict[str, Any], outcome: Any, params: dict[str, Any], start: float,
                              *, v2: bool = False) -> dict[str, Any]:
    """Add the solution's curves and measures (v2: its speed and energy too) and the wall time;
    a trajectory whose extraction fails marks the result failed with the reason."""
    from trialsim.musculoskeletal.extract import extract

    try:
        if v2:
            from trialsim.musculoskeletal.free_speed import solution_speed_m_s

            result["speed_m_s"] = solution_speed_m_s(outcome.solution)
        curves, measures = extract(outcome.solution, outcome.model, full_cycle=outcome.full_cycle,
                                   body_mass_kg=float(params.get("body_mass_kg", 75.0)))
        if v2:
            from trialsim.musculoskeletal.free_speed import energy_measures

            measures.update(energy_measures(outcome, params))
    except Exception as exc:  # a diverged trajectory can break event detection
        curves, measures = {}, {}
        result["success"] = False
        result["failure_reason"] = (result["failure_reason"] + f"; extraction failed: {exc}").strip("; ")
    result["curves"], result["measures"] = curves, measures
    result["wall_time_s"] = time.perf_counter() - start
    return result


def _solve_free_speed_request(request: dict[str, Any], start: float) -> dict[str, Any]:
    """Physics v2: one free-speed (or imposed-speed) energy-and-time solve, warm-started
    from the request's guess; if that fails, once more from the shipped nominal guess."""
    from trialsim.musculoskeletal.free_speed import solve_free_speed
    from trialsim.musculoskeletal.gait import SolverSettings

    params = request["params"]
    speed = request.get("speed_m_s")
    settings = SolverSettings(**request.get("settings", {}))
    guess = request.get("guess")
    guess_height = request.get("guess_height_m")
    attempts = []
    outcome = solve_free_speed(params, settings=settings, guess=guess, guess_height_m=guess_height,
                               speed_m_s=None if speed is None else float(speed))
    attempts.append(f"warm start ({'neighbour' if guess else 'nominal'}): {outcome.status} after {outcome.iterations} it")
    if not outcome.success and guess and request.get("retrack_on_failure", False):
        outcome = solve_free_speed(params, settings=settings, guess=None,
                                   speed_m_s=None if speed is None else float(speed))
        attempts.append(f"nominal guess: {outcome.status} after {outcome.iterations} it")
    if request.get("save_solution") and outcome.success:
        outcome.solution.write(str(request["save_solution"]))
    result: dict[str, Any] = {
        "success": outcome.success, "status": outcome.status,
        "failure_reason": "" if outcome.success else f"IPOPT {outcome.status} ({'; '.join(attempts)})",
        "objective": outcome.objective, "iterations": outcome.iterations, "full_cycle": outcome.full_cycle,
        "attempts": attempts, "speed_source": "self_selected" if speed is None else "imposed",
    }
    return _with_curves_and_measures(result, outcome, params, start, v2=True)


def _die_with_parent() -> None:
    """Linux: have the kernel kill this worker when the process that started it dies
    (the worker runs in its own session, so stopping a library build's process group
    would otherwise leave it solving)."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    _die_with_parent()
    request = json.loads(Path(argv[0]).read_text())
    result = solve_request(request)
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["cpu_time_s"] = usage.ru_utime + usage.ru_stime  # core-seconds, whatever else the machine runs
    tmp = Path(argv[1]).with_suffix(".tmp")
    tmp.write_text(json.dumps(result, allow_nan=True))
    tmp.replace(argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
