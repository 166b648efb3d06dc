"""The studies and cohorts shipped with trialsim (``studies/``, ``cohorts/`` at the project root)."""

from __future__ import annotations

from pathlib import Path

from trialsim.errors import InputFileError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STUDIES_DIR = PROJECT_ROOT / "studies"
COHORTS_DIR = PROJECT_ROOT / "cohorts"
DEFAULT_STUDY = STUDIES_DIR / "pd_gait_speed_phase2.yaml"


def shipped_studies() -> list[Path]:
    return sorted(STUDIES_DIR.glob("*.yaml"))


def shipped_cohorts() -> list[Path]:
    return sorted(COHORTS_DIR.glob("*.yaml"))


def cohort_path(name: str) -> Path:
    """Path of a shipped cohort by file name (``early_pd.yaml``) or stem (``early_pd``)."""
    stem = Path(name).stem
    path = COHORTS_DIR / f"{stem}.yaml"
    if not path.is_file():
        allowed = ", ".join(p.stem for p in shipped_cohorts())
        raise InputFileError(f"{name}: no shipped cohort of that name (allowed: {allowed})")
    return path

