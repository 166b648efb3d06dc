"""Named random streams from one seed.

Every random draw in trialsim comes from a stream derived from the study seed and a
tuple of names (for example ``("replicate", 3, "patient", 17)``), so that adding
patients never reshuffles existing ones and the number of workers never changes a
result.
"""

from __future__ import annotations

import hashlib

import numpy as np


def _key_words(name: tuple[object, ...]) -> list[int]:
    digest = hashlib.sha256(repr(tuple(str(part) for part in name)).encode()).digest()
    return [int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4)]


def stream_seed(seed: int, *name: object) -> np.random.SeedSequence:
    """Return the seed sequence of the stream ``name`` under ``seed``.

    Examples
    --------
    >>> a = np.random.default_rng(stream_seed(1, "patient", 3)).random()
    >>> b = np.random.default_rng(stream_seed(1, "patient", 3)).random()
    >>> a == b
    True
    """
    if seed < 0:
        raise ValueError("seed must be non-negative")
    return np.random.SeedSequence([int(seed), *_key_words(name)])


def stream(seed: int, *name: object) -> np.random.Generator:
    """Return an independent generator for the named stream."""
    return np.random.default_rng(stream_seed(seed, *name))


def stream_int(seed: int, *name: object) -> int:
    """Return a 32-bit integer seed for libraries that want an int (PyMC, torch)."""
    return int(stream_seed(seed, *name).generate_state(1, dtype=np.uint32)[0])
