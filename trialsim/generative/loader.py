"""Where the shipped generator checkpoint lives, and loading it (cached per process)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

from trialsim.generative.simulator import GeneratorSimulator

CHECKPOINT = "data/generator/generator.pt"
FIDELITY = "data/generator/fidelity.json"


def default_checkpoint_path() -> Path:
    """The checkpoint that ships with the package (``trialsim/data/generator/generator.pt``)."""
    return Path(str(resources.files("trialsim").joinpath(CHECKPOINT)))


def load_generator(path: str | Path) -> GeneratorSimulator:
    """A :class:`GeneratorSimulator` from a checkpoint file.

    Examples
    --------
    >>> gen = load_generator("generator.pt")  # doctest: +SKIP
    >>> gen.provenance()["checkpoint_sha256"]  # doctest: +SKIP
    """
    from trialsim.generative.checkpoint import load_bundle

    return GeneratorSimulator(load_bundle(path))


@lru_cache(maxsize=1)
def load_default_generator() -> GeneratorSimulator:
    """The shipped generator (what ``simulator: generator`` in a study uses)."""
    return load_generator(default_checkpoint_path())
