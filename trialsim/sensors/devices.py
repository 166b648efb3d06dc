"""Measurement devices: true gait → observed endpoint, with each device's documented error.

Errors are per measure: a relative bias and an absolute noise SD of one test
(within-session measurement error). Day-to-day biological variability belongs to
the simulator, not the device.

Sources
-------
- Stopwatch 10-metre walk: MDC95 ≈ 0.09 m/s in PD (REFERENCE §3; Steffen & Seney
  2008, Phys Ther 88:733) → SEM = MDC95 / (1.96·√2) ≈ 0.032 m/s; hand timing reads
  ≈ 2 % fast (reaction time at start/stop).
- Instrumented walkway (GAITRite): ICC > 0.9, speed error ≈ 0.02 m/s, step length
  ≈ 1 cm (Webster et al. 2005, Gait Posture 22:317; Bilney 2003).
- Pressure insoles: timing-based, stride time error ≈ 10 ms, speed from stride
  length estimates ≈ 0.05 m/s (Hegde 2016 review).
- Ankle IMU: stride length error ≈ 1.5 ± 6.8 cm, speed ≈ 0.02 ± 0.06 m/s
  (Mariani et al. 2010, J Biomech 43:2999).
- Lumbar IMU: speed error ≈ 0.08 m/s (Zijlstra & Hof 2003 inverted-pendulum model).
- Smartphone video pose: speed error ≈ 0.05–0.1 m/s, step length ≈ 3 cm, cadence
  ≈ 2 steps/min (Stenum et al. 2021, PLoS Comput Biol 17:e1008935).

Signal-level models (checked against these errors in ``tests/sensors``):
:mod:`.insoles` (vertical force under each foot over a continuous walk built from the
generated vGRF curves, and event detection), :mod:`.imu` (free-living stride
velocities, SV95C; inverted-pendulum step length), :mod:`.video` (2D keypoints of
hip/knee/ankle/toe through a pinhole camera from the generated joint angles, and gait
re-estimated from them). ``measure`` applies the summary error, fast enough for
trials of thousands of patients.

Where a device has a signal path (:mod:`.signal_devices`: insoles, ankle-IMU timing,
phone video), ``measure``'s figures are calibrated to it (``tests/sensors/
test_signal_devices.py``, figures in BENCHMARKS.md, "device error from signals"):
the relative bias is the signal path's (threshold event detection, with the insole's
contact timing of :mod:`.insoles`, reads stance 1.9 % short and double support 9.4 %
short; cleaning turns and outlier strides reads the stride-time CV 3–6 % low over a 60 s
walk (3.3 % over 180 patients, 6.1 % over the test's 40, 2026-12-02; 5.5–8.5 % before
the insole's 3 ms heel-strike jitter added ≈ 4 ms of stride noise); video reads step length 6 % short (30 fps and smoothing miss the extreme ankle
separation) and peak
swing knee flexion 12 % high), and the noise SD is the larger of the literature figure
above and the signal path's (real devices have error sources the signal models lack:
sensor hysteresis, insole fit, foot slip, occlusion), so the fast path is never more
precise than the signals or the literature say.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class MeasureError:
    relative_bias: float
    noise_sd: float


@dataclass(frozen=True)
class Device:
    name: str
    description: str
    errors: dict[str, MeasureError]

    def measures(self) -> tuple[str, ...]:
        return tuple(self.errors)


DEVICES: dict[str, Device] = {
    "stopwatch_10mwt": Device(
        "stopwatch_10mwt", "stopwatch-timed 10-metre walk test",
        {"gait_speed_m_s": MeasureError(0.02, 0.032)},
    ),
    "walkway": Device(
        "walkway", "instrumented walkway (pressure-sensitive mat)",
        {
            "gait_speed_m_s": MeasureError(0.0, 0.02), "step_length_m": MeasureError(0.0, 0.01),
            "stride_length_m": MeasureError(0.0, 0.015), "cadence_steps_min": MeasureError(0.0, 1.0),
            "stride_time_s": MeasureError(0.0, 0.01), "stride_time_cv_pct": MeasureError(0.0, 0.3),
            "stance_pct": MeasureError(0.0, 0.8), "swing_pct": MeasureError(0.0, 0.8),
            "double_support_pct": MeasureError(0.0, 1.2),
        },
    ),
    "insoles": Device(
        "insoles", "pressure insoles (vertical force under each foot, continuous walk)",
        {
            "gait_speed_m_s": MeasureError(0.0, 0.05), "cadence_steps_min": MeasureError(0.0, 0.8),
            "stride_time_s": MeasureError(0.0, 0.01), "stride_time_cv_pct": MeasureError(-0.033, 0.39),
            "stance_pct": MeasureError(-0.019, 1.0), "swing_pct": MeasureError(0.033, 1.0),
            "double_support_pct": MeasureError(-0.094, 1.5),
        },
    ),
    "imu_ankle": Device(
        "imu_ankle", "ankle-worn inertial sensor",
        {
            "gait_speed_m_s": MeasureError(0.015, 0.06), "stride_length_m": MeasureError(0.01, 0.068),
            "step_length_m": MeasureError(0.01, 0.034), "cadence_steps_min": MeasureError(0.0, 1.5),
            "stride_time_s": MeasureError(0.0, 0.015), "stride_time_cv_pct": MeasureError(-0.04, 0.4),
        },
    ),
    "imu_lumbar": Device(
        "imu_lumbar", "lumbar-worn inertial sensor",
        {
            "gait_speed_m_s": MeasureError(0.0, 0.08), "step_length_m": MeasureError(0.0, 0.05),
            "cadence_steps_min": MeasureError(0.0, 1.5), "stride_time_s": MeasureError(0.0, 0.015),
            "stride_time_cv_pct": MeasureError(0.0, 0.5),
        },
    ),
    "phone_video": Device(
        "phone_video", "smartphone video with 2D pose estimation",
        {
            "gait_speed_m_s": MeasureError(0.0, 0.07), "step_length_m": MeasureError(-0.062, 0.03),
            "stride_length_m": MeasureError(-0.062, 0.05), "cadence_steps_min": MeasureError(0.0, 4.0),
            "peak_knee_flexion_swing_deg": MeasureError(0.12, 4.0),
        },
    ),
}


def device_named(name: str) -> Device:
    """The device registered as ``name``; an unknown name is a one-line error listing the allowed ones."""
    from trialsim.errors import TrialsimError

    try:
        return DEVICES[name]
    except KeyError:
        raise TrialsimError(f"device: {name!r} unknown (allowed: {', '.join(DEVICES)})") from None


def measure(
    true_gait: Mapping[str, np.ndarray], *, device: str, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Observe true gait through ``device``: only the measures it reports, with its error.

    Examples
    --------
    >>> obs = measure({"gait_speed_m_s": np.array([1.2])}, device="stopwatch_10mwt",
    ...               rng=np.random.default_rng(0))
    >>> sorted(obs)
    ['gait_speed_m_s']
    """
    spec = device_named(device)
    observed = {}
    for name, err in spec.errors.items():
        if name not in true_gait:
            continue
        value = np.asarray(true_gait[name], dtype=float)
        observed[name] = value * (1.0 + err.relative_bias) + rng.normal(0.0, err.noise_sd, size=value.shape)
    return observed
