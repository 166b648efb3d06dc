"""A walk, stride by stride: heel strikes and toe offs of each foot with their own timing.

Every signal model (insoles, IMU, video) is driven by one :class:`Walk`: the event
times of both feet over a continuous walk, and each stride's speed.

The patient's true gait (stride time ``T``, stance %, gait speed ``v``, stride-time CV)
sets the means; stride by stride:

- **Steps alternate** right→left and left→right, so each foot's stride is the sum of
  two steps and the left stride series shares only one step with the right: the feet
  have their own timing (their stride CVs and series differ).
- **Cadence rises with speed** within a walk too: a step's speed and duration co-vary
  as ``T ∝ v^−β`` with ``β = 0.5`` (stride length ∝ v^0.5, cadence ∝ v^0.5: Grieve
  1968; Bovi 2011 speed-dependent norms give both rising with speed).
- **Long-range correlation**: the log step-time fluctuation is fractional Gaussian
  noise with Hurst exponent = the patient's DFA α (Hausdorff 1995/2009: ≈ 0.75–1.0
  healthy, lower in PD), scaled so that the stride-time CV read over the walk equals
  the patient's on average.
- **Stance** shortens as speed rises: stance fraction ``s₀ − 0.08·ln(v_k / v)``
  (≈ −5 % of the cycle from slow to fast walking; Hebenstreit 2015, Bovi 2011), and the
  swing time carries its own independent noise (relative SD 1.4 × the stride-time CV;
  the shared part reaches the swing at ≈ 0.6 × the stride's relative change because
  stance shortens as speed rises, so swing-time CV ≈ 1.5 × stride-time CV: Hausdorff's
  gaitpdb analyses and Frenkel-Toledo 2005 report swing-time CV 2–4 % against
  stride-time CV 1.5–2.5 %).
- **Left/right asymmetry**: a patient-level offset of the left and right swing times
  (±``asymmetry`` fraction), and of the two step times, so that stance, swing and step
  durations differ by side (Plotnik 2005: swing asymmetry higher in PD).
- **Turns** (optional): every ``straight_m`` metres of walkway the walker turns
  (4 strides at 70 % speed with 15 % longer stride times), as in the gaitpdb
  recordings.
- **Start and stop** (optional): the walk starts from standing and ends standing. Gait
  initiation reaches steady walking over about three steps (Mann, Hagy, White & Liddell
  1979, J Bone Joint Surg Am 61:232), ≥ 90–95 % of steady speed by the third step, the
  speed gained mostly through cadence (sloped-gait study of 14 adults on an
  instrumented ramp, level condition); the first three steps are taken at 65, 85 and
  95 % of the steady speed, through the same speed–step-time coupling as the rest of
  the walk (so their steps are longer in time). Termination mirrors initiation (95, 85,
  65 % over the last three steps): an assumption, no per-step termination figures were
  found. ``starting_stopping_<side>`` marks the strides that hold such a step.

Double support is not an input: it follows from both feet's stance and timing
(≈ 2·stance − 100 % for a symmetric gait), the way it does on a real walkway.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trialsim.sensors.variability import fractional_gaussian_noise

SPEED_EXPONENT = 0.5
STANCE_SPEED_SLOPE = 0.08
SWING_NOISE_RATIO = 1.4
TURN_STRIDES = 4
TURN_SPEED_FACTOR = 0.7
TURN_STRIDE_TIME_FACTOR = 1.15
#: speed of the first three steps as a fraction of the steady speed (module docs); the
#: last three steps mirror them
START_SPEED_FRACTIONS = (0.65, 0.85, 0.95)


@dataclass(frozen=True)
class GaitTiming:
    """One patient's gait, as the walk needs it (means over strides; from the simulator)."""

    stride_time_s: float
    stance_pct: float
    gait_speed_m_s: float
    stride_time_cv_pct: float
    dfa_alpha: float = 0.85
    asymmetry: float = 0.0

    @classmethod
    def from_measures(cls, measures: dict[str, float], *, dfa_alpha: float = 0.85, asymmetry: float = 0.0) -> GaitTiming:
        """From gait measures; stride time may come from cadence or stride length and speed, stance
        defaults to 62.6 % and stride-time CV to 1.6 % (Bovi 2011; Hausdorff 2009) when absent."""
        m = measures
        if "stride_time_s" in m:
            stride = float(m["stride_time_s"])
        elif "cadence_steps_min" in m:
            stride = 120.0 / float(m["cadence_steps_min"])
        elif "stride_length_m" in m and "gait_speed_m_s" in m:
            stride = float(m["stride_length_m"]) / float(m["gait_speed_m_s"])
        else:
            raise ValueError("a walk needs stride_time_s, cadence_steps_min, or stride_length_m with gait_speed_m_s")
        speed = float(m.get("gait_speed_m_s", float(m.get("stride_length_m", 1.33)) / stride))
        return cls(stride, float(m.get("stance_pct", 62.6)), speed, float(m.get("stride_time_cv_pct", 1.6)), dfa_alpha, asymmetry)


