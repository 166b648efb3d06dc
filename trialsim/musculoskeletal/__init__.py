"""Musculoskeletal physics: OpenSim model building, Moco gait simulation, simulation library.

OpenSim is imported lazily inside the functions that need it, so importing this
package stays light.
"""

from __future__ import annotations

from trialsim.musculoskeletal.library import (
    SimulationLibrary,
    build_library,
    library_status,
    load_library,
    shipped_library_dir,
)
from trialsim.musculoskeletal.model import build_model
from trialsim.musculoskeletal.simulation import GaitSimulation, simulate_gait

__all__ = [
    "GaitSimulation",
    "SimulationLibrary",
    "build_library",
    "build_model",
    "library_status",
    "load_library",
    "shipped_library_dir",
    "simulate_gait",
]
