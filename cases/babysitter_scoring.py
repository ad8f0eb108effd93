"""Babysitter scoring: a risk score trained on a toxicity tagger's flags.

Stands for Predictim (2018), which rated babysitter candidates from their
social-media posts. Nobody observed how the candidates looked after children:
the "risk" label was itself a model's output. In this world true conduct is
known, so the same decisions can be audited twice, against the tagger's label
and against the truth.

Why the false-flag rate (FPR) is the metric to compare the two audits on: the
flag rate (``selection_rate``; here prediction 1 means *flagged as risky*, not
hired) does not depend on the label at all, so it cannot differ between the
two audits. The FPR is the share flagged among the candidates the label calls
safe. Against the tagger's label, the Black candidates that the tagger
wrongly flagged count as rightly flagged, so the score's FPR gap looks small:
the audit sees a score that agrees with its label. Against true conduct, which
is the same in every group by construction, those candidates are safe people
turned away and the FPR gap shows the tagger's dialect bias in full.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import binom
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

import fairness
from fairness import format_estimate

from ._analysis import proxy_leakage
from ._display import sweep_series
from ._framework import Case, Column, Headline, Knob, Spec
from ._runner import BOOTSTRAP, audit_frame

ETHNICITIES = ("White", "Black", "Hispanic", "Asian")
ETHNICITY_SHARES = (0.5, 0.2, 0.2, 0.1)
AAE_RATE = {"Black": 0.6}  # share writing in African American English; others: AAE_RATE_OTHER
AAE_RATE_OTHER = 0.05
AGE_BANDS = ("18-24", "25-39", "40 and over")
AGE_SHARES = (0.35, 0.40, 0.25)
AGE_OFFLINE = (0.5, 0.8, 1.8)  # multipliers of offline_rate; population average about 1
AGE_POSTS = (80, 50, 25)  # mean number of posts in the history
INCOME_BANDS = ("low", "middle", "high")
INCOME_SHARES = (0.30, 0.45, 0.25)
INCOME_OFFLINE = (1.5, 1.0, 0.6)
UNSAFE_RATE = 0.08
TOXIC_POST_RATE = (0.02, 0.15)  # safe, unsafe candidates
TAGGER_SENSITIVITY = 0.85
TAGGER_FALSE_FLAG = 0.03  # on a non-toxic post in standard American English
RISK_SHARE = 0.10  # the tagger's verdict: risky if at least this share of posts is flagged
RECENT_POSTS = 20
POLICIES = ("mean", "risky", "safe")
TEST_SIZE = 0.3
FEATURES = ("has_profile", "n_posts", "recent_flag_share", "slang_rate")
TAGGER_FLAGS = ("recent_flag_share", "risk_flag")  # what the tagger outputs, for the proxy test
MITIGATIONS = (
    "fairlearn.CorrelationRemover", "aif360.Reweighing", "aif360.DisparateImpactRemover",
    "fairlearn.ExponentiatedGradient(DP)", "fairlearn.ExponentiatedGradient(EO)",
    "aif360.PrejudiceRemover", "fairlearn.ThresholdOptimizer(DP)",
    "fairlearn.ThresholdOptimizer(EO)", "fairlearn.ThresholdOptimizer(TPR)",
    "aif360.EqOddsPostprocessing", "aif360.CalibratedEqOddsPostprocessing(weighted)",
    "aif360.CalibratedEqOddsPostprocessing(fnr)",
)
REFERENCE = {"ethnicity": "White", "age_band": "25-39", "income_band": "middle",
             "online_presence": "online"}


def make_babysitter_scoring_data(
    n_samples: int = 20_000,
    random_state: int = 0,
    *,
    tagger_dialect_bias: float = 1.0,
    offline_rate: float = 0.15,
) -> pd.DataFrame:
    """Generate babysitter candidates, their posts' summary and a tagger's verdict.

    True conduct (``unsafe_conduct``, 8% of candidates) is the same in
    distribution in every ethnicity, age band and income band, and nobody in
    the story observes it. Unsafe candidates post more toxic content. Black
    candidates write more often in African American English (AAE). A toxicity
    tagger catches 85% of toxic posts and wrongly flags 3% of the others, times
    ``1 + tagger_dialect_bias`` for posts in AAE. Its verdict on a candidate's
    whole post history is the label ``risk_flag``. Candidates with no online
    presence (more often older and lower-income) have no posts: the scraper
    returns zeros and ``has_profile = 0``, and the tagger flags nothing.

    Ethnicity, age band and income band are drawn independently, so any
    ethnic gap in the flags comes from the tagger alone.

    Parameters
    ----------
    n_samples : int
        Number of candidates.
    random_state : int
        Seed.
    tagger_dialect_bias : float
        Extra false flags on non-toxic AAE posts, as a multiple of the false-flag
        rate on standard English (0: none; 1: twice as many, the order Sap et
        al. 2019 report).
    offline_rate : float
        About the share of candidates with no online presence; an individual's
        chance is this times 0.5, 0.8 or 1.8 by age band and 1.5, 1.0 or 0.6 by
        income band (low to high), capped at 1.

    Returns
    -------
    pandas.DataFrame
        One row per candidate: ``ethnicity``, ``age_band``, ``income_band``,
        ``online_presence``, ``dialect``, the hidden ``unsafe_conduct``
        (truth), the model's inputs (``has_profile``, ``n_posts``,
        ``recent_flag_share``, ``slang_rate``), ``flagged_posts`` and the
        tagger's verdict ``risk_flag`` (the label).

    Examples
    --------
    >>> df = make_babysitter_scoring_data(1000, random_state=0)
    >>> sorted(df["online_presence"].unique())
    ['offline', 'online']
    >>> int(df.loc[df["has_profile"] == 0, "risk_flag"].sum())
    0
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, int | np.integer) or n_samples < 1:
        raise ValueError(f"n_samples must be a whole number >= 1, got {n_samples!r}")
    if not np.isfinite(tagger_dialect_bias) or tagger_dialect_bias < 0:
        raise ValueError(f"tagger_dialect_bias must be >= 0, got {tagger_dialect_bias!r}")
    if not 0 <= offline_rate <= 1:
        raise ValueError(f"offline_rate must be between 0 and 1, got {offline_rate!r}")
    # One stream per mechanism, so that a knob changes only what it governs: every
    # point of a sweep is the same candidates with the same posts (common random numbers).
    person, presence, posting, tagging, scanning = (
        np.random.default_rng(s) for s in np.random.SeedSequence(random_state).spawn(5))
    n = int(n_samples)
    eth = person.choice(len(ETHNICITIES), size=n, p=ETHNICITY_SHARES)
    age = person.choice(len(AGE_BANDS), size=n, p=AGE_SHARES)
    income = person.choice(len(INCOME_BANDS), size=n, p=INCOME_SHARES)
    aae_p = np.array([AAE_RATE.get(e, AAE_RATE_OTHER) for e in ETHNICITIES])
    aae = person.random(n) < aae_p[eth]
    unsafe = (person.random(n) < UNSAFE_RATE).astype(int)
    slang = np.clip(np.where(aae, 0.25, 0.08) + 0.04 * (age == 0) + person.normal(0, 0.04, n),
                    0, 1)

    p_offline = np.minimum(
        1.0, offline_rate * np.array(AGE_OFFLINE)[age] * np.array(INCOME_OFFLINE)[income])
    online = presence.random(n) >= p_offline
    # Posts and flags are drawn for everyone, then hidden for the offline: raising
    # offline_rate removes candidates' profiles without redrawing anyone else's.
    n_posts = 1 + posting.poisson(np.array(AGE_POSTS)[age])
    toxic = posting.binomial(n_posts, np.array(TOXIC_POST_RATE)[unsafe])
    caught = tagging.binomial(toxic, TAGGER_SENSITIVITY)
    false_flag = np.minimum(1.0, TAGGER_FALSE_FLAG * np.where(aae, 1 + tagger_dialect_bias, 1))
    # Inverse CDF of one uniform per candidate: a stronger bias only adds false flags.
    false_flags = np.maximum(binom.ppf(tagging.random(n), n_posts - toxic, false_flag), 0)
    flagged = caught + false_flags.astype(int)
    # The score sees only a quick scan of the latest posts, drawn from the history.
    recent = np.minimum(RECENT_POSTS, n_posts)
    recent_flagged = scanning.hypergeometric(flagged, n_posts - flagged, recent)
    risk_flag = (online & (flagged >= RISK_SHARE * n_posts)).astype(int)
    return pd.DataFrame({
        "ethnicity": np.array(ETHNICITIES)[eth],
        "age_band": np.array(AGE_BANDS)[age],
        "income_band": np.array(INCOME_BANDS)[income],
        "online_presence": np.where(online, "online", "offline"),
        "dialect": np.where(aae, "AAE", "SAE"),
        "unsafe_conduct": unsafe,
        "has_profile": online.astype(int),
        "n_posts": np.where(online, n_posts, 0),
        "recent_flag_share": np.where(online, recent_flagged / recent, 0.0),
        "slang_rate": np.where(online, slang, 0.0),
        "flagged_posts": np.where(online, flagged, 0),
        "risk_flag": risk_flag,
    })


