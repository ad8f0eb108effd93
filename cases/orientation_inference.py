"""Orientation inference: a pairwise score from a dating site meets a general population.

Stands for Wang and Kosinski (2018): a logistic regression on features of dating-site photos
told the gay man of a (gay, straight) pair 81% of the time (71% for women). Here photos carry
orientation only through self-presentation on the site; the model learns on a balanced,
self-selected sample of the site and meets a population where few people are gay or lesbian.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from fairness import proportion
from fairness.analysis import auc_with_interval, per_population, precision_curve, proxy_leakage
from fairness.mitigations import run_mitigation

from ._contract import Case, Column, Headline, Knob, Spec, Split
from ._world import categorical, streams, validated

SETTINGS = ("dating site", "dating site, held out", "general population")
SEXES = ("women", "men")
PRESENTATION = tuple(f"presentation_{i}" for i in range(1, 5))
FACE = tuple(f"face_{i}" for i in range(1, 9))
FEATURES = PRESENTATION + FACE
SITE_SIZE, HELD_OUT = 10_000, 4_000  # site users the model learns from, and held out
# Gay or lesbian and straight site users apart on each presentation channel, in standard
# deviations at self_presentation=1: held-out pairwise scores near the paper's 81% and 71%.
SITE_DIFFERENCE = {"women": 0.39, "men": 0.62}
PER, TOP = 1_000, (0.10, 0.01)  # natural frequencies per 1,000; shares ranked most likely
MITIGATION = "fairlearn.ThresholdOptimizer(EO)"  # equal error rates for women and men

KNOBS = (
    Knob("prevalence", 0.07, "Share of the population who are gay or lesbian (the paper's "
         "assumption for men: 7%; 0.5: the site's balanced sample).", low=0.001, high=0.5),
    Knob("self_presentation", 1.0, "How much gay or lesbian and straight users present "
         "themselves differently in dating-site photos (1: the paper's pairwise scores; 0: "
         "no difference, nothing to learn).", low=0.0, high=2.0),
    Knob("deployment_shift", 0.5, "Share of the site's self-presentation difference lacking "
         "in photos taken elsewhere (0: all differ as on the site; 1: none).", low=0.0, high=1.0),
    Knob("threshold", 0.5, "Score at or above which a person is inferred gay or lesbian.",
         low=0.05, high=0.99, acts_on="threshold"),
)


def _people(rng: np.random.Generator, n: int, gay: np.ndarray, male: np.ndarray,
            difference: float, setting: str) -> pd.DataFrame:
    """People with their photo features: noise, plus half the difference either side."""
    x = rng.standard_normal((n, len(FEATURES)))
    apart = np.where(male == 1, SITE_DIFFERENCE["men"], SITE_DIFFERENCE["women"]) * difference
    x[:, :len(PRESENTATION)] += ((gay - 0.5) * apart)[:, None]
    frame = pd.DataFrame({
        "setting": categorical(np.full(n, SETTINGS.index(setting)), SETTINGS),
        "sex": categorical(male, SEXES), "gay_or_lesbian": gay.astype(np.int64)})
    return pd.concat([frame, pd.DataFrame(x, columns=list(FEATURES))], axis=1)


@validated(KNOBS)
def make_orientation_inference_data(n_samples: int = 100_000, random_state: int = 0, *,
                                    prevalence: float = 0.07, self_presentation: float = 1.0,
                                    deployment_shift: float = 0.5) -> pd.DataFrame:
    """Generate 14,000 dating-site users and ``n_samples`` people of a general population.

    Every person has 12 photo features, standard normal noise. Four self-presentation
    channels carry orientation: on the site gay or lesbian users sit half a difference above
    the centre and straight users half below, ``0.62 × self_presentation`` standard
    deviations apart for men and ``0.39 ×`` for women; off the site, ``1 − deployment_shift``
    times that. Eight face channels carry nothing. Site and population come from independent
    streams; a person gay or lesbian at one prevalence is at any higher one, and a knob
    moves only the means it governs (see the knobs for the parameters).

    Examples
    --------
    >>> df = make_orientation_inference_data(1000, random_state=0)
    >>> site = df[df["setting"] == "dating site"]
    >>> len(site), site.groupby("sex", observed=True)["gay_or_lesbian"].mean().to_dict()
    (10000, {'women': 0.5, 'men': 0.5})
    """
    rng = streams(random_state, "site", "population")
    site = []
    for n, setting in ((SITE_SIZE, SETTINGS[0]), (HELD_OUT, SETTINGS[1])):
        i = rng["site"].permutation(n)  # balanced: half men, half of each sex gay or lesbian
        site.append(_people(rng["site"], n, (i // 2) % 2, i % 2, self_presentation, setting))
    pop = rng["population"]
    male = (pop.random(n_samples) < 0.5).astype(np.int64)
    gay = (pop.random(n_samples) < prevalence).astype(np.int64)  # one uniform per person
    difference = self_presentation * (1 - deployment_shift)
    return pd.concat([*site, _people(pop, n_samples, gay, male, difference, SETTINGS[2])],
                     ignore_index=True)


def _model(spec: Spec | None = None) -> Pipeline:
    return Pipeline([("scale", StandardScaler()), ("classify", LogisticRegression())])


def _held_out(run) -> pd.DataFrame:
    """The held-out site users, scored and decided by the run's model."""
    held = run.data[run.data["setting"] == SETTINGS[1]].reset_index(drop=True)
    return run.score_and_decide(run.model, held)


