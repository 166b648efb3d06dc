"""The gait simulators a study may name (``simulator:`` in the YAML), by name.

Every entry builds an object satisfying :class:`~trialsim.generative.protocol.GaitSimulator`;
torch loads only when the generator is asked for. An unknown name is a one-line error
listing the registered ones (never a silent fallback to another simulator).
"""

from __future__ import annotations

from collections.abc import Callable

from trialsim.errors import TrialsimError
from trialsim.generative.protocol import GaitSimulator

__all__ = ["SIMULATORS", "simulator_named"]


def _reference() -> GaitSimulator:
    from trialsim.generative.reference import ReferenceGaitModel

    return ReferenceGaitModel()


def _generator() -> GaitSimulator:
    from trialsim.generative.loader import load_default_generator

    return load_default_generator()


#: simulator name → constructor (``reference``: closed-form statistical model; ``generator``: physics-trained torch model)
SIMULATORS: dict[str, Callable[[], GaitSimulator]] = {"reference": _reference, "generator": _generator}


def simulator_named(name: str) -> GaitSimulator:
    """The simulator registered as ``name``.

    Examples
    --------
    >>> simulator_named("reference").provenance()["simulator"]
    'reference'
    >>> simulator_named("physics")
    Traceback (most recent call last):
    ...
    trialsim.errors.TrialsimError: simulator: 'physics' unknown (allowed: reference, generator)
    """
    try:
        make = SIMULATORS[name]
    except KeyError:
        raise TrialsimError(f"simulator: {name!r} unknown (allowed: {', '.join(SIMULATORS)})") from None
    return make()