class OfflinePolicyClassifier(ClassifierMixin, BaseEstimator):
    """A risk score for candidates with a profile, and a stated policy for those without.

    The first column of ``X`` says whether the candidate has an online profile
    (``has_profile``, 1 or 0); the others are the profile's features. A
    logistic regression on the standardised features is trained on the
    candidates with a profile only: for the others the tagger had nothing to
    read, so their label says nothing. What an offline candidate then scores
    is a choice, not a fact, and ``policy`` makes it explicit:

    - ``"mean"``: their features are imputed at the mean of the training
      profiles (scikit-learn's ``SimpleImputer``), the silent default of many
      pipelines; they get the score of an average-looking profile;
    - ``"risky"``: score 1, flagged whatever the cut-off;
    - ``"safe"``: score 0, never flagged.

    A candidate is flagged when the score is at least ``cutoff``.

    Parameters
    ----------
    policy : {"mean", "risky", "safe"}
        How to score candidates with no profile.
    cutoff : float
        Score at or above which a candidate is flagged as risky.

    Examples
    --------
    >>> df = make_babysitter_scoring_data(2000, random_state=0)
    >>> X, y = df[list(FEATURES)], df["risk_flag"]
    >>> model = OfflinePolicyClassifier(policy="risky").fit(X, y)
    >>> bool(model.predict(X)[df["has_profile"] == 0].all())
    True
    """

    def __init__(self, policy: str = "mean", cutoff: float = 0.5):
        self.policy = policy
        self.cutoff = cutoff

    def fit(self, X, y, sample_weight=None) -> OfflinePolicyClassifier:
        if self.policy not in POLICIES:
            raise ValueError(f"policy must be one of {', '.join(POLICIES)}, got {self.policy!r}")
        X = np.asarray(X, dtype=float)
        y = np.asarray(y).astype(int)
        online = X[:, 0] >= 0.5  # tolerant of features shifted by a pre-processing mitigation
        if not online.any():
            raise ValueError("no candidate with an online profile to learn from")
        weights = None if sample_weight is None else np.asarray(sample_weight, float)[online]
        self.pipeline_ = make_pipeline(SimpleImputer(strategy="mean"), StandardScaler(),
                                       LogisticRegression(max_iter=1000))
        self.pipeline_.fit(X[online, 1:], y[online], logisticregression__sample_weight=weights)
        self.classes_ = np.array([0, 1])
        self.offline_score_ = float(self._scores(np.full((1, X.shape[1]), np.nan))[0])
        return self

    def _scores(self, X: np.ndarray) -> np.ndarray:
        online = X[:, 0] >= 0.5
        profile = X[:, 1:].copy()
        profile[~online] = np.nan  # the imputer fills them: the "mean" policy
        p = self.pipeline_.predict_proba(profile)[:, 1]
        if self.policy == "risky":
            p[~online] = 1.0
        elif self.policy == "safe":
            p[~online] = 0.0
        return p

    def predict_proba(self, X) -> np.ndarray:
        p = self._scores(np.asarray(X, dtype=float))
        return np.column_stack([1 - p, p])

    def predict(self, X) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= self.cutoff).astype(int)