def _auc(frame: pd.DataFrame, by_sex: bool = True) -> dict:
    """The pairwise score (AUC): how often a gay or lesbian person outranks a straight one."""
    def one(f):
        return auc_with_interval(f["gay_or_lesbian"], f["score"])
    return {"all": one(frame), **({s: one(frame[frame["sex"] == s]) for s in SEXES}
                                  if by_sex else {})}


def _exposure(run) -> dict:
    """Per 1,000 people: who is inferred to be gay or lesbian, rightly and wrongly."""
    groups = run.audit().groups_of("sex")
    return per_population([sum(g[c] for g in groups) for c in ("tn", "fp", "fn", "tp")], PER,
                          random_state=run.spec.seed)


def _judged(run) -> dict:
    """What one set of decisions does: error rates by sex, their gaps, people exposed."""
    audit = run.audit()
    return {"fpr": {s: audit.group("sex", s)["metrics"]["fpr"] for s in SEXES},
            **{f"{m}_gap": audit.gap("sex", m, "women").difference for m in ("fpr", "tpr")},
            "accuracy": audit.overall("accuracy"), "per_1000": _exposure(run)}


def _mitigated(run) -> dict:
    """The equal-error-rates mitigation as the runner runs it, against the model at its own
    threshold and at the one that exposes as many people."""
    train, test, men = run.train, run.test, run.case.reference["sex"]
    out = run_mitigation(MITIGATION, estimator=run.make_model(), X_train=train[run.features],
                         y_train=train["gay_or_lesbian"].to_numpy(), X_test=test[run.features],
                         sensitive_train=train["sex"].astype(str),
                         sensitive_test=test["sex"].astype(str), privileged=men,
                         random_state=run.spec.seed, favorable=run.case.favorable_prediction)
    decided = test.drop(columns="score").assign(prediction=np.asarray(out.y_pred, int))
    mitigated = run.with_decisions(decided)
    share, knob = mitigated.audit().overall("selection_rate").value, run.case.threshold_knob
    matched = float(np.clip(np.quantile(test["score"], 1 - share), knob.low, knob.high))
    return {"name": MITIGATION, "matched_threshold": matched, "model": _judged(run),
            "same_exposure": _judged(run.with_threshold(matched)),
            "mitigated": _judged(mitigated)}


def _analyses(run) -> dict:
    held, audit = _held_out(run), run.audit()
    site = run.audit_frame(held, "gay_or_lesbian")
    top = run.test.sort_values("score", ascending=False, kind="stable")["gay_or_lesbian"]
    return {
        "pairwise": {"site": _auc(held), "population": _auc(run.test)},
        "site": {m: site.overall(m) for m in ("accuracy", "tpr", "fpr", "ppv")},
        "ppv_curve": {k: precision_curve(r.overall("tpr"), r.overall("fpr"))
                      for k, r in (("site", site), ("population", audit))},
        "per_1000": _exposure(run),  # and below, how an operator would use the ranking
        "top_ranked": {f"{s:g}": proportion(int(top.iloc[:max(1, round(s * len(top)))].sum()),
                                            max(1, round(s * len(top)))) for s in TOP},
        "leakage": {"alone": {f: auc_with_interval(held["gay_or_lesbian"], held[f])
                              for f in FEATURES},
                    "together": proxy_leakage(run.train, held, FEATURES, "gay_or_lesbian", "1",
                                              run.spec.seed)},
        "mitigation": _mitigated(run),
    }


def _tracked(run) -> dict:
    """The quantities the page plots over each sweep."""
    audit = run.audit()
    return {"pairwise_site": _auc(_held_out(run), by_sex=False)["all"],
            "pairwise_population": _auc(run.test, by_sex=False)["all"],
            "precision": audit.overall("ppv"), "exposed": audit.overall("selection_rate")}


