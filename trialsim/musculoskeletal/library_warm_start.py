"""Neighbour warm starts of a library build, and when each body may start.

The rule (library v2 and v3): a design sample starts from the converged, self-selected
solution nearest to it (parameters scaled by their registry ranges, same cycle type, ties
to the lower index) among the samples of *earlier batches* of ``batch_size`` in design
order, or from the shipped nominal solution when there is none. The design alone fixes
every guess, so a library is the same whatever the number of workers.

Until session 12 the builds enforced the rule with a barrier: a batch started when the
previous one had finished. Workers then idled at each batch's end, behind its slowest body
(solves take 70–1,800 s), and never more than ``batch_size`` bodies were in flight, however
many workers a cluster had. :class:`StartPlan` enforces the same rule body by body. A body
may start once every earlier-batch body that could be its neighbour has finished, that is,
once the bodies nearer to it than its nearest converged one have all finished. The guess
is then computed by :func:`nearest_guess` exactly as before, so the guesses are identical.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from trialsim.physiology.parameters import PARAMETERS


def scaled_params(params: dict[str, float]) -> dict[str, float]:
    """Each parameter's offset from nominal, in units of its registry range."""
    return {name: (params.get(name, p.nominal) - p.nominal) / (p.high - p.low) for name, p in PARAMETERS.items()}


def _is_full_cycle(params: dict[str, float]) -> bool:
    from trialsim.musculoskeletal.gait import is_asymmetric
    from trialsim.physiology.parameters import resolve_parameters

    return is_asymmetric(resolve_parameters(params))


def nearest_guess(sample: dict[str, Any], finished: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The finished record nearest ``sample`` in scaled parameter space (same cycle type; ties → lower index)."""
    full = _is_full_cycle(sample["params"])
    target = scaled_params(sample["params"])
    best, best_d = None, math.inf
    for rec in sorted(finished, key=lambda r: r["index"]):
        if bool(rec.get("full_cycle")) != full:
            continue
        other = scaled_params(rec["params"])
        d = math.sqrt(sum((target[k] - other[k]) ** 2 for k in target))
        if d < best_d:
            best, best_d = rec, d
    return best


def _usable(rec: dict[str, Any]) -> bool:
    """A record :func:`nearest_guess` may pick: converged at a self-selected speed."""
    return bool(rec.get("success")) and rec.get("speed_source") == "self_selected"


class StartPlan:
    """When each design sample may start, and from which neighbour.

    ``records`` (sample id → finished record) is shared and kept current by the caller:
    each finished solve's record goes in as it lands.
    """

    def __init__(self, samples: list[dict[str, Any]], records: dict[str, dict[str, Any]], batch_size: int) -> None:
        self.samples, self.records, self.batch_size = samples, records, batch_size
        self._scaled = np.array([[v for _, v in sorted(scaled_params(s["params"]).items())] for s in samples])
        self._full = [_is_full_cycle(s["params"]) for s in samples]
        self._position = {s["index"]: i for i, s in enumerate(samples)}
        self._candidates: dict[int, list[int]] = {}

    def _batch_start(self, sample: dict[str, Any]) -> int:
        return (sample["index"] // self.batch_size) * self.batch_size

    def candidates(self, sample: dict[str, Any]) -> list[int]:
        """Positions of the earlier-batch samples of the same cycle type, nearest first (ties → lower index)."""
        i = self._position[sample["index"]]
        if i not in self._candidates:
            start = self._batch_start(sample)
            earlier = [j for j, s in enumerate(self.samples) if s["index"] < start and self._full[j] == self._full[i]]
            d = np.sqrt(((self._scaled[earlier] - self._scaled[i]) ** 2).sum(axis=1)) if earlier else np.array([])
            self._candidates[i] = [earlier[k] for k in sorted(range(len(earlier)),
                                                              key=lambda k: (d[k], self.samples[earlier[k]]["index"]))]
        return self._candidates[i]

    def guess(self, sample: dict[str, Any]) -> tuple[bool, str | None]:
        """``(ready, guess_id)``: ready once no unfinished earlier-batch sample could be nearer than
        the nearest converged one; ``guess_id`` None means the shipped nominal guess."""
        full = self._full[self._position[sample["index"]]]
        for j in self.candidates(sample):
            rec = self.records.get(self.samples[j]["id"])
            if rec is None:
                return False, None
            if _usable(rec) and bool(rec.get("full_cycle")) == full:
                break
        start = self._batch_start(sample)
        finished = [r for r in self.records.values() if _usable(r) and r["index"] < start]
        best = nearest_guess(sample, finished)
        return True, None if best is None else best["id"]
