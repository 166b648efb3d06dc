"""Synthetic vs real insole recordings: the same features from both, compared by group.

``trialsim fidelity REAL_DIR --synthetic DIR`` or ``--cohort COHORT.yaml [--n N --seed S
--simulator ...]`` (recordings made in memory) — the V&V 40 validation evidence for a
synthetic training set:

1. **Read** both folders the same way (:func:`read_recordings`): ``subjects.csv`` with a
   ``subject`` column, and per subject ``<subject>.csv`` with ``total_l_n`` and
   ``total_r_n`` (or ``l1``…``l8``/``r1``…``r8`` to sum), or PhysioNet's raw
   ``<subject>.txt`` (19 whitespace-separated columns: time, L1–L8, R1–R8, total L, total
   R). Sampling rate from ``time_s`` (100 Hz if absent).
2. **Features** with :func:`trialsim.sensors.events.force_features` — one code path.
3. **Per feature and group**: means, SDs and the standardised difference
   ``(mean_synthetic − mean_real) / pooled SD``.
4. **Classifier two-sample test** (C2ST; Lopez-Paz & Oquab 2017) per group: L2-penalised
   logistic regression on the standardised features and their squares (so that a
   difference in spread is seen, not only in means), 5-fold stratified
   cross-validation, out-of-fold ROC AUC (0.5 = indistinguishable, 1.0 = separable).
5. **Report**: ``fidelity.html`` (tables and plots) and ``fidelity.csv``.

Groups: a ``pd`` column (1 = Parkinson's) or a ``condition`` column
(``parkinsons`` → ``pd``, ``healthy`` → ``control``), or the column given by ``--group``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from trialsim.errors import InputFileError, OutputPathError, TrialsimError
from trialsim.sensors.events import FEATURES, force_features
from trialsim.spec.cohort import CohortSpec

C2ST_FEATURES = (
    "stride_time_s", "stance_pct", "double_support_pct", "stride_time_cv_pct", "swing_time_cv_pct",
    "swing_asymmetry_pct", "dfa_alpha", "force_peak1_rel", "force_trough_rel", "force_peak2_rel", "force_peak1_time_pct",
)
LOG_FEATURES = ("stride_time_cv_pct", "swing_time_cv_pct", "swing_asymmetry_pct")
CONDITION_GROUPS = {"parkinsons": "pd", "healthy": "control"}


def _subjects(folder: Path) -> pd.DataFrame:
    if not folder.is_dir():
        raise InputFileError(f"{folder}: not a folder; give a folder with subjects.csv and one file per subject")
    path = folder / "subjects.csv"
    if not path.is_file():
        raise InputFileError(f"{path}: missing; the folder needs subjects.csv with a 'subject' column")
    try:
        df = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{path}: not a readable CSV ({str(exc).splitlines()[0]})") from None
    if "subject" not in df.columns:
        raise InputFileError(f"{path}: no 'subject' column (columns: {', '.join(map(str, df.columns))})")
    return df


def group_labels(subjects: pd.DataFrame, *, column: str | None = None, source: str = "subjects.csv") -> pd.Series:
    """Group of each subject (see module docs)."""
    if column is not None:
        if column not in subjects.columns:
            raise InputFileError(f"{source}: --group column {column!r} not found (columns: {', '.join(map(str, subjects.columns))})")
        return subjects[column].astype(str)
    if "pd" in subjects.columns:
        return pd.Series(np.where(subjects["pd"].astype(float) > 0, "pd", "control"), index=subjects.index)
    if "condition" in subjects.columns:
        return subjects["condition"].astype(str).map(lambda c: CONDITION_GROUPS.get(c, c))
    return pd.Series("all", index=subjects.index)


def _read_one(folder: Path, subject: str) -> tuple[np.ndarray, np.ndarray, float]:
    csv, txt = folder / f"{subject}.csv", folder / f"{subject}.txt"
    if csv.is_file():
        try:
            df = pd.read_csv(csv)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise InputFileError(f"{csv}: not a readable CSV ({str(exc).splitlines()[0]})") from None
        if {"total_l_n", "total_r_n"} <= set(df.columns):
            left, right = df["total_l_n"].to_numpy(float), df["total_r_n"].to_numpy(float)
        elif all(f"{s}{i}" in df.columns for s in "lr" for i in range(1, 9)):
            left = df[[f"l{i}" for i in range(1, 9)]].to_numpy(float).sum(1)
            right = df[[f"r{i}" for i in range(1, 9)]].to_numpy(float).sum(1)
        else:
            raise InputFileError(f"{csv}: needs columns total_l_n and total_r_n (or l1…l8 and r1…r8)")
        t = df["time_s"].to_numpy(float) if "time_s" in df.columns else None
    elif txt.is_file():
        try:
            raw = np.loadtxt(txt)
        except ValueError as exc:
            raise InputFileError(f"{txt}: not a whitespace-separated number table ({exc})") from None
        if raw.ndim != 2 or raw.shape[1] != 19:
            raise InputFileError(f"{txt}: expected 19 columns (time, L1-L8, R1-R8, total L, total R), got {raw.shape[-1]}")
        left, right, t = raw[:, 17], raw[:, 18], raw[:, 0]
    else:
        raise InputFileError(f"{folder}: no recording for subject {subject!r} (expected {subject}.csv or {subject}.txt)")
    rate = 1.0 / float(np.median(np.diff(t))) if t is not None and len(t) > 1 and np.median(np.diff(t)) > 0 else 100.0
    if len(left) < 10 * rate or not (np.isfinite(left).all() and np.isfinite(right).all()):
        raise InputFileError(f"{folder / subject}: recording shorter than 10 s or with missing values")
    return left, right, rate


def read_recordings(folder: Path, *, group: str | None = None) -> pd.DataFrame:
    """Features of every subject of a folder, with its ``group`` (see module docs)."""
    subjects = _subjects(folder)
    labels = group_labels(subjects, column=group, source=str(folder / "subjects.csv"))
    rows = []
    for i, subject in enumerate(subjects["subject"].astype(str)):
        left, right, rate = _read_one(folder, subject)
        rows.append({"subject": subject, "group": labels.iloc[i], **force_features(left, right, sample_rate_hz=rate)})
    return pd.DataFrame(rows)


def standardised_differences(real: pd.DataFrame, synthetic: pd.DataFrame) -> pd.DataFrame:
    """Per group and feature: means, SDs, and ``(mean_syn − mean_real) / pooled SD``."""
    rows = []
    groups = ["all", *sorted(set(real["group"]) & set(synthetic["group"]))]
    for g in groups:
        r = real if g == "all" else real[real["group"] == g]
        s = synthetic if g == "all" else synthetic[synthetic["group"] == g]
        for f in FEATURES:
            a, b = r[f].dropna(), s[f].dropna()
            pooled = np.sqrt(0.5 * (a.var(ddof=1) + b.var(ddof=1))) if len(a) > 1 and len(b) > 1 else np.nan
            rows.append({"group": g, "feature": f, "n_real": len(a), "n_synthetic": len(b),
                         "mean_real": a.mean(), "sd_real": a.std(ddof=1), "mean_synthetic": b.mean(), "sd_synthetic": b.std(ddof=1),
                         "standardised_difference": (b.mean() - a.mean()) / pooled if pooled and pooled > 0 else np.nan})
    return pd.DataFrame(rows)


def _design(df: pd.DataFrame, centre: pd.Series, scale: pd.Series) -> np.ndarray:
    x = df[list(C2ST_FEATURES)].copy()
    for f in LOG_FEATURES:
        x[f] = np.log(x[f].clip(lower=0) + 0.5)
    z = ((x - centre) / scale).fillna(0.0).to_numpy(float)
    return np.column_stack([z, z**2])


def _logistic_fit(x: np.ndarray, y: np.ndarray, *, l2: float = 1.0, weights: np.ndarray | None = None) -> np.ndarray:
    """L2-penalised logistic regression by Newton's method (intercept unpenalised)."""
    xa = np.column_stack([np.ones(len(x)), x])
    w = np.ones(len(y)) if weights is None else weights
    beta = np.zeros(xa.shape[1])
    pen = np.full(xa.shape[1], l2)
    pen[0] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(xa @ beta, -30, 30)))
        grad = xa.T @ (w * (p - y)) + pen * beta
        hess = (xa * (w * p * (1 - p))[:, None]).T @ xa + np.diag(pen + 1e-9)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return beta