WORLD_KNOBS = ("tagger_dialect_bias", "offline_rate")


def _make_data(n_samples: int, random_state: int = 0, **knobs) -> pd.DataFrame:
    """The runner hands every knob to ``make_data``; the model's knobs are not the world's."""
    return make_babysitter_scoring_data(
        n_samples, random_state, **{k: v for k, v in knobs.items() if k in WORLD_KNOBS})


def _split(data: pd.DataFrame, spec: Spec) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A random split, not stratified on the label: the label moves with the tagger's
    bias, and every point of a sweep should audit the same candidates."""
    return train_test_split(data, test_size=TEST_SIZE, random_state=spec.seed)


def _model(spec: Spec) -> OfflinePolicyClassifier:
    return OfflinePolicyClassifier(policy=spec.knobs["offline_policy"],
                                   cutoff=spec.knobs["cutoff"])


def _gap(result, attribute: str, metric: str, group: str) -> dict | None:
    """``metric`` of ``group`` against the attribute's reference, or None if not audited."""
    try:
        d = result.disparity(attribute, metric, group)
    except KeyError:  # the group is absent (no offline candidates, say)
        return None
    return {"group": group, "reference": d["reference"], "metric": metric,
            "difference": d["difference"], "ratio": d["ratio"],
            "group_value": result.group(attribute, group)["metrics"][metric],
            "reference_value": result.group(attribute, d["reference"])["metrics"][metric]}


