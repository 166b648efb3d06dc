"""Segment lengths, masses and inertias from height and body mass.

Proportions are Winter's (Winter, *Biomechanics and Motor Control of Human
Movement*, 4th ed., 2009, table 4.1): segment length as a fraction of standing
height, segment mass as a fraction of body mass, centre of mass as a fraction of
segment length from the proximal joint, radius of gyration about the centre of
mass as a fraction of segment length. At the nominal 1.75 m / 75 kg they give the
thigh 0.429 m / 7.5 kg, shank 0.4305 m / 3.49 kg, foot 1.09 kg and
head-arms-trunk 50.8 kg used by the classic sagittal gait models.
"""

from __future__ import annotations

from dataclasses import dataclass

NOMINAL_HEIGHT_M = 1.75
NOMINAL_MASS_KG = 75.0

#: (length / height, mass / body mass, COM from proximal / length, radius of gyration / length)
WINTER_PROPORTIONS: dict[str, tuple[float, float, float, float]] = {
    "thigh": (0.245, 0.100, 0.433, 0.323),
    "shank": (0.246, 0.0465, 0.433, 0.302),
    "foot": (0.152, 0.0145, 0.50, 0.475),
    # head-arms-trunk from greater trochanter to glenohumeral joint
    "hat": (0.288, 0.678, 0.626, 0.496),
}
#: ankle height above the sole, fraction of height (Winter: foot height 0.039 H)
ANKLE_HEIGHT_FRACTION = 0.039
#: half distance between hip joint centres, fraction of height (0.0835 m at 1.75 m,
#: the gait2392 / gait10dof18musc pelvis)
HIP_HALF_WIDTH_FRACTION = 0.0835 / NOMINAL_HEIGHT_M


@dataclass(frozen=True)
class Segment:
    """One rigid segment: length (m), mass (kg), COM from the proximal joint (m), Izz about COM (kg m²)."""

    length_m: float
    mass_kg: float
    com_m: float
    inertia_kg_m2: float


@dataclass(frozen=True)
class Anthropometry:
    """Every segment of the sagittal model for one body."""

    height_m: float
    body_mass_kg: float
    thigh: Segment
    shank: Segment
    foot: Segment
    hat: Segment
    ankle_height_m: float
    hip_half_width_m: float

    @property
    def length_scale(self) -> float:
        """Height relative to the nominal 1.75 m; scales every anatomical landmark."""
        return self.height_m / NOMINAL_HEIGHT_M

    @property
    def leg_length_m(self) -> float:
        """Hip joint centre to sole in the neutral pose."""
        return self.thigh.length_m + self.shank.length_m + self.ankle_height_m


def segment(name: str, height_m: float, body_mass_kg: float) -> Segment:
    """Winter-proportioned segment ``name`` for a body of the given height and mass."""
    length_frac, mass_frac, com_frac, gyration_frac = WINTER_PROPORTIONS[name]
    length = length_frac * height_m
    mass = mass_frac * body_mass_kg
    return Segment(length, mass, com_frac * length, mass * (gyration_frac * length) ** 2)


def anthropometry(height_m: float, body_mass_kg: float) -> Anthropometry:
    """Segment table for a body.

    Examples
    --------
    >>> round(anthropometry(1.75, 75.0).thigh.mass_kg, 2)
    7.5
    """
    return Anthropometry(
        height_m=height_m,
        body_mass_kg=body_mass_kg,
        thigh=segment("thigh", height_m, body_mass_kg),
        shank=segment("shank", height_m, body_mass_kg),
        foot=segment("foot", height_m, body_mass_kg),
        hat=segment("hat", height_m, body_mass_kg),
        ankle_height_m=ANKLE_HEIGHT_FRACTION * height_m,
        hip_half_width_m=HIP_HALF_WIDTH_FRACTION * height_m,
    )