def roc_auc(score: np.ndarray, label: np.ndarray) -> float:
    """Area under the ROC curve (ties count half)."""
    from scipy.stats import rankdata

    pos, n_pos = label == 1, int((label == 1).sum())
    n_neg = len(label) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(score)
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def c2st_auc(real: pd.DataFrame, synthetic: pd.DataFrame, *, folds: int = 5, seed: int = 0) -> float:
    """Out-of-fold AUC of a classifier telling synthetic (1) from real (0) (module docs, step 4)."""
    both = pd.concat([real, synthetic], ignore_index=True)
    y = np.r_[np.zeros(len(real)), np.ones(len(synthetic))]
    if min(len(real), len(synthetic)) < folds:
        return float("nan")
    rng = np.random.default_rng(seed)
    fold = np.empty(len(y), int)
    for cls in (0, 1):
        idx = np.flatnonzero(y == cls)
        fold[rng.permutation(idx)] = np.arange(len(idx)) % folds
    score = np.empty(len(y))
    for k in range(folds):
        train, test = fold != k, fold == k
        feats = both[list(C2ST_FEATURES)].copy()
        for f in LOG_FEATURES:
            feats[f] = np.log(feats[f].clip(lower=0) + 0.5)
        centre, scale = feats[train].median(), feats[train].std().replace(0, 1.0)
        x = _design(both, centre, scale)
        weights = np.where(y == 1, (y[train] == 0).sum() / max((y[train] == 1).sum(), 1), 1.0)  # balance the classes
        beta = _logistic_fit(x[train], y[train], weights=weights[train])
        score[test] = np.column_stack([np.ones(test.sum()), x[test]]) @ beta
    return roc_auc(score, y)


