"""Border lie detection: a lab accuracy figure meets the border's base rate.

Stands for iBorderCtrl (EU Horizon 2020, pilots 2018–2019), whose deception
module was reported to score about 76% accuracy on about thirty people, half
of them told to lie. A model trained on a small, balanced lab sample of mostly
one origin is deployed on a stream of travellers in which almost nobody lies
and whose expression norms differ by origin.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from sklearn.feature_selection import SelectKBest, f_classif
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from fairness import format_estimate
from fairness._estimate import estimate

from ._display import sweep_series
from ._framework import Case, Column, Headline, Knob, Spec

ORIGINS = ("region A", "region B", "region C", "region D")
ORIGIN_SHARES = (0.5, 0.2, 0.2, 0.1)
SETTINGS = ("lab", "deployment")
MAJORITY = ORIGINS[0]  # where the lab recruited its volunteers

# Micro-gesture channels, each a count of events detected in the interview. The first four
# carry the (weak) deception signal; the next four are where region D's
# baseline differs; the rest are noise the model may pick up by accident.
SIGNAL = ("gaze_aversion", "blinks", "lip_press", "brow_raise")
D_SHIFTED = ("head_tilt", "smile_asymmetry", "hand_to_face", "nods")
OTHER = ("brow_lower", "lid_tighten", "eye_widen", "eye_squint", "nose_wrinkle",
         "nostril_flare", "cheek_raise", "lip_corner_pull", "lip_corner_drop", "lip_stretch",
         "lip_funnel", "lip_bite", "jaw_drop", "jaw_clench", "chin_raise", "dimple", "swallow",
         "head_turn", "head_shake", "head_forward", "shoulder_shrug", "posture_shift",
         "gaze_shifts", "pupil_change", "face_flush", "tongue_show", "mouth_open",
         "eye_roll")
FEATURES = SIGNAL + D_SHIFTED + OTHER

# Counts are whole numbers: a real detector counts events, and whole numbers keep
# the record's data fingerprint (a CSV of every value) fast to compute.
COUNT_MEAN, COUNT_SD = 15, 5  # events per interview of region A's innocent travellers
SIGNAL_SHIFT = 2.5  # extra events on each signal channel when lying: half a standard deviation
# How each origin's innocent travellers differ from region A's, in events per interview.
BASELINES = {
    "region A": {},
    "region B": {c: 2.0 for c in SIGNAL},
    "region C": {},
    "region D": {c: 4.0 for c in D_SHIFTED},
}
SELECTED_CHANNELS = 6  # SelectKBest's k: the vendor keeps the "best" six channels
CV_FOLDS = 5
LAB_MALE_SHARE = 0.7  # the reported lab study was unbalanced in gender
LAB_UNDER_40_SHARE = 0.85  # volunteers, mostly students and staff
PER = 100_000  # travellers, for natural frequencies
N_LABS_ANALYSIS = 100  # imagined repeat lab studies for the "lab lottery"
N_LABS_SWEEP = 10


def _baseline_matrix() -> np.ndarray:
    m = np.zeros((len(ORIGINS), len(FEATURES)))
    for i, origin in enumerate(ORIGINS):
        for channel, shift in BASELINES[origin].items():
            m[i, FEATURES.index(channel)] = shift
    return m


def _signal_vector() -> np.ndarray:
    return np.array([SIGNAL_SHIFT if c in SIGNAL else 0.0 for c in FEATURES])


def _categorical(codes: np.ndarray, names: tuple[str, ...]) -> pd.Categorical:
    # Categories rather than strings: the same values, built without a string per row.
    return pd.Categorical.from_codes(codes, categories=list(names))


def _travellers(rng: np.random.Generator, origin_code: np.ndarray, deceptive: np.ndarray,
                male_share: float, under_40_share: float, setting: str) -> pd.DataFrame:
    n = len(origin_code)
    male = (rng.random(n) < male_share).astype(np.int8)
    over_40 = (rng.random(n) >= under_40_share).astype(np.int8)
    # Single precision is ample for whole counts under a few hundred, and twice as fast.
    counts = rng.standard_normal((n, len(FEATURES)), dtype=np.float32)
    counts *= COUNT_SD
    counts += COUNT_MEAN
    counts += _baseline_matrix().astype(np.float32)[origin_code]
    counts[deceptive == 1] += _signal_vector().astype(np.float32)
    np.round(counts, out=counts)
    np.clip(counts, 0, None, out=counts)
    frame = pd.DataFrame({
        "setting": _categorical(np.full(n, SETTINGS.index(setting), dtype=np.int8), SETTINGS),
        "origin": _categorical(origin_code, ORIGINS),
        "sex": _categorical(male, ("female", "male")),
        "age_band": _categorical(over_40, ("under 40", "40 and over")),
        "deceptive": deceptive.astype(np.int64),
    })
    return pd.concat([frame, pd.DataFrame(counts.astype(np.int64), columns=list(FEATURES))],
                     axis=1)


def _lab(rng: np.random.Generator, lab_size: int, lab_origin_mix: float) -> pd.DataFrame:
    """A balanced lab study: half the volunteers told to lie, mostly from region A."""
    n_major = int(round(lab_origin_mix * lab_size))
    others = np.asarray(ORIGIN_SHARES[1:]) / sum(ORIGIN_SHARES[1:])
    origin = np.concatenate([np.zeros(n_major, dtype=np.int64),
                             1 + rng.choice(len(others), size=lab_size - n_major, p=others)])
    deceptive = rng.permutation(np.arange(lab_size) < lab_size // 2).astype(np.int64)
    return _travellers(rng, origin, deceptive, LAB_MALE_SHARE, LAB_UNDER_40_SHARE, "lab")


def make_border_lie_detection_data(
    n_samples: int = 100_000,
    random_state: int = 0,
    *,
    lab_size: int = 32,
    lab_origin_mix: float = 0.9,
    prevalence: float = 0.001,
) -> pd.DataFrame:
    """Generate a lab study of acted lies and a stream of travellers at a border.

    Every person has 36 "micro-gesture" channels, each a count of events
    detected during the interview (mean 15, standard deviation 5 for region
    A's innocent travellers). Four of them (gaze aversion, blinks, lip
    press, brow raise) are 2.5 events higher in people who lie: a weak
    signal, half a standard deviation. Innocent people's baselines differ by
    origin: region B's expression norms add 2 events on those same four
    channels, so that its innocent travellers look a little like liars;
    region D's add 4 events on four channels that carry no signal (head tilt,
    smile asymmetry, hand to face, nods); region C's equal region A's.
    Sex and age band change nothing.

    The lab study (``setting == "lab"``) has ``lab_size`` volunteers, exactly
    half of them told to lie, ``lab_origin_mix`` of them from region A and the
    rest from regions B–D in proportion to their share of travellers; 70% are
    men and 85% under 40. The border (``setting == "deployment"``) has
    ``n_samples`` travellers, origins in shares 50/20/20/10%, each lying with
    probability ``prevalence``.

    The lab and the border are drawn from independent streams of the seed, so
    changing a lab knob leaves the travellers unchanged and vice versa; and a
    traveller who lies at one prevalence still lies at any higher one.

    Parameters
    ----------
    n_samples : int
        Number of travellers at the border (the frame has ``lab_size`` more rows).
    random_state : int
        Seed.
    lab_size : int
        Number of volunteers in the lab study (half told to lie).
    lab_origin_mix : float
        Share of the lab drawn from region A, which is 50% of the travellers
        (0.5 makes the lab's origins match the border's).
    prevalence : float
        Share of travellers at the border who lie, in [0.0001, 0.5].

    Returns
    -------
    pandas.DataFrame
        One row per person: ``setting`` ("lab" or "deployment"), ``origin``,
        ``sex``, ``age_band``, ``deceptive`` (the truth, which the lab knows
        and the border does not) and the 36 micro-gesture counts.

    Examples
    --------
    >>> df = make_border_lie_detection_data(1000, random_state=0)
    >>> df["setting"].value_counts().to_dict()
    {'deployment': 1000, 'lab': 32}
    >>> int(df.loc[df["setting"] == "lab", "deceptive"].sum())
    16
    """
    if not 0.0001 <= prevalence <= 0.5:
        raise ValueError(f"prevalence must be in [0.0001, 0.5], got {prevalence!r}")
    if not 0.0 <= lab_origin_mix <= 1.0:
        raise ValueError(f"lab_origin_mix must be in [0, 1], got {lab_origin_mix!r}")
    if lab_size < 2 * CV_FOLDS:
        raise ValueError(f"lab_size must be at least {2 * CV_FOLDS}, got {lab_size!r}")
    lab_seq, border_seq = np.random.SeedSequence(random_state).spawn(2)
    lab = _lab(np.random.default_rng(lab_seq), int(lab_size), lab_origin_mix)
    rng = np.random.default_rng(border_seq)
    origin = rng.choice(len(ORIGINS), size=n_samples, p=ORIGIN_SHARES)
    # One uniform per traveller: the liars at a low prevalence stay liars at a higher one.
    deceptive = (rng.random(n_samples) < prevalence).astype(np.int64)
    border = _travellers(rng, origin, deceptive, 0.5, 0.6, "deployment")
    return pd.concat([lab, border], ignore_index=True)


def _classifier() -> LogisticRegression:
    # Newton-Cholesky: the same fit as the default solver, several times faster on
    # a handful of channels, which the many imagined lab studies need.
    return LogisticRegression(solver="newton-cholesky", max_iter=1000)


def _model(spec: Spec | None = None) -> Pipeline:
    return Pipeline([
        ("select", SelectKBest(f_classif, k=SELECTED_CHANNELS)),
        ("scale", StandardScaler()),
        ("classify", _classifier()),
    ])


def _split(data: pd.DataFrame, spec: Spec) -> tuple[pd.DataFrame, pd.DataFrame]:
    lab = data[data["setting"] == "lab"].reset_index(drop=True)
    border = data[data["setting"] == "deployment"].reset_index(drop=True)
    return lab, border


# ---------------------------------------------------------------- lab accuracy

def _cv_accuracy(make, X: np.ndarray, y: np.ndarray, seed: int) -> float:
    """Share of volunteers predicted right when held out, over stratified folds."""
    right = 0
    for train, held in StratifiedKFold(CV_FOLDS, shuffle=True, random_state=seed).split(X, y):
        right += int((make().fit(X[train], y[train]).predict(X[held]) == y[held]).sum())
    return right / len(y)


def _standardised_fit(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, Any]:
    """StandardScaler then the classifier, done by hand: the same fit as the pipeline's
    last two steps without its per-call checks, which dominate on a few dozen rows."""
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    return mean, scale, _classifier().fit((X - mean) / scale, y)


def _flags(fit: tuple[np.ndarray, np.ndarray, Any], X: np.ndarray) -> np.ndarray:
    mean, scale, clf = fit
    return (((X - mean) / scale) @ clf.coef_[0] + clf.intercept_[0] > 0).astype(np.int64)


def _vendor_cv(X: np.ndarray, y: np.ndarray, seed: int) -> float:
    """The channels chosen on the whole lab, then the classifier cross-validated on them."""
    chosen = X[:, _chosen(X, y)]
    right = 0
    for train, held in StratifiedKFold(CV_FOLDS, shuffle=True, random_state=seed).split(X, y):
        right += int((_flags(_standardised_fit(chosen[train], y[train]), chosen[held])
                      == y[held]).sum())
    return right / len(y)


def _chosen(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    return SelectKBest(f_classif, k=SELECTED_CHANNELS).fit(X, y).get_support()


def _lab_accuracies(lab: pd.DataFrame, seed: int) -> dict[str, float]:
    """Training, vendor-style and honest cross-validated accuracy on one lab sample.

    The vendor's protocol picks the six channels that best separate liars in
    the *whole* lab sample, then cross-validates the classifier on those
    channels: the held-out volunteers helped choose the channels, so the
    score is optimistic, the more so the smaller the lab. The honest protocol
    chooses the channels again inside every training fold.
    """
    X, y = lab[list(FEATURES)].to_numpy(), lab["deceptive"].to_numpy()
    return {"training": float((_model().fit(X, y).predict(X) == y).mean()),
            "vendor_cv": _vendor_cv(X, y, seed),
            "honest_cv": _cv_accuracy(_model, X, y, seed)}


def _binomial_estimate(p: float, n: int, rng: np.random.Generator) -> tuple[dict, np.ndarray]:
    """A proportion from ``n`` people with a percentile bootstrap interval (and its draws)."""
    reps = rng.binomial(n, p, size=1000) / n
    return estimate(p, reps, 0.95, "no people"), reps


@lru_cache(maxsize=1024)
def _repeat_lab(seed: int, lab_size: int, lab_origin_mix: float, i: int):
    """The i-th imagined repeat of the lab study: its reported accuracy and its model.

    Cached because the lab does not depend on the border: the prevalence
    sweep reuses the labs of the default run.
    """
    seq = np.random.SeedSequence([seed, 7]).spawn(i + 1)[i]
    lab = _lab(np.random.default_rng(seq), lab_size, lab_origin_mix)
    X, y = lab[list(FEATURES)].to_numpy(), lab["deceptive"].to_numpy()
    chosen = _chosen(X, y)
    return _vendor_cv(X, y, seed + i), chosen, _standardised_fit(X[:, chosen], y)


def _repeat_labs(run, n_labs: int) -> dict[str, np.ndarray]:
    """Imagined repeats of the lab study: same design, new volunteers.

    Each repeat trains the model on a fresh lab of the run's size and mix and
    scores it on the run's own travellers. The spread across repeats is what
    one lab study of this size could have reported, and what it would then
    have done at the border.
    """
    knobs = run.spec.knobs
    labs = [_repeat_lab(run.spec.seed, int(knobs["lab_size"]), float(knobs["lab_origin_mix"]),
                        i) for i in range(n_labs)]
    # Each lab's model is linear in the channels it kept: one weight column per
    # lab scores every traveller for every lab in one matrix product.
    weights = np.zeros((len(FEATURES), n_labs))
    offsets = np.empty(n_labs)
    for i, (_, chosen, (mean, scale, clf)) in enumerate(labs):
        w = clf.coef_[0] / scale
        weights[chosen, i] = w
        offsets[i] = clf.intercept_[0] - mean @ w
    border = run.test
    y = border["deceptive"].to_numpy()
    origin = border["origin"].to_numpy()
    right = np.zeros(n_labs)
    false_flags = np.zeros((len(ORIGINS), n_labs))
    innocent = [(y == 0) & (origin == o) for o in ORIGINS]
    X = border[list(FEATURES)].to_numpy(dtype=np.float64)
    for start in range(0, len(X), 50_000):  # chunks keep the score matrix small
        rows = slice(start, start + 50_000)
        flagged = X[rows] @ weights + offsets > 0
        right += (flagged == y[rows, None].astype(bool)).sum(axis=0)
        for j, mask in enumerate(innocent):
            false_flags[j] += flagged[mask[rows]].sum(axis=0)
    vendor = np.array([lab[0] for lab in labs])
    deploy = right / len(y)
    fpr = (false_flags / np.array([m.sum() for m in innocent])[:, None]).T
    return {"vendor_cv": vendor, "deployment": deploy, "gap": vendor - deploy, "fpr": fpr}


def _spread(values: np.ndarray) -> dict:
    """Mean over repeat labs, and the range that holds 95% of them."""
    lo, hi = np.quantile(values, [0.025, 0.975])
    return {"mean": float(values.mean()), "low": float(lo), "high": float(hi)}


# ------------------------------------------------------------------- analyses

def _scaled(est: dict, factor: float) -> dict:
    return {k: (v * factor if isinstance(v, float) and k in ("value", "ci_low", "ci_high")
                else v) for k, v in est.items()}


def _group_row(g: dict, lab_counts: dict[str, int], lab_n: int) -> dict:
    m = g["metrics"]
    return {
        "group": g["group"], "n": g["n"], "share": g["share"],
        "lab_n": lab_counts.get(g["group"], 0), "lab_share": lab_counts.get(g["group"], 0) / lab_n,
        "deceivers": g["tp"] + g["fn"], "flagged": g["tp"] + g["fp"],
        "innocent_flagged": g["fp"], "deceivers_caught": g["tp"],
        "innocent_flagged_per_100k": _scaled(m["fpr"], PER),
        "flagged_per_100k": _scaled(m["selection_rate"], PER),
        "fpr": m["fpr"], "tpr": m["tpr"], "ppv": m["ppv"], "accuracy": m["accuracy"],
        "balanced_accuracy": m["balanced_accuracy"], "share_of_flags_innocent": m["fdr"],
    }


def _natural_frequencies(counts: np.ndarray, seed: int) -> dict:
    """Per 100,000 travellers: liars, liars caught, innocent flagged; bootstrap on counts."""
    tn, fp, fn, tp = (int(c) for c in counts)
    n = tn + fp + fn + tp
    p = np.array([tn, fp, fn, tp]) / n
    reps = np.random.default_rng(seed).multinomial(n, p, size=1000) / n * PER

    def est(point: float, draws: np.ndarray) -> dict:
        return estimate(point, draws, 0.95, "no travellers")

    return {
        "per": PER,
        "travellers": PER,
        "deceivers": est((fn + tp) / n * PER, reps[:, 2] + reps[:, 3]),
        "deceivers_caught": est(tp / n * PER, reps[:, 3]),
        "deceivers_missed": est(fn / n * PER, reps[:, 2]),
        "innocent_flagged": est(fp / n * PER, reps[:, 1]),
        "innocent_cleared": est(tn / n * PER, reps[:, 0]),
        "flagged": est((fp + tp) / n * PER, reps[:, 1] + reps[:, 3]),
    }


def _ppv_curve(tpr: dict, fpr: dict) -> dict:
    """PPV = p·TPR / (p·TPR + (1−p)·FPR) over prevalence p, from measured TPR and FPR.

    The band is conservative: PPV rises with TPR and falls with FPR, so the
    ends of their intervals bound it.
    """
    grid = np.geomspace(1e-4, 0.5, 41)

    def ppv(t: float | None, f: float | None) -> list[float | None]:
        if t is None or f is None or (t == 0 and f == 0):
            return [None] * len(grid)
        return (grid * t / (grid * t + (1 - grid) * f)).tolist()

    return {"prevalence": grid.tolist(), "ppv": ppv(tpr["value"], fpr["value"]),
            "low": ppv(tpr["ci_low"], fpr["ci_high"]), "high": ppv(tpr["ci_high"], fpr["ci_low"])}


def _analyses(run) -> dict:
    seed = run.spec.seed
    knobs = run.spec.knobs
    lab, border = run.train, run.test
    n_lab = len(lab)
    rng = np.random.default_rng([seed, 3])
    acc = _lab_accuracies(lab, seed)
    lab_est = {k: _binomial_estimate(v, n_lab, rng) for k, v in acc.items()}
    overall = run.audit.summary["overall"]["metrics"]
    base = overall["base_rate"]
    # The deployment accuracy's own draws, to put an interval on the gap.
    dep_acc = overall["accuracy"]["value"]
    dep_reps = rng.binomial(len(border), dep_acc, size=1000) / len(border)
    vendor_value, vendor_reps = lab_est["vendor_cv"]
    gap = estimate(vendor_value["value"] - dep_acc, vendor_reps - dep_reps, 0.95, "undefined")

    lab_counts = lab["origin"].value_counts().to_dict()
    lab_sex = lab["sex"].value_counts().to_dict()
    by = {attr: [_group_row(g, lab_counts if attr == "origin" else lab_sex, n_lab)
                 for g in run.audit.groups if g["attribute"] == attr]
          for attr in ("origin", "sex")}
    total = np.array([sum(g[k] for g in run.audit.groups if g["attribute"] == "origin")
                      for k in ("tn", "fp", "fn", "tp")])
    repeats = _repeat_labs(run, N_LABS_ANALYSIS)
    chosen = run.model.named_steps["select"].get_support()
    width = lab_est["vendor_cv"][0]["ci_high"] - lab_est["vendor_cv"][0]["ci_low"]
    return {
        "lab": {
            "size": n_lab, "deceptive_share": float(lab["deceptive"].mean()),
            "origin_mix": knobs["lab_origin_mix"],
            "origin_counts": {o: int(lab_counts.get(o, 0)) for o in ORIGINS},
            "sex_counts": {s: int(lab_sex.get(s, 0)) for s in ("female", "male")},
            "training_accuracy": lab_est["training"][0],
            "vendor_cv_accuracy": lab_est["vendor_cv"][0],
            "honest_cv_accuracy": lab_est["honest_cv"][0],
            "vendor_interval_width": width,
            "interval_note": (
                f"From {n_lab:,} people the 95% interval of the reported accuracy spans "
                f"{width:.0%}" + (": wide. " if width > 0.1 else ". ")
                + "It counts only which volunteers happened to be tested; a new lab of the "
                "same size would also train a different model (see repeat_labs)."),
            "protocols": {
                "training_accuracy": "the model scored on the volunteers it learned from",
                "vendor_cv_accuracy": (
                    f"the {SELECTED_CHANNELS} channels that best separate liars in the whole "
                    f"lab are chosen first, then the classifier is {CV_FOLDS}-fold "
                    "cross-validated on them: the held-out volunteers helped choose the "
                    "channels (a common leak, not a claim about any real vendor)"),
                "honest_cv_accuracy": (
                    f"{CV_FOLDS}-fold cross-validation of the whole pipeline, channels chosen "
                    "again inside every training fold"),
            },
            "channels_chosen": [c for c, keep in zip(FEATURES, chosen, strict=True) if keep],
            "signal_channels": list(SIGNAL),
        },
        "deployment": {
            "n": len(border), "prevalence": knobs["prevalence"],
            "observed_prevalence": overall["base_rate"],
            "accuracy": overall["accuracy"], "balanced_accuracy": overall["balanced_accuracy"],
            "ppv": overall["ppv"], "tpr": overall["tpr"], "fpr": overall["fpr"],
            "share_of_flags_innocent": overall["fdr"],
            # Flagging nobody is right about every innocent traveller: at a low
            # prevalence it beats the detector on accuracy, the lab's own metric.
            "accuracy_flagging_nobody": {"value": 1 - base["value"],
                                         "ci_low": 1 - base["ci_high"],
                                         "ci_high": 1 - base["ci_low"]},
            "innocent_flagged_per_100k": _scaled(overall["fpr"], PER),
            "flagged_per_100k": _scaled(overall["selection_rate"], PER),
            "per_100k_travellers": _natural_frequencies(total, seed),
            "by_origin": by["origin"], "by_sex": by["sex"],
        },
        "lab_vs_deployment": {
            "lab_reported_accuracy": lab_est["vendor_cv"][0],
            "deployment_accuracy": overall["accuracy"],
            "gap": gap,
        },
        "repeat_labs": {
            "n_labs": N_LABS_ANALYSIS, "lab_size": n_lab,
            "vendor_cv_accuracy": _spread(repeats["vendor_cv"]),
            "deployment_accuracy": _spread(repeats["deployment"]),
            "gap": _spread(repeats["gap"]),
            "innocent_flagged_per_100k_by_origin": {
                o: _spread(repeats["fpr"][:, j] * PER) for j, o in enumerate(ORIGINS)},
            "vendor_cv_accuracy_values": np.round(repeats["vendor_cv"], 12).tolist(),
            "deployment_accuracy_values": np.round(repeats["deployment"], 12).tolist(),
        },
        "ppv_curve": {
            "overall": _ppv_curve(overall["tpr"], overall["fpr"]),
            "by_origin": {g["group"]: _ppv_curve(g["tpr"], g["fpr"]) for g in by["origin"]},
        },
    }


def _sweep_extras(run) -> dict:
    seed = run.spec.seed
    n_lab = len(run.train)
    overall = run.audit.summary["overall"]["metrics"]
    acc = _lab_accuracies(run.train, seed)
    repeats = _repeat_labs(run, N_LABS_SWEEP)
    origin = [g for g in run.audit.groups if g["attribute"] == "origin"]
    return {
        "lab_size": n_lab,
        "training_accuracy": acc["training"],
        "vendor_cv_accuracy": acc["vendor_cv"],
        "honest_cv_accuracy": acc["honest_cv"],
        "deployment_accuracy": overall["accuracy"],
        "gap": acc["vendor_cv"] - overall["accuracy"]["value"],
        "repeat_labs": {
            "n_labs": N_LABS_SWEEP,
            "vendor_cv_accuracy": _spread(repeats["vendor_cv"]),
            "deployment_accuracy": _spread(repeats["deployment"]),
            "gap": _spread(repeats["gap"]),
            "innocent_flagged_per_100k_by_origin": {
                o: _spread(repeats["fpr"][:, j] * PER) for j, o in enumerate(ORIGINS)},
        },
        "ppv": overall["ppv"],
        "ppv_by_origin": {g["group"]: g["metrics"]["ppv"] for g in origin},
        "innocent_flagged_per_100k_by_origin": {
            g["group"]: _scaled(g["metrics"]["fpr"], PER) for g in origin},
        "tpr": overall["tpr"],
        "tpr_by_origin": {g["group"]: g["metrics"]["tpr"] for g in origin},
    }


# -------------------------------------------------------------------- display

def _pct(est: dict | None) -> str:
    return format_estimate(est, percent=True)


def _pct1(x: float) -> str:
    return f"{100 * x:.1f}%"


def _rate(p: float) -> str:
    """0.001 as '1 in 1,000'; 0.2 as '1 in 5'."""
    return f"1 in {1 / p:,.0f}"


def _count(est: dict) -> str:
    if est.get("value") is None:
        return "—"
    return f"{est['value']:,.0f} [{est['ci_low']:,.0f}, {est['ci_high']:,.0f}]"


def _spread_series(points: list[dict], label: str, get) -> dict:
    spreads = [get(p) for p in points]
    return {"label": label, "x": [p["value"] for p in points],
            "y": [s["mean"] for s in spreads], "low": [s["low"] for s in spreads],
            "high": [s["high"] for s in spreads]}


def _display(record: dict) -> list[dict]:
    a = record["analyses"]
    lab, dep, vs = a["lab"], a["deployment"], a["lab_vs_deployment"]
    nat = dep["per_100k_travellers"]
    prevalence = dep["prevalence"]
    b = next(g for g in dep["by_origin"] if g["group"] == CASE.headline.group)
    ref = next(g for g in dep["by_origin"] if g["group"] == MAJORITY)
    blocks: list[dict] = [{"kind": "text", "markdown": (
        f"The lab study of {lab['size']:,} volunteers, half told to lie, reports an accuracy "
        f"of {_pct(lab['vendor_cv_accuracy'])}"
        + (f": an interval this wide says how little {lab['size']:,} people can show. "
           if lab["vendor_interval_width"] > 0.1 else ". ")
        + f"At the border, where {_rate(prevalence)} travellers "
        f"lies, the same model is right about {_pct(dep['accuracy'])} of travellers (flagging "
        f"nobody would be right about {_pct(dep['accuracy_flagging_nobody'])}), and only "
        f"{_pct(dep['ppv'])} of the travellers it flags are lying. Out of every 100,000 "
        f"innocent travellers it flags {_count(ref['innocent_flagged_per_100k'])} from "
        f"{MAJORITY}, where the lab recruited, and "
        f"{_count(b['innocent_flagged_per_100k'])} from {b['group']}, whose expression norms "
        "the lab barely saw. All numbers come from a synthetic world.")}]
    blocks.append({
        "kind": "table", "title": "What the lab reports, and what the border gets",
        "columns": ["Measure", "Value [95% interval]"],
        "rows": [
            [f"Training accuracy (the {lab['size']:,} volunteers it learned from)",
             lab["training_accuracy"]],
            ["Lab accuracy as reported (channels chosen on the whole lab, then "
             "cross-validated)", lab["vendor_cv_accuracy"]],
            ["Lab accuracy, honest cross-validation", lab["honest_cv_accuracy"]],
            [f"Accuracy at the border ({dep['n']:,} travellers)", dep["accuracy"]],
            ["Accuracy at the border of flagging nobody", dep["accuracy_flagging_nobody"]],
            ["Gap: reported minus border accuracy", vs["gap"]],
            ["Balanced accuracy at the border", dep["balanced_accuracy"]],
            ["Liars caught (true positive rate)", dep["tpr"]],
            ["Innocent travellers flagged (false positive rate)", dep["fpr"]],
            ["Flagged travellers who are lying (precision, PPV)", dep["ppv"]],
        ],
        "percent": [False, True],
        "caption": lab["interval_note"],
    })
    rl = a["repeat_labs"]
    blocks.append({
        "kind": "table",
        "title": f"What {rl['n_labs']} labs of {rl['lab_size']} volunteers could have reported",
        "columns": ["Measure", "Mean", "95% of labs between"],
        "rows": [[label, _pct1(rl[key]["mean"]),
                  f"{_pct1(rl[key]['low'])} and {_pct1(rl[key]['high'])}"]
                 for label, key in (("Lab accuracy as reported", "vendor_cv_accuracy"),
                                    ("Accuracy at the border", "deployment_accuracy"),
                                    ("Gap: reported minus border", "gap"))],
        "percent": [False, False, False],
        "caption": "Each imagined lab recruits new volunteers with the same design and trains "
                   "its own model, which then meets the same travellers. One lab study is one "
                   "draw from this lottery.",
    })
    blocks.append({
        "kind": "table", "title": f"Per 100,000 travellers when {_rate(prevalence)} lie",
        "columns": ["Travellers", "Number [95% interval]"],
        "rows": [["Lying", _count(nat["deceivers"])],
                 ["Lying and flagged", _count(nat["deceivers_caught"])],
                 ["Lying and cleared", _count(nat["deceivers_missed"])],
                 ["Innocent and flagged", _count(nat["innocent_flagged"])],
                 ["All flagged", _count(nat["flagged"])]],
        "percent": [False, False],
        "caption": "Counts at the border scaled to 100,000 travellers; intervals from a "
                   "bootstrap of the counts.",
    })
    for attr, title in (("by_origin", "origin"), ("by_sex", "sex")):
        blocks.append({
            "kind": "table", "title": f"At the border, by {title}",
            "columns": ["Group", "Share of travellers", "Volunteers in the lab",
                        "Innocent flagged per 100,000 innocent", "Flagged who lie (PPV)",
                        "Liars caught (TPR)", "Accuracy"],
            "rows": [[g["group"], g["share"], str(g["lab_n"]),
                      _count(g["innocent_flagged_per_100k"]), g["ppv"], g["tpr"],
                      g["accuracy"]] for g in dep[attr]],
            "percent": [False, True, False, False, True, True, True],
            "caption": "Intervals are 95% bootstrap intervals of the audit engine.",
        })
    rows = []
    for g in record["audit"]["groups"]:
        if g["attribute"] not in ("origin", "sex") or g["is_reference"]:
            continue
        d = {x["metric"]: x for x in record["audit"]["disparities"]
             if x["attribute"] == g["attribute"] and x["group"] == g["group"]}
        rows.append([g["attribute"], g["group"], d["fpr"]["reference"], g["impact_ratio"],
                     "yes" if "four_fifths" in g["flags"] else "no",
                     d["fpr"]["difference"], d["tpr"]["difference"]])
    blocks.append({
        "kind": "table", "title": "Audit at the border: four-fifths rule and error rates",
        "columns": ["Attribute", "Group", "Reference", "Impact ratio (flag rate)",
                    "Under four-fifths", "False positive rate difference",
                    "True positive rate difference"],
        "rows": rows, "percent": [False, False, False, False, False, True, True],
        "caption": "Being flagged is the harm here, so a group flagged more often has an "
                   "impact ratio of 1 and the others below it; the false positive rate "
                   "difference is the share of innocent travellers flagged, minus the "
                   "reference group's.",
    })
    blocks.append({
        "kind": "figure", "id": "innocent-flagged-by-origin",
        "title": "Innocent travellers flagged per 100,000, by origin",
        "caption": f"{MAJORITY} supplied {lab['origin_counts'][MAJORITY]} of the "
                   f"{lab['size']} volunteers. Bars: 95% intervals.",
        "alt": "Innocent travellers flagged per 100,000 innocent travellers for each origin.",
        "chart": "errorbar", "xlabel": "Origin", "ylabel": "Innocent flagged per 100,000",
        "percent_y": False, "xscale": "linear", "reference_line": None,
        "series": [{"label": "innocent flagged per 100,000",
                    "x": [g["group"] for g in dep["by_origin"]],
                    "y": [g["innocent_flagged_per_100k"]["value"] for g in dep["by_origin"]],
                    "low": [g["innocent_flagged_per_100k"]["ci_low"] for g in dep["by_origin"]],
                    "high": [g["innocent_flagged_per_100k"]["ci_high"]
                             for g in dep["by_origin"]]}],
    })
    sweeps = record.get("sweeps", {})
    if "lab_size" in sweeps:
        pts = sweeps["lab_size"]
        n_labs = pts[0]["extras"]["repeat_labs"]["n_labs"]
        blocks.append({
            "kind": "figure", "id": "lab-size",
            "title": "Reported lab accuracy against accuracy at the border, by lab size",
            "caption": f"Lines: mean over {n_labs} imagined lab studies of each size; bands: "
                       "the range of 95% of them. Points: this run's lab.",
            "alt": "Reported lab accuracy falls toward the border accuracy as the lab grows.",
            "chart": "line", "xlabel": "Volunteers in the lab", "ylabel": "Accuracy",
            "percent_y": True, "xscale": "log", "reference_line": 0.5,
            "series": [
                _spread_series(pts, "reported in the lab",
                               lambda p: p["extras"]["repeat_labs"]["vendor_cv_accuracy"]),
                _spread_series(pts, "at the border",
                               lambda p: p["extras"]["repeat_labs"]["deployment_accuracy"]),
                {"label": "this lab: reported", "x": [p["value"] for p in pts],
                 "y": [p["extras"]["vendor_cv_accuracy"] for p in pts],
                 "low": None, "high": None},
                sweep_series(pts, "this lab: at the border",
                              lambda p: p["extras"]["deployment_accuracy"]),
            ],
        })
        blocks.append({
            "kind": "figure", "id": "lab-size-false-flags",
            "title": "Innocent travellers flagged per 100,000, by origin and lab size",
            "caption": f"Mean over {n_labs} imagined lab studies of each size; bands: 95% of "
                       "them.",
            "alt": "A bigger lab steadies the false flags but keeps region B above region A.",
            "chart": "line", "xlabel": "Volunteers in the lab",
            "ylabel": "Innocent flagged per 100,000", "percent_y": False, "xscale": "log",
            "reference_line": None,
            "series": [_spread_series(
                pts, o, lambda p, o=o:
                p["extras"]["repeat_labs"]["innocent_flagged_per_100k_by_origin"][o])
                for o in ORIGINS],
        })
    if "prevalence" in sweeps:
        pts = sweeps["prevalence"]
        blocks.append({
            "kind": "figure", "id": "ppv-prevalence",
            "title": "Share of flagged travellers who are lying, by prevalence",
            "caption": "The same detector at every prevalence; bars: 95% intervals. Under the "
                       "dashed line most flagged travellers are innocent.",
            "alt": "Precision falls steeply as the share of liars falls.",
            "chart": "line", "xlabel": "Share of travellers who lie", "ylabel": "PPV",
            "percent_y": True, "xscale": "log", "reference_line": 0.5,
            "series": [sweep_series(pts, "all travellers", lambda p: p["extras"]["ppv"])]
            + [sweep_series(pts, o, lambda p, o=o: p["extras"]["ppv_by_origin"][o])
               for o in ORIGINS]
            + [{"label": "expected from this run's error rates",
                "x": a["ppv_curve"]["overall"]["prevalence"],
                "y": a["ppv_curve"]["overall"]["ppv"], "low": a["ppv_curve"]["overall"]["low"],
                "high": a["ppv_curve"]["overall"]["high"]}],
        })
    if "lab_origin_mix" in sweeps:
        pts = sweeps["lab_origin_mix"]
        blocks.append({
            "kind": "figure", "id": "lab-origin-mix",
            "title": "Innocent travellers flagged per 100,000, by the lab's share from "
                     f"{MAJORITY}",
            "caption": f"{MAJORITY} is half of the travellers: at 0.5 the lab matches them. "
                       "Mean over imagined lab studies; bands: 95% of them.",
            "alt": "Matching the lab to the travellers leaves region B's extra false flags.",
            "chart": "line", "xlabel": f"Share of the lab from {MAJORITY}",
            "ylabel": "Innocent flagged per 100,000", "percent_y": False, "xscale": "linear",
            "reference_line": None,
            "series": [_spread_series(
                pts, o, lambda p, o=o:
                p["extras"]["repeat_labs"]["innocent_flagged_per_100k_by_origin"][o])
                for o in ORIGINS],
        })
    return blocks


# ----------------------------------------------------------------------- case

def _channel_column(c: str) -> Column:
    shifts = [(o, v[c]) for o, v in BASELINES.items() if c in v]
    text = (f"Count of '{c.replace('_', ' ')}' in the interview: round({COUNT_MEAN} + "
            f"{COUNT_SD} × normal noise"
            + (f" + {SIGNAL_SHIFT:g} if lying" if c in SIGNAL else "")
            + "".join(f" + {v:g} if from {o}" for o, v in shifts) + "), at least 0.")
    bias = ""
    if shifts:
        bias = ("Innocent travellers from " + " and ".join(o for o, _ in shifts)
                + " score higher than region A's: an expression norm, not a lie"
                + (", on a channel that does signal lying." if c in SIGNAL
                   else ", on a channel that carries no signal."))
    return Column(c, "feature", text, bias)


CASE = Case(
    slug="border-lie-detection",
    title="Border lie detection: a lab accuracy figure meets the border's base rate",
    real_system="iBorderCtrl (EU Horizon 2020, pilots 2018–2019) and its Silent Talker "
                "deception module",
    summary=(
        "A deception detector trained and cross-validated on 32 volunteers, half told to lie, "
        "reports a high accuracy. At a border where 1 traveller in 1,000 lies, almost every "
        "traveller it flags is innocent, and innocent travellers whose expression norms the "
        "lab barely saw are flagged more often."
    ),
    pitfalls=("a loss or metric that does not fit the need", "overfitting",
              "incomplete or unrepresentative data", "information leaking into the model"),
    regulation="EU AI Act: high-risk, polygraphs and similar tools in migration and border "
               "control (Annex III, 7(a)); emotion recognition (Annex III, 1(c))",
    make_data=make_border_lie_detection_data,
    columns=(
        Column("setting", "context",
               "'lab' for the volunteers of the lab study, 'deployment' for travellers at "
               "the border. The model learns from the lab only and is audited on the border.",
               "The lab is balanced (half told to lie) and drawn mostly from region A "
               "(lab_origin_mix); the border has few liars (prevalence)."),
        Column("origin", "sensitive",
               "Region of origin: travellers 50% region A, 20% B, 20% C, 10% D; the lab "
               "lab_origin_mix from region A and the rest from B–D in those proportions.",
               "Innocent baselines differ by origin (see the channels); the lab rarely "
               "sees regions B–D."),
        Column("sex", "sensitive", "70% of the lab and 50% of travellers are men.",
               "None put in: no channel depends on sex (a control)."),
        Column("age_band", "context",
               "'under 40' for 85% of the lab and 60% of travellers, else '40 and over'.",
               "None put in: no channel depends on age."),
        Column("deceptive", "label",
               "1 if the person lies: exactly half of the lab (told to lie), a share "
               "`prevalence` of travellers. Known in a synthetic world only; acted lies are "
               "assumed to look like real ones, an assumption in the lab's favour."),
        *(_channel_column(c) for c in FEATURES),
    ),
    features=FEATURES,
    label="deceptive",
    truth=None,  # the label is the truth here: the world knows who lies
    sensitive=("origin", "sex"),
    reference={"origin": MAJORITY, "sex": "male"},
    headline=Headline("origin", "fpr", "region B",
                      "how much more often innocent travellers from region B, whose expression "
                      "norms the lab barely saw, are flagged as liars than innocent travellers "
                      "from region A, where the lab recruited"),
    metrics_that_matter={
        "fpr": "Innocent travellers flagged: the harm of a false accusation, the error an "
               "innocent traveller suffers; times 100,000 it is the false flags per 100,000.",
        "ppv": "Of the travellers flagged, the share actually lying: what a border guard "
               "needs to know, and what collapses when liars are rare.",
        "accuracy": "What the lab reports. On a balanced lab it averages the two error rates; "
                    "at the border it is almost only the innocent travellers' rate.",
        "tpr": "Liars caught: the benefit claimed for the system.",
    },
    make_model=_model,
    model_description=(
        "A scikit-learn Pipeline: SelectKBest keeps the 6 of 36 micro-gesture channels that "
        "best separate liars in the lab (ANOVA F), StandardScaler, then a logistic regression. "
        "It is trained on the lab sample only (default 32 volunteers, half told to lie) and "
        "flags a traveller when the predicted probability of lying is above 0.5. Origin, sex "
        "and age are not among its inputs."
    ),
    knobs=(
        Knob("lab_size", 32, "Volunteers in the lab study, half of them told to lie.",
             low=2 * CV_FOLDS, high=10_000, integer=True),
        Knob("lab_origin_mix", 0.9, "Share of the lab drawn from region A, which is half of "
             "the travellers (0.5: the lab's origins match the border's).", low=0.0, high=1.0),
        Knob("prevalence", 0.001, "Share of travellers at the border who lie (0.5: the "
             "lab's half-and-half).", low=0.0001, high=0.5),
    ),
    sweeps={
        "lab_size": (32, 100, 300, 1000, 5000),
        "prevalence": (0.0001, 0.001, 0.01, 0.05, 0.2, 0.5),
        "lab_origin_mix": (0.25, 0.5, 0.75, 0.9, 1.0),
    },
    default_n_samples=100_000,
    split=_split,
    analyses=_analyses,
    sweep_extras=_sweep_extras,
    display=_display,
    mitigation_attribute="origin",
)
