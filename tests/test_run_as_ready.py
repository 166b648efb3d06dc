"""run_as_ready: tasks whose inputs depend on earlier results start as those results land."""

from __future__ import annotations

import pytest

from trialsim.execution.tasks import RUN, SKIP, WAIT, run_as_ready

#: key → the key whose result it needs (None: nothing); "c" is skipped
NEEDS = {"a": None, "b": "a", "c": None, "d": "b", "e": "a"}


def double(x: int) -> int:
    return 2 * x


@pytest.mark.parametrize("workers", [0, 2])
def test_each_task_gets_the_results_it_waits_for_whatever_the_worker_count(workers):
    results: dict[str, int] = {}

    def ready(key: str):
        if key == "c":
            return SKIP, None
        need = NEEDS[key]
        if need is None:
            return RUN, 1
        return (WAIT, None) if need not in results else (RUN, results[need] + 1)

    run_as_ready(list(NEEDS), ready, double, on_result=results.__setitem__, workers=workers, quiet=True)
    assert results == {"a": 2, "b": 6, "d": 14, "e": 6}


def test_a_key_that_waits_on_a_later_key_is_an_error():
    with pytest.raises(RuntimeError, match="waits on a later key"):
        run_as_ready(["a", "b"], lambda key: (WAIT, None) if key == "a" else (RUN, 1), double,
                     on_result=lambda key, value: None, workers=0, quiet=True)
