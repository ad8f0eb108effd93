"""Babysitter scoring: a risk score trained on a toxicity tagger's flags.

Stands for Predictim (2018), which rated babysitter candidates from their social-media
posts; its "risk" label was itself a model's output. Here true conduct is known, so the
same decisions are audited against the tagger's label and the truth, on the false-flag
rate (the flag rate does not depend on the label): against the label, the safe Black
candidates the tagger wrongly flagged count as rightly flagged, which hides the gap.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import binom
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fairness.analysis import proxy_leakage

from ._contract import Case, Column, Headline, Knob, Split, Variant
from ._world import streams, validated

ETHNICITIES = ("White", "Black", "Hispanic", "Asian")
ETHNICITY_SHARES = (0.5, 0.2, 0.2, 0.1)
AAE_RATE = (0.05, 0.6, 0.05, 0.05)  # share writing in African American English, by ethnicity
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
FEATURES = ("has_profile", "n_posts", "recent_flag_share", "slang_rate")
TAGGER_FLAGS = ("recent_flag_share", "risk_flag")  # what the tagger outputs, for the proxy test

KNOBS = (
    Knob("tagger_dialect_bias", 1.0, "Extra false flags on non-toxic posts in African "
         "American English, as a multiple of the rate on standard English (0: none; 1: twice "
         "the rate, a comparable order of magnitude to the up-to-twofold flag-rate ratio Sap "
         "et al. 2019 report).", low=0.0, high=3.0),
    Knob("offline_rate", 0.15, "About the share of candidates with no online presence; "
         "older and lower-income candidates are offline more often.", low=0.0, high=0.5),
    Knob("offline_policy", "mean", "How the score treats candidates with no online "
         "presence: features imputed at the mean, scored as risky, or scored as safe.",
         choices=POLICIES, acts_on="model"),
    Knob("cutoff", 0.5, "Score at or above which a candidate is flagged as risky.",
         low=0.01, high=0.99, acts_on="threshold"),
)


@validated(KNOBS)
def make_babysitter_scoring_data(n_samples: int = 20_000, random_state: int = 0, *,
                                 tagger_dialect_bias: float = 1.0,
                                 offline_rate: float = 0.15) -> pd.DataFrame:
    """Generate babysitter candidates, their posts' summary and a tagger's verdict.

    True conduct (``unsafe_conduct``, 8% of candidates, unobserved) is the same
    in every ethnicity, age band and income band, drawn independently, so any
    ethnic gap in the flags comes from the tagger alone. Unsafe candidates post
    more toxic content; Black candidates write more often in African American
    English (AAE). A toxicity tagger catches 85% of toxic posts and wrongly
    flags 3% of the others, times ``1 + tagger_dialect_bias`` in AAE; its verdict
    on the whole history is the label ``risk_flag``. Candidates with no online
    presence (more often older and lower-income) have no posts: the scraper
    returns zeros and ``has_profile = 0``, and the tagger flags nothing.

    Parameters
    ----------
    n_samples : int
        Number of candidates.
    random_state : int
        Seed.
    tagger_dialect_bias : float
        Extra false flags on non-toxic AAE posts, as a multiple of the false-flag
        rate on standard English (0: none; 1: twice the rate, a comparable order of
        magnitude to Sap et al. 2019, who found AAE tweets "up to two times more
        likely" to be labelled offensive: a flag-rate ratio, not a false-flag one).
    offline_rate : float
        About the share of candidates with no online presence; an individual's
        chance is this times 0.5, 0.8 or 1.8 by age band and 1.5, 1.0 or 0.6 by
        income band (low to high), capped at 1.

    Returns
    -------
    pandas.DataFrame
        One row per candidate: the columns of ``CASE.columns``, with the hidden
        ``unsafe_conduct`` (truth) and the tagger's verdict ``risk_flag`` (label).

    Examples
    --------
    >>> df = make_babysitter_scoring_data(1000, random_state=0)
    >>> int(df.loc[df["online_presence"] == "offline", ["has_profile", "risk_flag"]].sum().sum())
    0
    """
    # One stream per mechanism: every point of a sweep is the same candidates with the
    # same posts, and a knob changes only what it governs (common random numbers).
    rng = streams(random_state, "person", "presence", "posting", "tagging", "scanning")
    person, n = rng["person"], n_samples
    eth = person.choice(len(ETHNICITIES), size=n, p=ETHNICITY_SHARES)
    age = person.choice(len(AGE_BANDS), size=n, p=AGE_SHARES)
    income = person.choice(len(INCOME_BANDS), size=n, p=INCOME_SHARES)
    aae = person.random(n) < np.array(AAE_RATE)[eth]
    unsafe = (person.random(n) < UNSAFE_RATE).astype(int)
    slang = np.clip(np.where(aae, 0.25, 0.08) + 0.04 * (age == 0) + person.normal(0, 0.04, n),
                    0, 1)

    p_offline = offline_rate * np.array(AGE_OFFLINE)[age] * np.array(INCOME_OFFLINE)[income]
    online = rng["presence"].random(n) >= np.minimum(1.0, p_offline)
    # Posts and flags are drawn for everyone, then hidden for the offline: raising
    # offline_rate removes candidates' profiles without redrawing anyone else's.
    n_posts = 1 + rng["posting"].poisson(np.array(AGE_POSTS)[age])
    toxic = rng["posting"].binomial(n_posts, np.array(TOXIC_POST_RATE)[unsafe])
    caught = rng["tagging"].binomial(toxic, TAGGER_SENSITIVITY)
    false_flag = np.minimum(1.0, TAGGER_FALSE_FLAG * np.where(aae, 1 + tagger_dialect_bias, 1))
    # Inverse CDF of one uniform per candidate: a stronger bias only adds false flags.
    false_flags = np.maximum(binom.ppf(rng["tagging"].random(n), n_posts - toxic, false_flag), 0)
    flagged = caught + false_flags.astype(int)
    # The score sees only a quick scan of the latest posts, drawn from the history.
    recent = np.minimum(RECENT_POSTS, n_posts)
    recent_flagged = rng["scanning"].hypergeometric(flagged, n_posts - flagged, recent)
    return pd.DataFrame({
        "ethnicity": np.array(ETHNICITIES)[eth], "age_band": np.array(AGE_BANDS)[age],
        "income_band": np.array(INCOME_BANDS)[income],
        "online_presence": np.where(online, "online", "offline"),
        "dialect": np.where(aae, "AAE", "SAE"), "unsafe_conduct": unsafe,
        "has_profile": online.astype(int), "n_posts": np.where(online, n_posts, 0),
        "recent_flag_share": np.where(online, recent_flagged / recent, 0.0),
        "slang_rate": np.where(online, slang, 0.0), "flagged_posts": np.where(online, flagged, 0),
        "risk_flag": (online & (flagged >= RISK_SHARE * n_posts)).astype(int),
    })


class OfflinePolicyClassifier(ClassifierMixin, BaseEstimator):
    """A risk score for candidates with a profile, and a stated policy for those without.

    ``X``'s first column is ``has_profile``; a logistic regression on the others
    learns from the candidates with a profile only (the tagger read nothing of the
    others). What an offline candidate scores is a choice, which ``policy`` states:
    ``"mean"`` imputes the training profiles' mean (the silent default of many
    pipelines; that score is ``offline_score_``), ``"risky"`` scores 1, ``"safe"`` 0.
    The case flags at its ``cutoff``; ``predict`` uses 0.5.

    Examples
    --------
    >>> df = make_babysitter_scoring_data(2000, random_state=0)
    >>> model = OfflinePolicyClassifier(policy="risky").fit(df[list(FEATURES)], df["risk_flag"])
    >>> bool(model.predict(df[list(FEATURES)])[df["has_profile"] == 0].all())
    True
    """

    def __init__(self, policy: str = "mean"):
        self.policy = policy

    def fit(self, X, y, sample_weight=None) -> OfflinePolicyClassifier:
        X, y = np.asarray(X, dtype=float), np.asarray(y).astype(int)
        online = X[:, 0] >= 0.5  # tolerant of features shifted by a pre-processing mitigation
        weights = None if sample_weight is None else np.asarray(sample_weight, float)[online]
        self.pipeline_ = make_pipeline(SimpleImputer(strategy="mean"), StandardScaler(),
                                       LogisticRegression(max_iter=1000))
        self.pipeline_.fit(X[online, 1:], y[online], logisticregression__sample_weight=weights)
        self.classes_ = np.array([0, 1])
        self.offline_score_ = float(self.predict_proba(np.zeros((1, X.shape[1])))[0, 1])
        return self

    def predict_proba(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        online = X[:, 0] >= 0.5
        profile = np.where(online[:, None], X[:, 1:], np.nan)  # imputed: the "mean" policy
        p = self.pipeline_.predict_proba(profile)[:, 1]
        if self.policy != "mean":
            p[~online] = float(self.policy == "risky")
        return np.column_stack([1 - p, p])

    def predict(self, X) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


def _gap(result, attribute: str, metric: str, group: str):
    """``AuditResult.gap``, or None when the group is absent (no one offline, say)."""
    try:
        return result.gap(attribute, metric, group)
    except KeyError:
        return None


def _flag_leakage(run, features) -> dict:
    """Proxy AUC for 'Black' among candidates with a profile (the offline have no flags)."""
    train, test = (d.loc[d["has_profile"] == 1] for d in (run.train, run.test))
    return proxy_leakage(train, test, list(features), "ethnicity", "Black", run.spec.seed)


def _policy(run, main) -> dict:
    """What one offline policy does, against true conduct (flag rates do not need a label)."""
    truth = run.audit("truth")
    return {
        "policy": run.spec.knobs["offline_policy"], "offline_score": run.model.offline_score_,
        "decides_as_this_run": bool(run.test["prediction"].equals(main.test["prediction"])),
        **{f"offline_{m}": _gap(truth, "online_presence", m, "offline")
           for m in ("selection_rate", "fpr", "fnr")},
        "older_flag_rate": _gap(truth, "age_band", "selection_rate", "40 and over"),
        "low_income_flag_rate": _gap(truth, "income_band", "selection_rate", "low"),
        "black_flag_rate": _gap(truth, "ethnicity", "selection_rate", "Black"),
    }


def _analyses(run) -> dict:
    # The tagger's verdict as a decision, against true conduct, where it had posts to read.
    tagger = run.audit_frame(run.test.loc[run.test["has_profile"] == 1], run.case.truth,
                             prediction=run.case.label, sensitive=["ethnicity", "dialect"],
                             reference={"ethnicity": "White", "dialect": "SAE"})
    policy = run.spec.knobs["offline_policy"]  # this run's first, then the other policies
    others = [r for r in (run.variant_run(v.name) for v in run.case.variants)
              if r.spec.knobs["offline_policy"] != policy]
    return {
        "tagger": {"groups": [g for a in ("ethnicity", "dialect") for g in tagger.groups_of(a)],
                   "fpr_gap_black": tagger.gap("ethnicity", "fpr", "Black"),
                   "fpr_gap_aae": tagger.gap("dialect", "fpr", "AAE")},
        "model_inputs_leakage": _flag_leakage(run, FEATURES[1:]),
        "offline_policies": [_policy(r, run) for r in (run, *others)],
    }


CASE = Case(
    slug="babysitter-scoring",
    title="Babysitter scoring: a risk score learns a biased tagger",
    real_system="Predictim's social-media risk ratings of babysitter candidates (2018)",
    summary=(
        "A risk score trained on a toxicity tagger's flags flags Black candidates more often. "
        "Audited against the tagger's own label it looks fairer than it is; against true "
        "conduct, which no real system observes, the gap in wrongful flags is larger. Offline "
        "candidates get whatever score the missing-data policy gives them."),
    pitfalls=("statistical bias in the data or labels", "information leaking into the model",
              "incomplete or unrepresentative data"),
    regulation=("EU AI Act: high-risk (Annex III, 4(a)); Art. 5(1)(c) social scoring; "
                "US Fair Credit Reporting Act"),
    make_data=make_babysitter_scoring_data,
    columns=(
        Column("ethnicity", "sensitive", "Shares 50% White, 20% Black, 20% Hispanic, 10% "
               "Asian, drawn independently of age band and income band.",
               "Not given to the model; reaches it through the dialect of the posts."),
        Column("age_band", "sensitive", "Drawn with shares 35% 18-24, 40% 25-39, 25% 40 and "
               "over. Younger candidates post more (mean 80, 50, 25 posts).",
               "Older candidates are more often offline (offline_rate × 0.5, 0.8, 1.8)."),
        Column("income_band", "sensitive", "Drawn with shares 30% low, 45% middle, 25% high.",
               "Lower-income candidates are more often offline (offline_rate × 1.5, 1.0, 0.6)."),
        Column("online_presence", "sensitive", "'offline' if the scraper found no profile, "
               "else 'online'. Audited as a group of its own.",
               "Missing at a rate that depends on age and income (offline_rate)."),
        Column("dialect", "context", "Dialect of the posts: AAE (African American English) "
               "for 60% of Black candidates and 5% of others, else SAE (standard American "
               "English).",
               "The tagger over-flags AAE posts (tagger_dialect_bias)."),
        Column("unsafe_conduct", "truth", "1 for the 8% of candidates whose real conduct with "
               "children is unsafe, in every group alike; 15% of their posts are toxic, 2% of "
               "others'.",
               "Hidden: neither the tagger, the score nor the parents observe it."),
        Column("has_profile", "feature", "1 if the candidate has an online profile, else 0.",
               "The score's offline_policy decides what a 0 means."),
        Column("n_posts", "feature", "Number of posts in the history: 1 + Poisson(mean by age "
               "band); 0 when offline (the scraper returns zeros)."),
        Column("recent_flag_share", "feature", f"Share of the {RECENT_POSTS} latest posts (all, "
               "if fewer) that the tagger flags; 0 when offline.",
               "Carries the tagger's dialect bias into the score."),
        Column("slang_rate", "feature",
               "Rate of non-standard spellings and slang per post: 0.25 in AAE, 0.08 in SAE, "
               "+0.04 for 18-24, plus noise (sd 0.04); 0 when offline.",
               "A marker of dialect that says nothing of conduct: a proxy of ethnicity, which "
               "the score learns to use only when the tagger is biased."),
        Column("flagged_posts", "context", "Posts of the whole history the tagger flags: "
               f"{TAGGER_SENSITIVITY:.0%} of toxic posts and {TAGGER_FALSE_FLAG:.0%} of the "
               "others, times 1 + tagger_dialect_bias in AAE.",
               "The over-flagging of AAE posts is put in on purpose."),
        Column("risk_flag", "label", f"The tagger's verdict: 1 if at least {RISK_SHARE:.0%} of "
               "the history's posts are flagged; 0 when offline (nothing to flag).",
               "An unvalidated label: a model's output, biased by the tagger's dialect bias."),
    ),
    features=FEATURES,
    label="risk_flag",
    truth="unsafe_conduct",
    sensitive=("ethnicity", "age_band", "income_band", "online_presence"),
    reference={"ethnicity": "White", "age_band": "25-39", "income_band": "middle",
               "online_presence": "online"},
    positive_decision="flagged as risky",
    favorable_prediction=0,
    headline=Headline("ethnicity", "selection_rate", "Black",
                      "how much more often Black candidates than White candidates are flagged "
                      "as risky, and so not hired (the selection rate here is the flag rate)"),
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
               "'mean' and 'safe' policies at the default cut-off."},
    model=lambda spec: OfflinePolicyClassifier(spec.knobs["offline_policy"]),
    model_description=(
        "A logistic regression (scikit-learn) on the standardised number of posts, share of "
        "recent posts the tagger flags and slang rate, trained on the 70% training part's "
        "candidates with an online profile to predict the tagger's verdict `risk_flag`. "
        "Candidates with no profile are scored by `offline_policy`: features imputed at the "
        "training mean (`mean`), score 1 (`risky`) or score 0 (`safe`). A candidate is flagged "
        "as risky, and not hired, when the score is at least `cutoff`. Ethnicity, age, income "
        "and dialect are not among the inputs."),
    # Not stratified on the label: the label moves with the tagger's bias, and every
    # point of a sweep should audit the same candidates.
    split=Split.random(0.3),
    knobs=KNOBS,
    sweeps={"tagger_dialect_bias": (0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0),
            "offline_rate": (0.0, 0.1, 0.2, 0.3, 0.5)},
    variants=(  # the default policy is "mean": the page sets the three side by side
        Variant("offline scored risky", "The same score, with every candidate who has no "
                "profile scored 1: flagged, whatever their conduct.", {"offline_policy": "risky"}),
        Variant("offline scored safe", "The same score, with every candidate who has no "
                "profile scored 0: never flagged, whatever their conduct.",
                {"offline_policy": "safe"})),
    analyses=_analyses,
    tracked={
        "fpr_gap_vs_label": lambda run: run.gap("label", run.case.truth_headline),
        "tagger_flags_leakage": lambda run: _flag_leakage(run, TAGGER_FLAGS)["auc"],
        "older_flag_rate_gap": lambda r: r.audit().gap("age_band", "selection_rate", "40 and over"),
        "tpr_vs_truth": lambda run: run.audit("truth").overall("tpr"),
    },
)