def c2st_by_group(real: pd.DataFrame, synthetic: pd.DataFrame) -> pd.DataFrame:
    rows = [{"group": "all", "n_real": len(real), "n_synthetic": len(synthetic), "c2st_auc": c2st_auc(real, synthetic)}]
    for g in sorted(set(real["group"]) & set(synthetic["group"])):
        r, s = real[real["group"] == g], synthetic[synthetic["group"] == g]
        rows.append({"group": g, "n_real": len(r), "n_synthetic": len(s), "c2st_auc": c2st_auc(r, s)})
    return pd.DataFrame(rows)


def cohort_features(cohort: CohortSpec, *, n: int, seed: int, simulator: str) -> pd.DataFrame:
    """Features of ``n`` synthetic insole recordings of a cohort, made in memory (``--cohort``)."""
    from trialsim.datasets.synth import insole_features
    from trialsim.generative.simulators import simulator_named as select_simulator

    df = insole_features(cohort, n=n, seed=seed, simulator=select_simulator(simulator))
    out = pd.DataFrame({"subject": df["subject"], "group": group_labels(df)})
    for f in FEATURES:
        out[f] = df[f"feature_{f}"].to_numpy()
    return out


def fidelity_report(
    real_dir: Path, synthetic_dir: Path | None, *, out: Path, group: str | None = None,
    cohort: Path | None = None, n: int = 200, seed: int = 0, simulator: str = "reference",
) -> Path:
    """Write ``out/fidelity.html`` and ``out/fidelity.csv``; returns the HTML path.

    The synthetic side is a ``trialsim synth insoles`` folder, or (``cohort``) ``n``
    recordings of that cohort made in memory.
    """
    from trialsim.datasets.fidelity_html import render_fidelity_html

    if (synthetic_dir is None) == (cohort is None):
        raise TrialsimError("give exactly one of --synthetic DIR or --cohort COHORT.yaml")
    if out.exists() and not out.is_dir():
        raise OutputPathError(f"--out: {out} is a file; give a folder")
    if not out.resolve().parent.is_dir():
        raise OutputPathError(f"--out: folder {out.resolve().parent} does not exist; create it first")
    spec = None
    if cohort is not None:
        from trialsim.spec.loading import load_cohort

        if simulator not in ("reference", "generator"):
            raise TrialsimError(f"--simulator: {simulator!r} unknown (allowed: reference, generator)")
        spec = load_cohort(cohort)
    real = read_recordings(real_dir, group=group)
    if spec is None:
        assert synthetic_dir is not None
        source = synthetic_dir
        synthetic = read_recordings(synthetic_dir, group=group)
    else:
        assert cohort is not None
        source = cohort
        synthetic = cohort_features(spec, n=n, seed=seed, simulator=simulator)
    if real[list(C2ST_FEATURES)].dropna().empty or synthetic[list(C2ST_FEATURES)].dropna().empty:
        raise TrialsimError(f"{real_dir if real[list(C2ST_FEATURES)].dropna().empty else source}: no recording had 3 clean strides per foot; are these walking insole recordings?")
    diffs = standardised_differences(real, synthetic)
    c2st = c2st_by_group(real, synthetic)
    out.mkdir(exist_ok=True)
    tmp = out / ".fidelity.csv.tmp"
    diffs.merge(c2st[["group", "c2st_auc"]], on="group", how="left").to_csv(tmp, index=False)
    tmp.replace(out / "fidelity.csv")
    html = render_fidelity_html(real, synthetic, diffs, c2st, real_dir=real_dir, synthetic_dir=source)
    tmp = out / ".fidelity.html.tmp"
    tmp.write_text(html)
    tmp.replace(out / "fidelity.html")
    return out / "fidelity.html"
