"""Smartphone video pose: 2D keypoints through a virtual pinhole camera, and gait from them.

The sagittal-plane leg of each side is posed from the generated joint angles
(``hip_flexion_<s>_deg``, ``knee_flexion_<s>_deg``, ``ankle_dorsiflexion_<s>_deg``) with
Winter's segment proportions (thigh 0.245 H, shank 0.246 H, foot 0.152 H, ankle height
0.039 H), the pelvis moving forward at the gait speed. A pinhole camera (focal length
``focal_px``, image 1920×1080, at ``distance_m`` from the line of walking, lens at
``camera_height_m``) projects hip, knee, ankle and toe of both legs; each keypoint gets
Gaussian pixel noise (``noise_px``, 3 px by assumption for a 1080p pose estimator) and
the recording is sampled at ``fps``.

Re-estimation (:func:`video_gait_estimates`) uses the keypoints only: metres per pixel
from the median thigh + shank pixel length against the leg length expected from the
patient's height (anthropometric scaling; real legs differ from Winter's proportion
by ≈ 3 %, drawn per recording), gait speed from a straight-line fit to the hip's
horizontal track, steps from the maxima of the ankles' horizontal separation, peak
swing knee flexion from the hip–knee–ankle angle. The documented device error
(``DEVICES["phone_video"]``: speed ≈ 0.07 m/s, step length ≈ 3 cm, Stenum et al. 2021)
is what this pipeline's error is checked against in the tests.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

THIGH, SHANK, FOOT, ANKLE_HEIGHT = 0.245, 0.246, 0.152, 0.039
LEG_RATIO_SD = 0.03
KEYPOINTS = ("hip_r", "knee_r", "ankle_r", "toe_r", "hip_l", "knee_l", "ankle_l", "toe_l")


@dataclass(frozen=True)
class Camera:
    """A static pinhole camera looking perpendicular at the line of walking."""

    focal_px: float = 1400.0
    distance_m: float = 4.5
    camera_height_m: float = 1.0
    centre_px: tuple[float, float] = (960.0, 540.0)
    fps: float = 30.0
    noise_px: float = 3.0


def _leg(hip_x: np.ndarray, hip_y: np.ndarray, hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray, height: float) -> np.ndarray:
    th, kn, an = np.radians(hip), np.radians(knee), np.radians(ankle)
    kx, ky = hip_x + THIGH * height * np.sin(th), hip_y - THIGH * height * np.cos(th)
    alpha = th - kn
    ax, ay = kx + SHANK * height * np.sin(alpha), ky - SHANK * height * np.cos(alpha)
    tx, ty = ax + FOOT * height * np.cos(an + alpha), ay + FOOT * height * np.sin(an + alpha)
    return np.stack([np.stack([hip_x, hip_y], -1), np.stack([kx, ky], -1), np.stack([ax, ay], -1), np.stack([tx, ty], -1)], 1)


def pose_keypoints(
    curves: dict[str, np.ndarray], gait_cycle_pct: np.ndarray, *, height_m: float, gait_speed_m_s: float,
    stride_time_s: float, n_strides: int = 3, camera: Camera | None = None, rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Frame times ``(F,)`` and noisy pixel keypoints ``(F, 8, 2)`` (order: :data:`KEYPOINTS`)."""
    cam = camera or Camera()
    t = np.arange(0.0, n_strides * stride_time_s, 1.0 / cam.fps)
    phase = (t / stride_time_s) % 1.0
    pct = np.asarray(gait_cycle_pct, dtype=float) / 100.0

    def at(name: str) -> np.ndarray:
        return np.interp(phase, pct, curves[name], period=1.0)

    hip_x = gait_speed_m_s * t - 0.5 * gait_speed_m_s * n_strides * stride_time_s
    hip_y = np.full(len(t), (THIGH + SHANK + ANKLE_HEIGHT) * height_m * 0.98)
    legs = [_leg(hip_x, hip_y, at(f"hip_flexion_{s}_deg"), at(f"knee_flexion_{s}_deg"), at(f"ankle_dorsiflexion_{s}_deg"), height_m)
            for s in ("r", "l")]
    world = np.concatenate(legs, axis=1)  # (F, 8, 2) metres
    u = cam.centre_px[0] + cam.focal_px * world[..., 0] / cam.distance_m
    v = cam.centre_px[1] - cam.focal_px * (world[..., 1] - cam.camera_height_m) / cam.distance_m
    pixels = np.stack([u, v], -1)
    return t, pixels + cam.noise_px * rng.standard_normal(pixels.shape)