def _feature_column(f: str) -> Column:
    if f in PRESENTATION:
        return Column(f, "feature", f"Self-presentation channel {f[-1]} of the photo, an abstract "
                      "signal: normal noise, ± half the difference (+ if gay or lesbian).",
                      "Orientation, via self-presentation: 0.62 × self_presentation standard "
                      "deviations apart for men, 0.39 × for women; × (1 − deployment_shift) "
                      "off the site.")
    return Column(f, "feature", f"Face channel {f[-1]}: normal noise.", "None: the face says "
                  "nothing of orientation here (a choice of this world, not a finding).")


CASE = Case(
    slug="orientation-inference",
    title="Orientation inference: a high pairwise score that should not be built",
    real_system="Wang and Kosinski's classifier of sexual orientation from dating-site photos "
                "(Journal of Personality and Social Psychology, 2018)",
    summary=(
        "A classifier of photo features, trained on a balanced sample of a dating site's users "
        "who state their orientation, picks the gay or lesbian person of a pair about as often "
        "as the paper reported. Used on a general population where 7 in 100 people are gay or "
        "lesbian, most people it infers to be gay or lesbian are straight, and every person "
        "it infers rightly is outed. A fairness mitigation narrows the gap in error rates "
        "between women and men and still exposes over a third of everyone: it changes which "
        "sex the exposed are, not how many. The conclusion is not to build it."),
    pitfalls=("a loss or metric that does not fit the need", "information leaking into the model",
              "incomplete or unrepresentative data", "a model that does not adapt to change"),
    regulation="EU AI Act: prohibited, biometric categorisation to infer sexual orientation "
               "(Art. 5(1)(g)); GDPR: data on sexual orientation is a special category (Art. 9)",
    make_data=make_orientation_inference_data,
    columns=(
        Column("setting", "context",
               "'dating site' for the 10,000 site users the model learns from, 'dating site, "
               "held out' for 4,000 more, 'general population' for everyone else. The model "
               "learns from the first and is audited on the last.",
               "The site's sample is self-selected (users who state their orientation) and "
               "balanced (half gay or lesbian); the population is not (prevalence)."),
        Column("sex", "sensitive", "'women' or 'men', half each in every setting.",
               "Women's self-presentation differs less on the site (0.39 against 0.62)."),
        Column("gay_or_lesbian", "label", "1 if the person is gay or lesbian, else 0: exactly "
               "half of the site's users in each sex, a share `prevalence` of the population. "
               "Two categories only, as in the study: bisexual people are left out."),
        *(_feature_column(f) for f in FEATURES),
    ),
    features=FEATURES,
    label="gay_or_lesbian",
    truth=None,  # the label is the truth: a synthetic world knows everyone's orientation
    sensitive=("sex",),
    reference={"sex": "men"},
    positive_decision="inferred to be gay or lesbian",
    favorable_prediction=0,  # being inferred is the burden: an outing, true or false
    headline=Headline("sex", "fpr", "women",
                      "how much more often straight women than straight men are falsely "
                      "inferred to be gay or lesbian"),
    metrics_that_matter={
        "fpr": "Straight people inferred to be gay or lesbian: false outings.",
        "tpr": "Gay and lesbian people inferred to be so: outings without consent. The "
               "'benefit' of the system is a harm to the people it finds.",
        "ppv": "Of the people inferred to be gay or lesbian, the share who are: what anyone "
               "acting on the inference would need, and what collapses at a low prevalence.",
        "selection_rate": "The share of each sex inferred to be gay or lesbian: the people "
                          "exposed, rightly or not."},
    model=_model,
    model_description=(
        "A scikit-learn Pipeline: StandardScaler, then a logistic regression (as the paper "
        "used on its deep-network features) on the 12 photo features of the 10,000 dating-site "
        "users, half of them gay or lesbian. A person is inferred to be gay or lesbian when "
        "the predicted probability is at least `threshold` (0.5). Sex is not an input."),
    knobs=KNOBS,
    sweeps={"prevalence": (0.01, 0.03, 0.07, 0.2, 0.5),
            "deployment_shift": (0.0, 0.25, 0.5, 0.75, 1.0),
            "self_presentation": (0.0, 0.5, 1.0, 1.5),
            "threshold": (0.5, 0.7, 0.9)},
    default_n_samples=100_000,
    split=Split.by_column("setting", train=SETTINGS[0], test=SETTINGS[2]),
    analyses=_analyses,
    tracked={"sweep": _tracked},
    mitigations=("fairlearn.CorrelationRemover", "aif360.Reweighing",
                 "fairlearn.ThresholdOptimizer(DP)", MITIGATION, "aif360.EqOddsPostprocessing"),
    mitigation_attribute="sex",
    questions={"errs": "Most people it would out are straight, and every gay or lesbian person "
                       "it finds is outed. Is there an error rate at which this is acceptable?",
               "opaque": "No one can tell from a photo what the model saw in it. Could a "
                         "person contest an inference about their own orientation?"},
)
