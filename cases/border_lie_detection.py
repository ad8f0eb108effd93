"""Border lie detection: a lab accuracy figure meets the border's base rate.

Stands for iBorderCtrl (EU Horizon 2020, pilots 2018–2019), whose deception module was
reported to score about 76% accuracy on about thirty people, half of them told to lie. A
model trained on a small, balanced lab sample of mostly one origin is deployed on travellers
of whom almost none lie and whose expression norms differ by origin.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
from sklearn import config_context
from sklearn.feature_selection import SelectKBest, f_classif
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from fairness import Estimate, proportion
from fairness.analysis import per_population, precision_curve

from ._contract import Case, Column, Headline, Knob, Spec, Split
from ._world import categorical, streams, validated

ORIGINS = ("region A", "region B", "region C", "region D")
ORIGIN_SHARES = (0.5, 0.2, 0.2, 0.1)
SETTINGS = ("lab", "deployment")
MAJORITY = ORIGINS[0]  # where the lab recruited its volunteers
WORLD_STREAMS = ("lab", "border")

# Micro-gesture channels, counts of events in the interview. The first four carry the (weak)
# deception signal, the next four are where region D's baseline differs, the rest are noise.
SIGNAL = ("gaze_aversion", "blinks", "lip_press", "brow_raise")
D_SHIFTED = ("head_tilt", "smile_asymmetry", "hand_to_face", "nods")
OTHER = tuple("brow_lower lid_tighten eye_widen eye_squint nose_wrinkle nostril_flare cheek_raise "
              "lip_corner_pull lip_corner_drop lip_stretch lip_funnel lip_bite jaw_drop jaw_clench "
              "chin_raise dimple swallow head_turn head_shake head_forward shoulder_shrug "
              "posture_shift gaze_shifts pupil_change face_flush tongue_show mouth_open eye_roll"
              .split())
FEATURES = SIGNAL + D_SHIFTED + OTHER

# Whole numbers: a detector counts events, and the record's data fingerprint stays fast.
COUNT_MEAN, COUNT_SD = 15, 5  # events per interview of region A's innocent travellers
SIGNAL_SHIFT = 2.5  # extra events on each signal channel when lying: half a standard deviation
# How each origin's innocent travellers differ from region A's, in events per interview.
BASELINES = {"region A": {}, "region B": dict.fromkeys(SIGNAL, 2.0), "region C": {},
             "region D": dict.fromkeys(D_SHIFTED, 4.0)}
# Single precision is ample for whole counts under a few hundred, and twice as fast.
BASELINE = np.array([[BASELINES[o].get(c, 0) for c in FEATURES] for o in ORIGINS], np.float32)
LYING = np.array([SIGNAL_SHIFT if c in SIGNAL else 0 for c in FEATURES], np.float32)
SELECTED_CHANNELS = 6  # SelectKBest's k: the vendor keeps the "best" six channels
CV_FOLDS = 5
LAB_MALE_SHARE = 0.7  # the reported lab study was unbalanced in gender
LAB_UNDER_40_SHARE = 0.85  # volunteers, mostly students and staff
PER = 100_000  # travellers, for natural frequencies
N_LABS_ANALYSIS, N_LABS_SWEEP = 100, 10  # imagined repeat lab studies: the "lab lottery"

KNOBS = (
    Knob("lab_size", 32, "Volunteers in the lab study, half of them told to lie.",
         low=2 * CV_FOLDS, high=10_000, integer=True),
    Knob("lab_origin_mix", 0.9, "Share of the lab drawn from region A, which is half of "
         "the travellers (0.5: the lab's origins match the border's).", low=0.0, high=1.0),
    Knob("prevalence", 0.001, "Share of travellers at the border who lie (0.5: the "
         "lab's half-and-half).", low=0.0001, high=0.5))


def _travellers(rng: np.random.Generator, origin: np.ndarray, deceptive: np.ndarray,
                male_share: float, under_40_share: float, setting: str) -> pd.DataFrame:
    n = len(origin)
    male = (rng.random(n) < male_share).astype(np.int8)
    over_40 = (rng.random(n) >= under_40_share).astype(np.int8)
    counts = rng.standard_normal((n, len(FEATURES)), dtype=np.float32) * COUNT_SD + COUNT_MEAN
    counts += BASELINE[origin]
    counts[deceptive == 1] += LYING
    counts = np.clip(np.round(counts), 0, None).astype(np.int64)
    frame = pd.DataFrame({
        "setting": categorical(np.full(n, SETTINGS.index(setting)), SETTINGS),
        "origin": categorical(origin, ORIGINS), "sex": categorical(male, ("female", "male")),
        "age_band": categorical(over_40, ("under 40", "40 and over")),
        "deceptive": deceptive.astype(np.int64)})
    return pd.concat([frame, pd.DataFrame(counts, columns=list(FEATURES))], axis=1)


def _lab(rng: np.random.Generator, lab_size: int, lab_origin_mix: float) -> pd.DataFrame:
    """A balanced lab study: half the volunteers told to lie, mostly from region A."""
    n_major = int(round(lab_origin_mix * lab_size))
    others = np.asarray(ORIGIN_SHARES[1:]) / sum(ORIGIN_SHARES[1:])
    origin = np.concatenate([np.zeros(n_major, dtype=np.int64),
                             1 + rng.choice(len(others), size=lab_size - n_major, p=others)])
    deceptive = rng.permutation(np.arange(lab_size) < lab_size // 2).astype(np.int64)
    return _travellers(rng, origin, deceptive, LAB_MALE_SHARE, LAB_UNDER_40_SHARE, "lab")


@validated(KNOBS)
def make_border_lie_detection_data(n_samples: int = 100_000, random_state: int = 0, *,
                                   lab_size: int = 32, lab_origin_mix: float = 0.9,
                                   prevalence: float = 0.001) -> pd.DataFrame:
    """Generate a lab study of acted lies and a stream of travellers at a border.

    Every person has 36 "micro-gesture" channels, counts of events in the interview (mean
    15, standard deviation 5 for region A's innocent travellers). Four (gaze aversion,
    blinks, lip press, brow raise) are 2.5 events higher in people who lie: a weak signal,
    half a standard deviation. Innocent baselines differ by origin: region B's norms add 2
    events on those four channels, so its innocent travellers look a little like liars;
    region D's add 4 on four channels with no signal (head tilt, smile asymmetry, hand to
    face, nods); region C's equal region A's. Sex and age band change nothing. The lab and
    the border come from independent streams of the seed, so a lab knob leaves the
    travellers unchanged and vice versa; a traveller who lies at one prevalence lies at any
    higher one.

    Parameters
    ----------
    n_samples, random_state : int
        Travellers at the border (``setting == "deployment"``, origins 50/20/20/10%),
        and the seed.
    lab_size : int
        Volunteers in the lab (``setting == "lab"``), half told to lie; 70% men, 85% under 40.
    lab_origin_mix : float
        Share of the lab from region A, the rest from B–D in their shares (0.5: as at the
        border).
    prevalence : float
        Share of travellers who lie.

    Returns
    -------
    pandas.DataFrame
        One row per person: ``setting``, ``origin``, ``sex``, ``age_band``, ``deceptive``
        (the truth, which the lab knows and the border does not) and the 36 counts.

    Examples
    --------
    >>> df = make_border_lie_detection_data(1000, random_state=0)
    >>> df["setting"].value_counts().to_dict()
    {'deployment': 1000, 'lab': 32}
    """
    rng = streams(random_state, *WORLD_STREAMS)
    lab = _lab(rng["lab"], lab_size, lab_origin_mix)
    origin = rng["border"].choice(len(ORIGINS), size=n_samples, p=ORIGIN_SHARES)
    # One uniform per traveller: the liars at a low prevalence stay liars at a higher one.
    deceptive = (rng["border"].random(n_samples) < prevalence).astype(np.int64)
    border = _travellers(rng["border"], origin, deceptive, 0.5, 0.6, "deployment")
    return pd.concat([lab, border], ignore_index=True)


def _model(spec: Spec | None = None) -> Pipeline:
    # Newton-Cholesky: the default solver's fit, several times faster on a few channels.
    return Pipeline([("select", SelectKBest(f_classif, k=SELECTED_CHANNELS)),
                     ("scale", StandardScaler()),
                     ("classify", LogisticRegression(solver="newton-cholesky", max_iter=1000))])


@config_context(assume_finite=True, skip_parameter_validation=True)
def _chosen(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    return SelectKBest(f_classif, k=SELECTED_CHANNELS).fit(X, y).get_support()


@config_context(assume_finite=True, skip_parameter_validation=True)
def _fit(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """The pipeline's scaler and classifier as a linear rule on the raw channels (flag when
    ``X @ w + b > 0``): the same fit without the checks that dominate on a few dozen rows."""
    mean, sd = X.mean(axis=0), X.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    clf = _model()["classify"].fit((X - mean) / sd, y)
    w = clf.coef_[0] / sd
    return w, clf.intercept_[0] - mean @ w


def _held_out(X: np.ndarray, y: np.ndarray, seed: int, select: bool) -> np.ndarray:
    """Each volunteer's prediction when held out of a stratified cross-validation; with
    ``select``, the channels are chosen again inside every training fold."""
    pred = np.zeros(len(y), dtype=np.int64)
    for train, held in StratifiedKFold(CV_FOLDS, shuffle=True, random_state=seed).split(X, y):
        keep = _chosen(X[train], y[train]) if select else np.ones(X.shape[1], dtype=bool)
        w, b = _fit(X[train][:, keep], y[train])
        pred[held] = X[held][:, keep] @ w + b > 0
    return pred


def _lab_predictions(run) -> dict[str, np.ndarray]:
    """The lab's predictions: in training, and held out under two protocols. The vendor's
    picks the channels that best separate liars in the *whole* lab, then cross-validates
    on them: the held-out volunteers helped choose, so the score is optimistic, the more
    so the smaller the lab. The honest one chooses again inside every training fold."""
    X, y = run.train[list(FEATURES)].to_numpy(), run.train["deceptive"].to_numpy()
    return {"training": run.model.predict(run.train[list(FEATURES)]),
            "vendor_cv": _held_out(X[:, _chosen(X, y)], y, run.spec.seed, select=False),
            "honest_cv": _held_out(X, y, run.spec.seed, select=True)}


def _lab_accuracy(run) -> dict[str, Estimate]:
    y = run.train["deceptive"].to_numpy()
    return {k: proportion(int((p == y).sum()), len(y)) for k, p in _lab_predictions(run).items()}


@lru_cache(maxsize=1024)
def _repeat_lab(seed: int, lab_size: int, lab_origin_mix: float, i: int):
    """The i-th imagined lab: its reported accuracy and its model as a linear rule on the 36
    channels. Cached: labs do not depend on the border, so the prevalence sweep reuses them."""
    rng = streams(seed, *WORLD_STREAMS, *(f"repeat lab {j}" for j in range(i + 1)))
    lab = _lab(rng[f"repeat lab {i}"], lab_size, lab_origin_mix)
    X, y = lab[list(FEATURES)].to_numpy(), lab["deceptive"].to_numpy()
    chosen = _chosen(X, y)
    reported = float((_held_out(X[:, chosen], y, seed + i, select=False) == y).mean())
    weights = np.zeros(len(FEATURES))
    weights[chosen], offset = _fit(X[:, chosen], y)
    return reported, weights, offset


def _repeat_labs(run, n_labs: int) -> dict:
    """Imagined repeats of the lab study (same design, new volunteers) scored on the run's
    travellers: each estimate is the mean over labs and the range of the middle 95% of them
    (a spread of outcomes across labs, not a sampling interval)."""
    k = run.spec.knobs
    labs = [_repeat_lab(run.spec.seed, int(k["lab_size"]), float(k["lab_origin_mix"]), i)
            for i in range(n_labs)]
    reported, weights, offsets = (np.array(x) for x in zip(*labs, strict=True))
    X = run.test[list(FEATURES)].to_numpy(dtype=np.float64)
    # Each lab's model is linear in the channels: one matrix product scores every
    # traveller for every lab (in chunks, to keep the score matrix small).
    flagged = np.concatenate([X[i:i + 50_000] @ weights.T + offsets > 0
                              for i in range(0, len(X), 50_000)])
    y, origin = run.test["deceptive"].to_numpy(), run.test["origin"].to_numpy()
    border = (flagged == (y[:, None] == 1)).mean(axis=0)

    def spread(draws: np.ndarray) -> Estimate:
        return Estimate.from_draws(float(draws.mean()), draws)

    return {"n_labs": n_labs, "lab_size": int(k["lab_size"]),
            "vendor_cv_accuracy": spread(reported), "deployment_accuracy": spread(border),
            "gap": spread(reported - border),
            "innocent_flagged_per_100k_by_origin": {
                o: spread(flagged[(y == 0) & (origin == o)].mean(axis=0) * PER)
                for o in ORIGINS}}


def _analyses(run) -> dict:
    lab, border, audit = run.train, run.test, run.audit()
    vendor = _lab_predictions(run)["vendor_cv"]
    # The lab's reported accuracy against the border's, audited as two groups of people.
    both = pd.concat([lab[["setting", "deceptive"]].assign(prediction=vendor),
                      border[["setting", "deceptive", "prediction"]]], ignore_index=True)
    lab_vs_border = run.audit_frame(both, "deceptive", sensitive=["setting"],
                                    reference={"setting": "deployment"})
    cells = [sum(g[c] for g in audit.groups_of("origin")) for c in ("tn", "fp", "fn", "tp")]
    chosen = run.model["select"].get_support()
    return {
        "lab": {"size": len(lab), **_lab_accuracy(run), "signal_channels": list(SIGNAL),
                "channels_chosen": [c for c, keep in zip(FEATURES, chosen, strict=True) if keep]},
        "lab_vs_border": lab_vs_border.gap("setting", "accuracy", "lab"),
        # Right about every innocent traveller: at a low prevalence it beats the detector.
        "accuracy_flagging_nobody": proportion((border["deceptive"] == 0).sum(), len(border)),
        "per_100k_travellers": per_population(cells, PER, random_state=run.spec.seed),
        "by_group": {attr: {g["group"]: {
            "lab_n": int((lab[attr] == g["group"]).sum()),
            "innocent_flagged_per_100k": Estimate.from_dict(g["metrics"]["fpr"]).scaled(PER)}
            for g in audit.groups_of(attr)} for attr in ("origin", "sex")},
        "repeat_labs": _repeat_labs(run, N_LABS_ANALYSIS),
        "ppv_curve": precision_curve(audit.overall("tpr"), audit.overall("fpr")),
    }


TRACKED = {"lab_accuracy": _lab_accuracy,
           "repeat_labs": lambda run: _repeat_labs(run, N_LABS_SWEEP),
           "ppv": lambda run: {"all travellers": run.audit().overall("ppv"), **{
               g["group"]: g["metrics"]["ppv"] for g in run.audit().groups_of("origin")}}}


def _channel_column(c: str) -> Column:
    shifts = [(o, v[c]) for o, v in BASELINES.items() if c in v]
    lying = f" + {SIGNAL_SHIFT:g} if lying" if c in SIGNAL else ""
    text = (f"Count of '{c.replace('_', ' ')}' in the interview: round({COUNT_MEAN} + "
            f"{COUNT_SD} × normal noise{lying}"
            + "".join(f" + {v:g} if from {o}" for o, v in shifts) + "), at least 0.")
    bias = ("Innocent travellers from " + " and ".join(o for o, _ in shifts)
            + " score higher than region A's: an expression norm, not a lie, on a channel that "
            + ("does signal lying." if c in SIGNAL else "carries no signal.")) if shifts else ""
    return Column(c, "feature", text, bias)


CASE = Case(
    slug="border-lie-detection",
    title="Border lie detection: a lab accuracy figure meets the border's base rate",
    real_system="iBorderCtrl (EU Horizon 2020, pilots 2018–2019) and its Silent Talker "
                "deception module",
    summary=(
        "A deception detector trained and cross-validated on 32 volunteers, half told to lie, "
        "reports a high accuracy. If 1 traveller in 1,000 lies (our assumption; the real share "
        "is unknown), almost every traveller it flags is innocent, and innocent travellers "
        "whose expression norms the lab barely saw are flagged more often."),
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
        Column("origin", "sensitive", "Region of origin: travellers 50% region A, 20% B, 20% "
               "C, 10% D; the lab lab_origin_mix from region A and the rest from B–D in those "
               "proportions.", "Innocent baselines differ by origin (see the channels); the lab "
               "rarely sees regions B–D."),
        Column("sex", "sensitive", "70% of the lab and 50% of travellers are men.",
               "None put in: no channel depends on sex (a control)."),
        Column("age_band", "context", "'under 40' for 85% of the lab and 60% of travellers, "
               "else '40 and over'.", "None put in: no channel depends on age."),
        Column("deceptive", "label", "1 if the person lies: exactly half of the lab (told to "
               "lie), a share `prevalence` of travellers. Known in a synthetic world only; acted "
               "lies are assumed to look like real ones, an assumption in the lab's favour."),
        *(_channel_column(c) for c in FEATURES),
    ),
    features=FEATURES,
    label="deceptive",
    truth=None,  # the label is the truth here: the world knows who lies
    sensitive=("origin", "sex"),
    reference={"origin": MAJORITY, "sex": "male"},
    positive_decision="flagged as lying",
    favorable_prediction=0,  # being flagged is the burden
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
        "tpr": "Liars caught: the benefit claimed for the system."},
    model=_model,
    model_description=(
        "A scikit-learn Pipeline: SelectKBest keeps the 6 of 36 micro-gesture channels that "
        "best separate liars in the lab (ANOVA F), StandardScaler, then a logistic regression, "
        "trained on the lab only (default 32 volunteers, half told to lie). It flags a traveller "
        "when the predicted probability of lying is above 0.5; origin, sex and age are not "
        "among its inputs."),
    knobs=KNOBS,
    sweeps={"lab_size": (32, 100, 300, 1000, 5000),
            "prevalence": (0.0001, 0.001, 0.01, 0.05, 0.2, 0.5),
            "lab_origin_mix": (0.25, 0.5, 0.75, 0.9, 1.0)},
    default_n_samples=100_000,
    split=Split.by_column("setting", train="lab", test="deployment"),
    analyses=_analyses,
    tracked=TRACKED,
    mitigation_attribute="origin",
    questions={"errs": "Almost every traveller the detector flags is innocent, some origins "
                       "more often. Would travellers, or the guards acting on flags, accept that?",
               "opaque": "Its six channels were picked by a test on a few dozen volunteers. "
                         "Could a guard explain a flag to the traveller it stops?"},
)