def video_gait_estimates(
    t: np.ndarray, pixels: np.ndarray, *, height_m: float, rng: np.random.Generator,
) -> dict[str, float]:
    """Gait speed, step/stride length, cadence and peak swing knee flexion from keypoints."""
    seg = lambda a, b: np.linalg.norm(pixels[:, a] - pixels[:, b], axis=-1)  # noqa: E731
    leg_px = np.median(np.r_[seg(0, 1) + seg(1, 2), seg(4, 5) + seg(5, 6)])
    leg_m = (THIGH + SHANK) * height_m * (1.0 + LEG_RATIO_SD * rng.standard_normal())
    m_per_px = leg_m / leg_px
    hip_x = 0.5 * (pixels[:, 0, 0] + pixels[:, 4, 0]) * m_per_px
    speed = float(np.polyfit(t, hip_x, 1)[0])
    sep = (pixels[:, 2, 0] - pixels[:, 6, 0]) * m_per_px
    sep = np.convolve(sep, np.ones(3) / 3.0, mode="same")
    # one step per half-cycle: the extreme ankle separation between two sign changes
    crossings = np.flatnonzero(np.sign(sep[1:]) != np.sign(sep[:-1])) + 1
    extremes = [a + int(np.argmax(np.abs(sep[a:b]))) for a, b in itertools.pairwise(crossings) if b - a > 2]
    step_lengths = np.abs(sep[extremes]) if extremes else np.array([np.nan])
    step_times = np.diff(t[extremes]) if len(extremes) > 1 else np.array([np.nan])
    v1, v2 = pixels[:, 4] - pixels[:, 5], pixels[:, 6] - pixels[:, 5]
    knee_l = 180.0 - np.degrees(np.arccos(np.clip((v1 * v2).sum(-1) / (np.linalg.norm(v1, axis=-1) * np.linalg.norm(v2, axis=-1)), -1, 1)))
    w1, w2 = pixels[:, 0] - pixels[:, 1], pixels[:, 2] - pixels[:, 1]
    knee_r = 180.0 - np.degrees(np.arccos(np.clip((w1 * w2).sum(-1) / (np.linalg.norm(w1, axis=-1) * np.linalg.norm(w2, axis=-1)), -1, 1)))
    step = float(np.median(step_lengths))
    step_time = float(np.median(step_times))
    return {
        "gait_speed_m_s": speed,
        "step_length_m": step,
        "stride_length_m": 2.0 * step,
        "cadence_steps_min": 60.0 / step_time,
        "peak_knee_flexion_swing_deg": 0.5 * float(knee_r.max() + knee_l.max()),
    }


def walk_keypoints(
    kin, *, camera: Camera | None = None, rng: np.random.Generator, swap_probability: float = 0.01,  # type: ignore[no-untyped-def]
    error_autocorrelation: float = 0.7,
) -> tuple[np.ndarray, np.ndarray]:
    """Frame times and pixel keypoints ``(F, 8, 2)`` of a stride-by-stride walk (order: :data:`KEYPOINTS`).

    ``kin`` is a :class:`~trialsim.sensors.kinematics.Kinematics` (each leg on its own
    foot's timing). The walker passes the camera's optical axis mid-recording. Pose
    estimation error: per keypoint, Gaussian pixel error with SD ``camera.noise_px``
    that is correlated from frame to frame (AR(1), ``error_autocorrelation``; a pose
    estimator's errors persist over neighbouring frames), and with probability
    ``swap_probability`` per frame the left and right legs are swapped (the left/right
    confusion of 2-D pose estimators in side views, Stenum et al. 2021). Both are
    assumptions of this model, documented here.
    """
    cam = camera or Camera()
    t = np.arange(kin.time_s[0], kin.time_s[-1], 1.0 / cam.fps)
    names = ("hip_r", "knee_r", "ankle_r", "toe_r", "hip_l", "knee_l", "ankle_l", "toe_l")
    world = np.stack([np.stack([np.interp(t, kin.time_s, kin.points[n][:, d]) for d in (0, 1)], -1) for n in names], 1)
    world[..., 0] -= 0.5 * (world[0, 0, 0] + world[-1, 0, 0])
    u = cam.centre_px[0] + cam.focal_px * world[..., 0] / cam.distance_m
    v = cam.centre_px[1] - cam.focal_px * (world[..., 1] - cam.camera_height_m) / cam.distance_m
    pixels = np.stack([u, v], -1)
    rho = float(np.clip(error_autocorrelation, 0.0, 0.99))
    innovations = cam.noise_px * np.sqrt(1.0 - rho**2) * rng.standard_normal(pixels.shape)
    err = np.empty_like(pixels)
    err[0] = cam.noise_px * rng.standard_normal(pixels.shape[1:])
    for i in range(1, len(t)):
        err[i] = rho * err[i - 1] + innovations[i]
    pixels = pixels + err
    swap = rng.random(len(t)) < swap_probability
    pixels[swap] = pixels[swap][:, [4, 5, 6, 7, 0, 1, 2, 3]]
    return t, pixels
