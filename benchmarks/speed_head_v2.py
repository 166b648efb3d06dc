"""Benchmark the learned self-selected speed on a library-v2 snapshot (issue #15's held-out figures).

    .venv/bin/python benchmarks/speed_head_v2.py LIBRARY [--later LATER_LIBRARY]   # seconds; no flow trained

The direct speed head (the automatic choice on v2, ``TrainConfig.speed_head = -1``), scored as
``trialsim generator evaluate --speed-only`` scores it (grouped folds by body; constant
predictor = the other folds' mean; one sampled body per held-out body). Prints ``name: value``
lines (BENCHMARKS.md-ready):

- ``seed_S``: 5 grouped folds with split seed S (0–4), then their mean and range, and
  leave-one-body-out;
- with ``--later``: the head fitted on every body of LIBRARY predicts the bodies LATER adds
  (a snapshot of the same build taken later): bodies no design choice ever saw.
"""

from __future__ import annotations

import argparse

import numpy as np

KEYS = ("correlation", "mae_ratio_vs_constant", "sampled_sd_ratio")


def _line(name: str, f: dict) -> str:
    return (f"{name}: n {f['n_bodies']}, r {f['correlation']:.2f}, MAE {f['mae_m_s']:.3f} m/s "
            f"({f['mae_ratio_vs_constant']:.2f} × constant {f['constant_mae_m_s']:.3f}), "
            f"sampled SD ratio {f['sampled_sd_ratio']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("library")
    parser.add_argument("--later", default=None, help="a later snapshot of the same v2 build")
    args = parser.parse_args()

    from trialsim.generative.dataset import load_training_data
    from trialsim.generative.speed_model import (
        clip_log_relative_speed,
        fit_speed_head,
        flow_speed_range,
        held_out_speed,
        self_selected_targets,
        speed_figures,
    )
    from trialsim.physiology.parameters import centre_speed_m_s

    data = load_training_data(args.library)
    runs = [held_out_speed(data, folds=5, seed=s) for s in range(5)]
    for s, f in enumerate(runs):
        print(_line(f"seed_{s}", f))
    for key in KEYS:
        v = np.array([f[key] for f in runs])
        print(f"{key}_over_seeds: mean {v.mean():.3f}, range {v.min():.3f}–{v.max():.3f}")
    print(_line("leave_one_body_out", held_out_speed(data, folds=int(data.bodies.max()) + 1, seed=0)))
    if args.later:
        later = load_training_data(args.later)
        known = set(data.sim_ids)
        new = np.array([i for i, sid in enumerate(later.sim_ids) if sid not in known], dtype=int)
        new_data = later.subset(new)
        rows, speed, source = self_selected_targets(new_data)
        head = fit_speed_head(data, seed=0)
        if head is None or len(rows) < 3 or data.feature_names != later.feature_names:
            print(f"later_bodies: {len(rows)} new bodies; not scored (need ≥ 3 and the same features)")
            return
        mean = clip_log_relative_speed(head.mean_log_relative(new_data.features[rows, :-1]),
                                       flow_speed_range(data, speed_siblings=0))
        u = np.random.default_rng([0, 13]).standard_normal(len(rows))
        height = new_data.params["height_m"][rows]
        typical = centre_speed_m_s(height) * np.exp(mean)
        sampled = centre_speed_m_s(height) * np.exp(mean + head.tau * u)
        _, first_speed, _ = self_selected_targets(data)
        constant = np.full(len(rows), first_speed.mean())
        print(_line("later_bodies_fit_on_library", speed_figures(speed, typical, sampled, constant, source)))


if __name__ == "__main__":
    main()
