"""Vertical force under each foot: the stance-phase shape and its split over 8 insole sensors.

**Shape.** A walking foot's vertical force is M-shaped: a loading-response peak of
≈ 1.0–1.25 body weights, a mid-stance trough of ≈ 0.7–0.85 BW and a push-off peak;
peaks grow and the trough deepens with speed (Winter, *Biomechanics and Motor Control
of Human Movement*; Perry, *Gait Analysis*; REFERENCE §2). The physics library's
vertical GRF (point-contact model v1) has an impact spike and no push-off peak, so:

- :func:`shape_from_curve` takes a simulated stance-phase curve and keeps it only if
  it is M-shaped (:func:`has_m_shape`: two peaks with a trough ≥ 5 % below both) —
  the physics v2 curves (toe contact, compliant tendon) drop in through this door
  without code changes;
- otherwise :func:`m_shape_bw` gives the parametric M through seven control points
  (monotone cubic): loading peak ``1.10 + 0.45·(u − 1)`` BW at 22 % of stance, trough
  ``0.78 − 0.45·(u − 1)`` at 48 %, push-off peak ``1.08 + 0.15·(u − 1)`` at 77 %, with
  ``u`` the speed relative to 0.714 body heights/s (Bovi 2011 natural speed).

Either way the shape is scaled so that both feet together carry one body weight on
average over the stride (vertical momentum balance over a cycle).

**Sensors.** The Ultraflex insoles of the PhysioNet gaitpdb have 8 sensors per foot at
(x, y) = (∓500, −800) heel … (∓500, +800) toes (gaitpdb description; left foot
negative x). The force is split between them by Gaussian weights (SD 300 × 250
units) around a centre of pressure that rolls from the heel to the toes over stance
(heel at initial contact, midfoot at mid-stance, forefoot at push-off) and from the
lateral border to the medial forefoot. The sensors' sum is the foot's total force.
"""

from __future__ import annotations

import numpy as np
from scipy.interpolate import PchipInterpolator

SENSOR_X = np.array([500.0, 700.0, 300.0, 700.0, 300.0, 700.0, 300.0, 500.0])  # lateral is larger |x|
SENSOR_Y = np.array([-800.0, -400.0, -400.0, 0.0, 0.0, 400.0, 400.0, 800.0])
COP_Y = PchipInterpolator([0.0, 0.12, 0.5, 0.8, 1.0], [-800.0, -650.0, -50.0, 450.0, 750.0])
COP_X = PchipInterpolator([0.0, 0.5, 0.85, 1.0], [500.0, 560.0, 420.0, 380.0])
SPREAD_Y, SPREAD_X = 300.0, 250.0
NATURAL_SPEED_HEIGHTS_S = 0.714
STANCE_GRID = np.linspace(0.0, 1.0, 101)


def m_shape_bw(tau: np.ndarray, *, relative_speed: float, jitter: np.ndarray | None = None) -> np.ndarray:
    """Parametric M-shaped vertical force (BW, before scaling) at stance fractions ``tau``.

    ``jitter`` (5,) shifts the loading peak, trough and push-off peak (BW) and the
    times of the two peaks (fractions of stance): one person's own shape.

    Examples
    --------
    >>> f = m_shape_bw(np.linspace(0, 1, 101), relative_speed=1.0)
    >>> round(float(f[22]), 2), round(float(f[48]), 2), round(float(f[77]), 2)
    (1.1, 0.78, 1.08)
    """
    du = relative_speed - 1.0
    j = np.zeros(5) if jitter is None else np.asarray(jitter, dtype=float)
    p1, trough, p2 = 1.10 + 0.45 * du + j[0], 0.78 - 0.45 * du + j[1], 1.08 + 0.15 * du + j[2]
    p1, p2 = max(p1, 0.6), max(p2, 0.6)
    trough = float(np.clip(trough, 0.3, min(p1, p2) - 0.04))
    t1, t2 = float(np.clip(0.22 + j[3], 0.12, 0.35)), float(np.clip(0.77 + j[4], 0.65, 0.85))
    knots = [0.0, 0.04, t1, 0.48, t2, 0.92, 1.0]
    values = [0.0, 0.40 * p1, p1, trough, p2, 0.45 * p2, 0.0]
    return np.clip(PchipInterpolator(knots, values)(np.clip(tau, 0.0, 1.0)), 0.0, None)


def has_m_shape(shape: np.ndarray) -> bool:
    """A walking M on :data:`STANCE_GRID`: a loading peak (10–40 % of stance) and a push-off
    peak (55–92 %), both 0.8–1.6 BW, a trough ≥ 5 % below both, and no wiggles (the slope
    changes sign at most three times, ignoring changes under 0.5 % BW): an impact spike or a
    noisy solve is not an M."""
    s = np.asarray(shape, dtype=float)
    n = len(s)
    if n < 20 or not np.isfinite(s).all():
        return False
    i1 = int(np.argmax(s[: n // 2]))
    i2 = n // 2 + int(np.argmax(s[n // 2 :]))
    first, second = s[i1], s[i2]
    if not (0.10 <= i1 / (n - 1) <= 0.40 and 0.55 <= i2 / (n - 1) <= 0.92):
        return False
    if not (0.8 <= first <= 1.6 and 0.8 <= second <= 1.6):
        return False
    if s[i1 : i2 + 1].min() >= 0.95 * min(first, second):
        return False
    d = np.diff(s)
    d = d[np.abs(d) > 0.005]
    return bool(np.count_nonzero(np.sign(d[1:]) != np.sign(d[:-1])) <= 3)


def shape_from_curve(curve_bw: np.ndarray, gait_cycle_pct: np.ndarray, *, threshold_bw: float = 0.05) -> np.ndarray | None:
    """The stance-phase curve of a simulated cycle on :data:`STANCE_GRID`, if it is M-shaped.

    The stance is the longest run of the (periodic) curve above ``threshold_bw``.
    Returns ``None`` for a curve without the M shape (the v1 physics' impact spike).
    """
    pct = np.asarray(gait_cycle_pct, dtype=float)
    fine = np.linspace(0.0, 100.0, 1001)[:-1]
    f = np.interp(fine, pct, np.asarray(curve_bw, dtype=float), period=100.0)
    on = f > threshold_bw
    if on.all() or not on.any():
        return None
    start = int(np.flatnonzero(on & ~np.roll(on, 1))[0])
    rolled = np.roll(f, -start)
    length = int(np.argmin(np.roll(on, -start))) or len(on)
    stance = rolled[:length]
    shape = np.interp(STANCE_GRID, np.linspace(0.0, 1.0, len(stance)), stance)
    return shape if has_m_shape(shape) else None


def body_weight_scale(shape: np.ndarray, *, stance_fraction: float) -> float:
    """Factor on a stance shape (on :data:`STANCE_GRID`) so that two feet carry 1 BW on average over a stride."""
    mean = float(np.trapezoid(shape, STANCE_GRID))
    return 1.0 / (2.0 * stance_fraction * mean)


def sensor_weights(tau: np.ndarray) -> np.ndarray:
    """``(len(tau), 8)`` fractions of the foot's force on each sensor (rows sum to 1)."""
    t = np.clip(np.asarray(tau, dtype=float), 0.0, 1.0)
    dy = (SENSOR_Y[None, :] - COP_Y(t)[:, None]) / SPREAD_Y
    dx = (SENSOR_X[None, :] - COP_X(t)[:, None]) / SPREAD_X
    w = np.exp(-0.5 * (dx**2 + dy**2))
    return w / w.sum(axis=1, keepdims=True)