def _truth_audit(run):
    return audit_frame(CASE, run.test, CASE.truth, run.spec.seed, cross_check=False)


def _tagger_audit(run):
    """The tagger's own verdict, as a decision, against true conduct (online candidates)."""
    frame = run.test.loc[run.test["has_profile"] == 1].assign(prediction=lambda d: d[CASE.label])
    return fairness.audit(frame, label=CASE.truth, prediction="prediction",
                          sensitive=["ethnicity", "dialect"],
                          reference={"ethnicity": "White", "dialect": "SAE"},
                          bootstrap=BOOTSTRAP, random_state=run.spec.seed, cross_check=False)


def _flag_leakage(run, features: tuple[str, ...]) -> dict:
    """Proxy AUC for 'Black' among candidates with a profile (the offline have no flags)."""
    online_train = run.train.loc[run.train["has_profile"] == 1]
    online_test = run.test.loc[run.test["has_profile"] == 1]
    # OpenMP threads busy-wait: on a loaded 2-core machine they made this fit ten times
    # slower, and one thread is quick for a few thousand rows (the result is the same).
    with threadpool_limits(limits=1, user_api="openmp"):
        return proxy_leakage(online_train, online_test, list(features), "ethnicity", "Black",
                             run.spec.seed)


def _rows(result, attribute: str, metrics: dict[str, tuple[object, str]]) -> list[dict]:
    """One row per group of ``attribute``: n and the named metrics from the given audits."""
    rows = []
    for g in result.groups:
        if g["attribute"] != attribute:
            continue
        row = {"group": g["group"], "n": g["n"], "is_reference": g["is_reference"]}
        for key, (audit, metric) in metrics.items():
            row[key] = audit.group(attribute, g["group"])["metrics"][metric]
        rows.append(row)
    return rows


def _policy_outcome(run, policy: str) -> dict:
    """Decide the test candidates under one offline policy and audit both ways."""
    if policy == run.spec.knobs["offline_policy"]:
        model, test = run.model, run.test
    else:
        model = clone(run.model).set_params(policy=policy)
        model.fit(run.train[list(FEATURES)], run.train[CASE.label].to_numpy())
        test = run.test.copy()
        X = test[list(FEATURES)]
        test["score"] = model.predict_proba(X)[:, 1]
        test["prediction"] = model.predict(X)
    seed = run.spec.seed
    vs_label = audit_frame(CASE, test, CASE.label, seed, cross_check=False)
    vs_truth = audit_frame(CASE, test, CASE.truth, seed, cross_check=False)
    columns = {"flag_rate": (vs_truth, "selection_rate"), "fpr_vs_truth": (vs_truth, "fpr"),
               "fnr_vs_truth": (vs_truth, "fnr"), "fpr_vs_label": (vs_label, "fpr")}
    return {
        "policy": policy,
        "offline_score": model.offline_score_,
        "groups": {a: _rows(vs_truth, a, columns)
                   for a in ("online_presence", "age_band", "income_band")},
        "offline_vs_online": {
            "flag_rate": _gap(vs_truth, "online_presence", "selection_rate", "offline"),
            "fpr_vs_truth": _gap(vs_truth, "online_presence", "fpr", "offline"),
            "fnr_vs_truth": _gap(vs_truth, "online_presence", "fnr", "offline"),
            "fpr_vs_label": _gap(vs_label, "online_presence", "fpr", "offline"),
        },
        "older_flag_rate": _gap(vs_truth, "age_band", "selection_rate", "40 and over"),
        "low_income_flag_rate": _gap(vs_truth, "income_band", "selection_rate", "low"),
        "black_flag_rate": _gap(vs_truth, "ethnicity", "selection_rate", "Black"),
        "performance_vs_truth": {m: vs_truth.summary["overall"]["metrics"][m]
                                 for m in ("selection_rate", "tpr", "fpr", "ppv")},
    }