@dataclass(frozen=True)
class Walk:
    """Event times (s) of a walk: ``heel_strike_<side>_s[i]``, ``toe_off_<side>_s[i]`` for stride i.

    Stride i of a foot runs from ``heel_strike[i]`` to ``heel_strike[i + 1]``; the arrays
    of heel strikes are one longer than the strides. ``speed_<side>_m_s[i]`` is the
    stride's mean forward speed; ``turning_<side>[i]`` marks strides of a turn.
    """

    heel_strike_r_s: np.ndarray
    toe_off_r_s: np.ndarray
    heel_strike_l_s: np.ndarray
    toe_off_l_s: np.ndarray
    speed_r_m_s: np.ndarray
    speed_l_m_s: np.ndarray
    turning_r: np.ndarray
    turning_l: np.ndarray
    starting_stopping_r: np.ndarray | None = None
    starting_stopping_l: np.ndarray | None = None

    @property
    def duration_s(self) -> float:
        return float(max(self.heel_strike_r_s[-1], self.heel_strike_l_s[-1]))

    def stride_times_s(self, side: str) -> np.ndarray:
        return np.diff(getattr(self, f"heel_strike_{side}_s"))

    def stance_times_s(self, side: str) -> np.ndarray:
        return getattr(self, f"toe_off_{side}_s") - getattr(self, f"heel_strike_{side}_s")[:-1]


def _step_log_sd(stride_cv: float, hurst: float, n_steps: int) -> float:
    """Log-SD of a step so that strides (two neighbouring steps) have CV ``stride_cv`` over the walk.

    The sample variance of ``n`` points of fractional Gaussian noise has expectation
    ``1 − n^(2H−2)`` of the process variance (long-range correlation hides variance in
    short records), so the walk is scaled up by that factor: the stride-time CV read
    over the walk then equals the patient's on average, as it would for a clinician.
    """
    rho1 = 0.5 * (2.0 ** (2 * hurst) - 2.0)
    finite = 1.0 - float(n_steps) ** (2.0 * hurst - 2.0)
    return stride_cv * 2.0 / np.sqrt(2.0 + 2.0 * rho1) / np.sqrt(max(finite, 0.05))


def simulate_walk(
    timing: GaitTiming, *, n_strides: int, rng: np.random.Generator, straight_m: float | None = None,
    start_stop: bool = False,
) -> Walk:
    """Both feet's events over ``n_strides`` strides (see module docs); ``start_stop``: the walk
    starts and ends standing (it draws no extra random numbers: the rest of the walk is the same).

    Examples
    --------
    >>> w = simulate_walk(GaitTiming(1.1, 61.0, 1.2, 2.0), n_strides=50, rng=np.random.default_rng(0))
    >>> len(w.stride_times_s("r")), round(float(w.stride_times_s("l").mean()), 1)
    (50, 1.1)
    """
    if n_strides < 2:
        raise ValueError("a walk needs at least 2 strides")
    n_steps = 2 * n_strides + 2
    hurst = float(np.clip(timing.dfa_alpha, 0.05, 0.98))
    cv = timing.stride_time_cv_pct / 100.0
    z = fractional_gaussian_noise(n_steps, hurst, rng=rng)
    log_step = _step_log_sd(cv, hurst, n_steps) * z
    log_step = log_step - log_step.mean()
    # steps alternate R→L (even k) and L→R (odd k); asymmetry splits the stride unequally
    side_sign = np.where(np.arange(n_steps) % 2 == 0, 1.0, -1.0)
    half = 0.5 * timing.stride_time_s
    steps = half * np.exp(log_step) * (1.0 + 0.5 * timing.asymmetry * side_sign)
    speed = timing.gait_speed_m_s * np.exp(-log_step / SPEED_EXPONENT)
    turning = np.zeros(n_steps, bool)
    if straight_m is not None and straight_m > 0:
        distance = np.cumsum(speed * steps)
        lap = np.floor(distance / straight_m).astype(int)
        first = np.flatnonzero(np.diff(lap) > 0) + 1
        for k in first:
            turning[k : k + 2 * TURN_STRIDES] = True
        steps = np.where(turning, steps * TURN_STRIDE_TIME_FACTOR, steps)
        speed = np.where(turning, speed * TURN_SPEED_FACTOR, speed)
    transient = np.zeros(n_steps, bool)
    if start_stop:
        fraction = np.ones(n_steps)
        ramp = np.asarray(START_SPEED_FRACTIONS)
        fraction[: len(ramp)] = ramp
        last = 2 * n_strides + 1  # steps 0 … 2n make the two feet's strides; later ones are never read
        fraction[last - len(ramp): last] = np.minimum(fraction[last - len(ramp): last], ramp[::-1])
        transient = fraction < 1.0
        steps = steps * fraction ** (-SPEED_EXPONENT)  # within a walk T ∝ v^−β (module docs)
        speed = speed * fraction
    hs_all = np.r_[0.0, np.cumsum(steps)]
    hs_r, hs_l = hs_all[0::2][: n_strides + 1], hs_all[1::2][: n_strides + 1]

    def marks(flags: np.ndarray, start: int) -> np.ndarray:
        return flags[start::2][:n_strides] | flags[start + 1 :: 2][:n_strides]

    def side(hs: np.ndarray, sign: float, start: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        stride = np.diff(hs)
        v = 0.5 * (speed[start::2][:n_strides] + speed[start + 1 :: 2][:n_strides])
        frac = timing.stance_pct / 100.0 - STANCE_SPEED_SLOPE * np.log(v / timing.gait_speed_m_s)
        swing = stride * (1.0 - frac) * (1.0 - sign * 0.5 * timing.asymmetry)
        swing = swing * (1.0 + SWING_NOISE_RATIO * cv * rng.standard_normal(n_strides))
        swing = np.clip(swing, 0.15 * stride, 0.7 * stride)
        return hs[:-1] + stride - swing, v, turning[start::2][:n_strides]

    to_r, v_r, turn_r = side(hs_r, 1.0, 0)
    to_l, v_l, turn_l = side(hs_l, -1.0, 1)
    if not start_stop:
        return Walk(hs_r, to_r, hs_l, to_l, v_r, v_l, turn_r, turn_l)
    return Walk(hs_r, to_r, hs_l, to_l, v_r, v_l, turn_r, turn_l, marks(transient, 0), marks(transient, 1))