def _analyses(run) -> dict:
    vs_truth = _truth_audit(run)
    tagger = _tagger_audit(run)
    coefs = run.model.pipeline_[-1].coef_[0].round(12).tolist()
    return {
        "label_vs_truth": {
            "attribute": "ethnicity",
            "rows": _rows(run.audit, "ethnicity", {
                "flag_rate": (run.audit, "selection_rate"),
                "base_rate_label": (run.audit, "base_rate"),
                "base_rate_truth": (vs_truth, "base_rate"),
                "fpr_vs_label": (run.audit, "fpr"), "fpr_vs_truth": (vs_truth, "fpr"),
                "tpr_vs_label": (run.audit, "tpr"), "tpr_vs_truth": (vs_truth, "tpr"),
            }),
            "fpr_gap_vs_label": _gap(run.audit, "ethnicity", "fpr", "Black"),
            "fpr_gap_vs_truth": _gap(vs_truth, "ethnicity", "fpr", "Black"),
        },
        "tagger": {
            "population": "test candidates with an online profile",
            "rows": {a: _rows(tagger, a, {"flag_rate": (tagger, "selection_rate"),
                                          "fpr_vs_truth": (tagger, "fpr"),
                                          "tpr_vs_truth": (tagger, "tpr")})
                     for a in ("ethnicity", "dialect")},
            "fpr_gap_black": _gap(tagger, "ethnicity", "fpr", "Black"),
            "fpr_gap_aae": _gap(tagger, "dialect", "fpr", "AAE"),
        },
        "leakage": {
            "tagger_flags": _flag_leakage(run, TAGGER_FLAGS),
            "model_inputs": _flag_leakage(run, FEATURES[1:]),
        },
        "offline_policies": {
            "current": run.spec.knobs["offline_policy"],
            "cutoff": run.spec.knobs["cutoff"],
            "policies": [_policy_outcome(run, p) for p in POLICIES],
        },
        "coefficients": dict(zip(FEATURES[1:], coefs, strict=True)),
    }


def _sweep_extras(run) -> dict:
    vs_truth = _truth_audit(run)
    tagger = _tagger_audit(run)
    offline = (run.test["has_profile"] == 0).mean()
    return {
        "fpr_gap_vs_label": _gap(run.audit, "ethnicity", "fpr", "Black"),
        "fpr_gap_vs_truth": _gap(vs_truth, "ethnicity", "fpr", "Black"),
        "tagger_fpr_gap_vs_truth": _gap(tagger, "ethnicity", "fpr", "Black"),
        "tagger_flags_leakage_auc": _flag_leakage(run, TAGGER_FLAGS)["auc"],
        "offline_share": float(offline),
        "offline_flag_rate_gap": _gap(run.audit, "online_presence", "selection_rate", "offline"),
        "older_flag_rate_gap": _gap(run.audit, "age_band", "selection_rate", "40 and over"),
        "tpr_vs_truth": vs_truth.summary["overall"]["metrics"]["tpr"],
    }


def _diff(gap: dict | None) -> dict | None:
    return gap["difference"] if gap else None


def _points(est: dict | None) -> str:
    """A difference of two rates in percentage points, with its interval."""
    return format_estimate(est, percent=True).replace("%", "") + " percentage points"


def _display(record: dict) -> list[dict]:
    a = record["analyses"]
    lvt, tagger, policies = a["label_vs_truth"], a["tagger"], a["offline_policies"]
    knobs = record["manifest"]["knobs"]
    blocks: list[dict] = [{"kind": "text", "markdown": (
        f"With `tagger_dialect_bias={knobs['tagger_dialect_bias']:g}`, the tagger's false-flag "
        f"rate is higher for safe Black candidates than for safe White ones by "
        f"{_points(_diff(tagger['fpr_gap_black']))}. Audited against the tagger's own label, "
        f"the score's false-flag gap is {_points(_diff(lvt['fpr_gap_vs_label']))}; against "
        f"true conduct it is {_points(_diff(lvt['fpr_gap_vs_truth']))}. An audit against the "
        "label understates the gap."
    )}]
    blocks.append({
        "kind": "table", "title": "The same decisions, audited against two labels",
        "columns": ["Ethnicity", "Candidates", "Flag rate", "Flagged by tagger",
                    "Truly unsafe", "False flags (vs tagger)", "False flags (vs truth)",
                    "Unsafe caught (vs truth)"],
        "percent": [False, False, True, True, True, True, True, True],
        "rows": [[r["group"], r["n"], r["flag_rate"], r["base_rate_label"],
                  r["base_rate_truth"], r["fpr_vs_label"], r["fpr_vs_truth"],
                  r["tpr_vs_truth"]] for r in lvt["rows"]],
        "caption": "Flag rate is the share flagged as risky (the audit's selection rate). A "
                   "false flag is a flag on a candidate the label calls safe: the tagger's "
                   "label in one column, true conduct in the next.",
    })
    blocks.append({
        "kind": "table", "title": "The tagger itself, against true conduct",
        "columns": ["Group", "Candidates", "Flagged by tagger", "False flags", "Unsafe caught"],
        "percent": [False, False, True, True, True],
        "rows": [[r["group"], r["n"], r["flag_rate"], r["fpr_vs_truth"], r["tpr_vs_truth"]]
                 for attr in ("ethnicity", "dialect") for r in tagger["rows"][attr]],
        "caption": "Test candidates with an online profile. AAE: African American English; "
                   "SAE: standard American English.",
    })
    rows = []
    for p in policies["policies"]:
        gaps = p["offline_vs_online"]
        offline = next((r for r in p["groups"]["online_presence"] if r["group"] == "offline"),
                       None)
        rows.append([p["policy"], p["offline_score"],
                     offline["flag_rate"] if offline else "—", _diff(gaps["flag_rate"]),
                     offline["fpr_vs_truth"] if offline else "—",
                     offline["fnr_vs_truth"] if offline else "—",
                     _diff(p["older_flag_rate"]), _diff(p["low_income_flag_rate"])])
    blocks.append({
        "kind": "table", "title": "Candidates with no online presence, under each policy",
        "columns": ["Policy", "Score of an offline candidate", "Offline flag rate",
                    "Flag-rate gap, offline − online", "Safe offline candidates flagged",
                    "Unsafe offline candidates passed", "Flag-rate gap, 40 and over − 25-39",
                    "Flag-rate gap, low − middle income"],
        "percent": [False, False, True, True, True, True, True, True],
        "rows": rows,
        "caption": f"Cut-off {policies['cutoff']:g}; this run's policy is "
                   f"`{policies['current']}`. Rates against true conduct.",
    })
    mean = next(p for p in policies["policies"] if p["policy"] == "mean")
    same = "safe" if mean["offline_score"] < policies["cutoff"] else "risky"
    blocks.append({"kind": "text", "markdown": (
        f"Imputed at the mean, an offline candidate scores {mean['offline_score']:.3f}: "
        f"{'below' if same == 'safe' else 'at or above'} the cut-off of "
        f"{policies['cutoff']:g}, so the silent default decides every offline candidate "
        f"as `{same}` does, whatever their conduct."
    )})
    leak = a["leakage"]
    blocks.append({
        "kind": "table", "title": "What the inputs reveal about ethnicity",
        "columns": ["Inputs", "AUC predicting 'Black'"], "percent": [False, False],
        "rows": [["the tagger's flags (recent flag share, verdict)", leak["tagger_flags"]["auc"]],
                 ["all the score's inputs (with slang rate)", leak["model_inputs"]["auc"]]],
        "caption": "A gradient-boosted classifier's AUC on test candidates with a profile; "
                   "0.5 means the inputs reveal nothing.",
    })
    sweeps = record.get("sweeps", {})
    bias = sweeps.get("tagger_dialect_bias")
    if bias:
        blocks.append({
            "kind": "figure", "id": "bias-sweep", "chart": "line",
            "title": "The tagger's dialect bias and the audit's verdict",
            "xlabel": "tagger_dialect_bias", "ylabel": "Black − White, percentage points",
            "percent_y": True, "xscale": "linear", "reference_line": 0.0,
            "series": [
                sweep_series(bias, "flag rate", lambda p: p["headline"]["difference"]),
                sweep_series(bias, "false flags vs tagger's label",
                        lambda p: _diff(p["extras"]["fpr_gap_vs_label"])),
                sweep_series(bias, "false flags vs true conduct",
                        lambda p: _diff(p["extras"]["fpr_gap_vs_truth"])),
            ],
            "caption": "Bands: 95% bootstrap intervals. At 0 the gaps cover parity; above it the "
                       "audit against the label understates the gap against the truth.",
            "alt": "Three lines rising with the tagger's bias; the false-flag gap against true "
                   "conduct rises faster than the one against the tagger's label.",
        })
        blocks.append({
            "kind": "figure", "id": "bias-leakage", "chart": "line",
            "title": "How much the tagger's flags reveal about ethnicity",
            "xlabel": "tagger_dialect_bias", "ylabel": "AUC predicting 'Black' from the flags",
            "percent_y": False, "xscale": "linear", "reference_line": 0.5,
            "series": [sweep_series(bias, "proxy AUC",
                               lambda p: p["extras"]["tagger_flags_leakage_auc"])],
            "caption": "0.5: the flags say nothing of ethnicity. Bands: 95% intervals.",
            "alt": "The proxy AUC starts near 0.5 and grows with the tagger's bias.",
        })
    offline = sweeps.get("offline_rate")
    if offline:
        blocks.append({
            "kind": "figure", "id": "offline-sweep", "chart": "line",
            "title": "More candidates offline",
            "xlabel": "offline_rate", "ylabel": "rate or gap",
            "percent_y": True, "xscale": "linear", "reference_line": 0.0,
            "series": [
                sweep_series(offline, "flag-rate gap, 40 and over − 25-39",
                        lambda p: _diff(p["extras"]["older_flag_rate_gap"])),
                sweep_series(offline, "unsafe candidates caught (vs truth)",
                        lambda p: p["extras"]["tpr_vs_truth"]),
            ],
            "caption": f"Under this run's policy (`{knobs['offline_policy']}`). Bands: 95% "
                       "intervals.",
            "alt": "How the age gap in flags and the share of unsafe candidates caught change "
                   "as more candidates have no posts.",
        })
    return blocks


CASE = Case(
    slug="babysitter-scoring",
    title="Babysitter scoring: a risk score learns a biased tagger",
    real_system="Predictim's social-media risk ratings of babysitter candidates (2018)",
    summary=(
        "A risk score trained on a toxicity tagger's flags flags Black candidates more often. "
        "Audited against the tagger's own label it looks fair; against true conduct, which no "
        "real system observes, it is not. Candidates with no online presence get whatever "
        "score the missing-data policy gives them."
    ),
    pitfalls=("statistical bias in the data or labels", "information leaking into the model",
              "incomplete or unrepresentative data"),
    regulation=("EU AI Act: high-risk (Annex III, 4(a)); Art. 5(1)(c) social scoring; "
                "US Fair Credit Reporting Act"),
    make_data=_make_data,
    columns=(
        Column("ethnicity", "sensitive",
               "Drawn with shares 50% White, 20% Black, 20% Hispanic, 10% Asian, independently "
               "of age band and income band.",
               "Not given to the model; reaches it through the dialect of the posts."),
        Column("age_band", "sensitive", "Drawn with shares 35% 18-24, 40% 25-39, 25% 40 and "
               "over. Younger candidates post more (mean 80, 50, 25 posts).",
               "Older candidates are more often offline (offline_rate × 0.5, 0.8, 1.8)."),
        Column("income_band", "sensitive", "Drawn with shares 30% low, 45% middle, 25% high.",
               "Lower-income candidates are more often offline (offline_rate × 1.5, 1.0, 0.6)."),
        Column("online_presence", "sensitive",
               "'offline' if the scraper found no profile, else 'online'. Audited as a group "
               "of its own.",
               "Missing at a rate that depends on age and income (offline_rate)."),
        Column("dialect", "context",
               "Dialect of the candidate's posts: AAE (African American English) for 60% of "
               "Black candidates and 5% of others, else SAE (standard American English).",
               "The tagger over-flags AAE posts (tagger_dialect_bias)."),
        Column("unsafe_conduct", "truth",
               "1 for the 8% of candidates whose real conduct with children is unsafe, in every "
               "group alike. Unsafe candidates write toxic posts at 15% of their posts, others "
               "at 2%.",
               "Hidden: neither the tagger, the score nor the parents observe it."),
        Column("has_profile", "feature", "1 if the candidate has an online profile, else 0.",
               "The score's offline_policy decides what a 0 means."),
        Column("n_posts", "feature", "Number of posts in the history: 1 + Poisson(mean by age "
               "band); 0 when offline (the scraper returns zeros)."),
        Column("recent_flag_share", "feature",
               f"Share of the {RECENT_POSTS} latest posts (all, if fewer) that the tagger flags; "
               "0 when offline.",
               "Carries the tagger's dialect bias into the score."),
        Column("slang_rate", "feature",
               "Rate of non-standard spellings and slang per post: 0.25 in AAE, 0.08 in SAE, "
               "+0.04 for 18-24, plus noise (sd 0.04); 0 when offline.",
               "A marker of dialect that says nothing of conduct: a proxy of ethnicity, which "
               "the score learns to use only when the tagger is biased."),
        Column("flagged_posts", "context",
               f"Posts of the whole history the tagger flags: it catches "
               f"{TAGGER_SENSITIVITY:.0%} of toxic posts and flags {TAGGER_FALSE_FLAG:.0%} of "
               "the others, times 1 + tagger_dialect_bias in AAE.",
               "The over-flagging of AAE posts is put in on purpose."),
        Column("risk_flag", "label",
               f"The tagger's verdict: 1 if at least {RISK_SHARE:.0%} of the history's posts "
               "are flagged; 0 when offline (nothing to flag).",
               "An unvalidated label: a model's output, biased by the tagger's dialect bias."),
    ),
    features=FEATURES,
    label="risk_flag",
    truth="unsafe_conduct",
    sensitive=("ethnicity", "age_band", "income_band", "online_presence"),
    reference=REFERENCE,
    headline=Headline("ethnicity", "selection_rate", "Black",
                      "how much more often Black candidates than White candidates are flagged "
                      "as risky, and so not hired (a prediction of 1 is a flag: the selection "
                      "rate here is the flag rate)"),
    truth_headline=Headline("ethnicity", "fpr", "Black",
                            "how much more often safe Black candidates than safe White "
                            "candidates are flagged: 'safe' per the tagger's label, or per true "
                            "conduct"),
    metrics_that_matter={
        "selection_rate": "A prediction of 1 is a flag (not hired), so the selection rate is "
                          "the flag rate: the share of a group the score turns away. It does "
                          "not depend on the label.",
        "fpr": "Among candidates who are safe, the share flagged: wrongful rejections. Against "
               "the tagger's label it counts the tagger's own false flags as correct, so it "
               "hides the tagger's bias; against true conduct it shows it.",
        "fnr": "Among truly unsafe candidates, the share who pass: what parents pay to be "
               "protected from. Offline candidates pass whatever their conduct under the "
               "'mean' and 'safe' policies at the default cut-off.",
    },
    make_model=_model,
    test_size=TEST_SIZE,
    split=_split,
    model_description=(
        "A logistic regression (scikit-learn) on the standardised number of posts, share of "
        "recent posts the tagger flags and slang rate, trained on the 70% training part's "
        "candidates with an online profile to predict the tagger's verdict `risk_flag`. "
        "Candidates with no profile are scored by `offline_policy`: features imputed at the "
        "training mean (`mean`), score 1 (`risky`) or score 0 (`safe`). A candidate is flagged "
        "as risky, and not hired, when the score is at least `cutoff`. Ethnicity, age, income "
        "and dialect are not among the inputs."
    ),
    knobs=(
        Knob("tagger_dialect_bias", 1.0, "Extra false flags on non-toxic posts in African "
             "American English, as a multiple of the rate on standard English (0: none; 1: "
             "twice as many).", low=0.0, high=3.0),
        Knob("offline_rate", 0.15, "About the share of candidates with no online presence; "
             "older and lower-income candidates are offline more often.", low=0.0, high=0.5),
        Knob("offline_policy", "mean", "How the score treats candidates with no online "
             "presence: features imputed at the mean, scored as risky, or scored as safe.",
             choices=POLICIES),
        Knob("cutoff", 0.5, "Score at or above which a candidate is flagged as risky.",
             low=0.01, high=0.99),
    ),
    sweeps={"tagger_dialect_bias": (0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0),
            "offline_rate": (0.0, 0.1, 0.2, 0.3, 0.5)},
    analyses=_analyses,
    sweep_extras=_sweep_extras,
    display=_display,
    # Every applicable mitigation but aif360's reject-option classification, which takes
    # prediction 1 to be the favourable outcome: here 1 is a flag, so it would flag more
    # of the group it means to protect.
    mitigations=MITIGATIONS,
    mitigation_attribute="ethnicity",
)
