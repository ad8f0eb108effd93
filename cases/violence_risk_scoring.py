"""Violence-risk scoring: a person-based score calibrated to arrests, not to violence.

Stands for the "Most Serious Violence" model of the UK's National Data Analytics Solution
(NDAS, led by West Midlands Police), which scored people known to police for their risk of
a first gun or knife offence, and was dropped in 2020 after an error was found to have
inflated its accuracy. Here a true propensity to violence is recorded with bias: the same
behaviour leaves more records where there is more policing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from fairness import proportion
from fairness.analysis import auc_with_interval, per_population

from ._contract import Case, Column, Headline, Knob, Spec, Split, Variant
from ._world import categorical, streams, validated

ETHNICITIES, ETHNICITY_SHARES = ("White", "Black", "Asian"), (0.70, 0.12, 0.18)
HEAVY_SHARE = (0.20, 0.60, 0.45)  # share of each ethnicity living in a heavily policed area
AREAS, AGES = ("less policed", "heavily policed"), (14, 40)  # people known to police, 14-40
# Records of the three years before scoring: Poisson(mean x policing x exp(signal x propensity)).
RECORDS = {"prior_arrests": (0.3, 1.0), "intel_reports": (0.5, 1.0),
           "stop_searches": (0.8, 0.3), "custody_6m": (0.1, 1.0)}
VIOLENCE_SIGNAL, AGE_SLOPE = 2.5, -0.08  # log-odds of true violence per sd and per year
DETECT, WRONG = 0.45, 0.001  # chance an offence, or a non-offender, is recorded (less policed)
FEATURES = ("age", "heavily_policed_area", "prior_arrests", "intel_reports", "stop_searches",
            "custody_6m")
CODED, LEAKY, PER = "custody_6m_as_coded", "with the coding error", 100_000
MIN_BIN = 30  # calibration bins with fewer people are left off the diagrams

KNOBS = (
    Knob("policing_gap", 1.0, "Extra policing in heavily policed areas: every record (arrest, "
         "stop, intelligence report, custody) and the chance that an offence is recorded are "
         "multiplied by 1 + policing_gap there (0: the same recording everywhere).",
         low=0.0, high=3.0),
    Knob("base_rate", 0.02, "Share of people known to police who truly commit a first gun or "
         "knife offence in the two years after scoring (our assumption).", low=0.001, high=0.2),
    Knob("coding_error", 1.0, "Share of the two-year outcome window that the mis-coded custody "
         "feature also counts, so that a recorded offence leaks into it (0: no error).",
         low=0.0, high=1.0),
    Knob("threshold", 0.1, "Score at or above which a person is flagged.", low=0.01, high=0.9,
         acts_on="threshold"),
)


@validated(KNOBS)
def make_violence_risk_scoring_data(n_samples: int = 80_000, random_state: int = 0, *,
                                    policing_gap: float = 1.0, base_rate: float = 0.02,
                                    coding_error: float = 1.0) -> pd.DataFrame:
    """Generate people known to police, their records and two years of what follows.

    Propensity to violence is standard normal for everyone, whatever their ethnicity
    or area. True serious violence in the two years after scoring is the top
    ``base_rate`` of ``2.5 x propensity - 0.08 x (age - 25)`` plus logistic noise.
    Records count behaviour times the policing of one's area (1, or 1 + policing_gap
    in a heavily policed area): so do the chances that an offence is recorded (45%
    where policing is lighter) and that someone who committed none is recorded for
    one (0.1%). The mis-coded custody count adds the recorded offence itself when it
    falls in the first ``coding_error`` of the outcome window. Returns one row per
    person, with the columns of ``CASE.columns``; the knobs are described in ``KNOBS``.

    Examples
    --------
    >>> df = make_violence_risk_scoring_data(10_000, random_state=0)
    >>> float(df["serious_violence"].mean())
    0.02
    """
    rng = streams(random_state, "people", "violence", "records", "recording", "leak")
    people, n = rng["people"], n_samples
    eth = people.choice(len(ETHNICITIES), size=n, p=ETHNICITY_SHARES)
    heavy = (people.random(n) < np.array(HEAVY_SHARE)[eth]).astype(np.int64)
    age = people.integers(AGES[0], AGES[1] + 1, size=n)
    propensity = people.standard_normal(n)
    policing = 1 + policing_gap * heavy
    u = rng["violence"].random(n)  # one draw a person: offenders stay so at higher base rates
    latent = VIOLENCE_SIGNAL * propensity + AGE_SLOPE * (age - 25) + np.log(u / (1 - u))
    violent = (latent >= np.quantile(latent, 1 - base_rate)).astype(np.int64)
    records = {c: rng["records"].poisson(policing * m * np.exp(k * propensity))
               for c, (m, k) in RECORDS.items()}
    chance = np.where(violent == 1, np.minimum(1, DETECT * policing), WRONG * policing)
    recorded = (rng["recording"].random(n) < chance).astype(np.int64)
    leaks = recorded * (rng["leak"].random(n) < coding_error)
    return pd.DataFrame({
        "ethnicity": categorical(eth, ETHNICITIES), "area": categorical(heavy, AREAS),
        "heavily_policed_area": heavy, "age": age, "propensity": propensity, **records,
        CODED: records["custody_6m"] + leaks, "serious_violence": violent,
        "recorded_violence": recorded})


def _model(spec: Spec) -> Pipeline:
    return Pipeline([("log", FunctionTransformer(np.log1p)), ("scale", StandardScaler()),
                     ("classify", LogisticRegression(solver="newton-cholesky", max_iter=1000))])


def _by_area(run) -> dict:
    """The decisions audited by area, against arrests and against true violence."""
    return {against: run.audit_frame(run.test, run.column_for(against), sensitive=["area"],
                                     reference={"area": AREAS[0]}).groups_of("area")
            for against in ("label", "truth")}


def _reliability(group: dict) -> list[dict]:
    """A group's calibration bins (the engine's) with enough people, rates with intervals."""
    return [{"mean_score": b["mean_score"], "n": b["n"],
             "observed": proportion(round(b["observed_rate"] * b["n"]), b["n"])}
            for b in group["score_metrics"]["calibration"] if b["n"] >= MIN_BIN]


def _observed_over_expected(run) -> dict:
    """Per area, recorded and true violence over the mean score (1: calibrated in the large)."""
    out = {}
    for area, rows in run.test.groupby("area", observed=True):
        mean = rows["score"].mean()
        out[area] = {"n": len(rows), "mean_score": mean, **{
            against: proportion(int(rows[run.column_for(against)].sum()), len(rows)).scaled(
                1 / mean) for against in ("label", "truth")}}
    return out


def _rarity(run) -> dict:
    """Per 100,000 people of each ethnicity and of everyone, against true violence."""
    groups = run.audit("truth").groups_of("ethnicity")
    cells = {c: sum(g[c] for g in groups) for c in ("tn", "fp", "fn", "tp")}
    return {g["group"]: per_population(g, PER, random_state=run.spec.seed)
            for g in (*groups, {"group": "everyone", **cells})}


def _claimed_and_honest(run, performance: bool = True) -> dict:
    """The mis-coded model as tested (claimed), the same model on correctly coded data
    (honest) and the model without the error, against recorded violence."""
    leaky = run.variant_run(LEAKY)
    fixed_rows = leaky.rows.assign(**{CODED: leaky.rows["custody_6m"]})
    honest = leaky.with_decisions(leaky.score_and_decide(leaky.model, fixed_rows))
    metrics = ("accuracy", "balanced_accuracy", "tpr", "ppv") if performance else ()
    return {name: {"auc": auc_with_interval(r.test[r.case.label], r.test["score"]),
                   **{m: r.performance("label")[m] for m in metrics}}
            for name, r in (("claimed", leaky), ("honest", honest), ("fixed and retrained", run))}


def _identity(groups: list[dict]) -> dict:
    """Per area, the FPR that Chouldechova's identity FPR = p/(1-p) x (1-PPV)/PPV x (1-FNR)
    gives with the area's own base rate p and the less policed area's PPV and FNR."""
    m = {g["group"]: {k: g["metrics"][k]["value"] for k in ("base_rate", "ppv", "fnr")}
         for g in groups}
    ref = m[AREAS[0]]
    return {area: v["base_rate"] / (1 - v["base_rate"]) * (1 - ref["ppv"]) / ref["ppv"]
            * (1 - ref["fnr"]) for area, v in m.items()}


def _analyses(run) -> dict:
    by_area = _by_area(run)
    return {"by_area": {a: [{k: g[k] for k in ("group", "n", "metrics")} for g in groups]
                        for a, groups in by_area.items()},
            "reliability": {a: {g["group"]: _reliability(g) for g in groups}
                            for a, groups in by_area.items()},
            "observed_over_expected": _observed_over_expected(run),
            "oracle_observed_over_expected": _observed_over_expected(
                run.variant_run("trained on true violence")),
            "identity": {a: _identity(groups) for a, groups in by_area.items()},
            "rarity": _rarity(run),
            "rarity_by_area": {g["group"]: per_population(g, PER, random_state=run.spec.seed)
                               for g in by_area["truth"]},
            "coding_error": _claimed_and_honest(run), "min_bin": MIN_BIN}


CASE = Case(
    slug="violence-risk-scoring",
    title="Violence-risk scoring: calibrated to arrests, not to violence",
    real_system="The UK National Data Analytics Solution's \"Most Serious Violence\" model "
                "(West Midlands Police; dropped in 2020)",
    summary=("A score of the risk of a first gun or knife offence, trained on recorded offences, "
             "is calibrated against arrests in every area. Where policing is heavier the same "
             "behaviour leaves more records: against true violence the same score means less "
             "risk there, and people who will never offend are flagged more often. A coding "
             "error that leaks the outcome into a feature inflates the reported accuracy."),
    pitfalls=("statistical bias in the data or labels", "a loss or metric that does not fit the "
              "need", "information leaking into the model"),
    regulation="EU AI Act: prohibited where it rests solely on profiling (Art. 5(1)(d)); "
               "otherwise high-risk (Annex III, 6(d))",
    make_data=make_violence_risk_scoring_data,
    columns=(
        Column("ethnicity", "sensitive", "Shares 70% White, 12% Black, 18% Asian.",
               "Not an input; 20% of White, 60% of Black and 45% of Asian people live in a "
               "heavily policed area, so it reaches the score through the area and the records."),
        Column("area", "context", "'heavily policed' or 'less policed': the area's name, for "
               "the audit by area.", "More policing there (policing_gap)."),
        Column("heavily_policed_area", "feature", "1 if the person lives in a heavily policed "
               "area, else 0: where one lives, as a model input.",
               "Says nothing of behaviour; a proxy of ethnicity."),
        Column("age", "feature", "Age at scoring, 14 to 40, uniform.",
               "Younger people are truly more often violent (0.08 log-odds a year)."),
        Column("propensity", "truth", "True propensity to serious violence, standard normal "
               "in every group and area.", "Hidden: no record measures it without bias."),
        *(Column(c, "feature", f"{c.replace('_', ' ').capitalize()} in the three years before "
                 f"scoring: Poisson({m:g} x policing x exp({k:g} x propensity)), policing "
                 "being 1, or 1 + policing_gap in a heavily policed area.",
                 "The same behaviour gives more records where policing is heavier.")
          for c, (m, k) in RECORDS.items()),
        Column(CODED, "feature", "custody_6m as the faulty code computes it: its window runs "
               "into the outcome window, so a recorded offence in the first coding_error of "
               "that window adds one.", "A leak: it carries the label. Used only by the "
               "variant with the coding error."),
        Column("serious_violence", "truth", "1 if the person truly commits a first gun or knife "
               "offence in the two years after scoring: the top base_rate of 2.5 x propensity "
               "- 0.08 x (age - 25) + logistic noise.", "Known in a synthetic world only."),
        Column("recorded_violence", "label", f"1 if such an offence is recorded against the "
               f"person in the two years: {DETECT:.0%} x policing of true offences (at most "
               f"all), and {WRONG:.1%} x policing of people who committed none.",
               "More policing records more of the same behaviour: the bias put in on purpose."),
    ),
    features=FEATURES, label="recorded_violence", truth="serious_violence",
    sensitive=("ethnicity",), reference={"ethnicity": "White"},
    positive_decision="flagged as at risk of serious violence", favorable_prediction=0,
    headline=Headline("ethnicity", "selection_rate", "Black",
                      "how much more often Black people than White people are flagged"),
    truth_headline=Headline("ethnicity", "fpr", "Black",
                            "how much more often Black people than White people who will not "
                            "commit serious violence are flagged"),
    metrics_that_matter={
        "selection_rate": "The share of a group flagged: a burden (attention, visits, stops).",
        "fpr": "Of people who will not commit serious violence, the share flagged; against "
               "arrests, an offender never recorded counts as a non-offender.",
        "ppv": "Of people flagged, the share who offend: what calibration promises."},
    model=_model, model_description=(
        "A logistic regression (scikit-learn) on log(1 + x) of age, the four record counts and "
        "whether one lives in a heavily policed area, standardised, trained on half of the "
        "people to predict `recorded_violence`; a person is flagged when the score is at least "
        "`threshold`. Ethnicity is not an input, the mis-coded custody count only the variant's."),
    knobs=KNOBS, sweeps={"policing_gap": (0.0, 0.5, 1.0, 2.0, 3.0),
                         "base_rate": (0.002, 0.005, 0.01, 0.02, 0.05),
                         "coding_error": (0.0, 0.5, 1.0), "threshold": (0.05, 0.1, 0.2, 0.3)},
    default_n_samples=80_000, split=Split.random(0.5),  # every sweep audits the same half
    variants=(
        Variant(LEAKY, "The same model with the custody count as the faulty code computed it, "
                "tested on data with the same error (what was reported).",
                features=(*FEATURES[:-1], CODED)),
        Variant("trained on true violence", "The same model trained on who truly offends, "
                "which no police force observes: calibration to the right target.",
                label="serious_violence")),
    analyses=_analyses,
    tracked={"observed_over_expected": _observed_over_expected, "rarity": _rarity, "vs_truth":
             lambda run: {m: run.audit("truth").overall(m) for m in ("tpr", "ppv")},
             "coding_error": lambda run: _claimed_and_honest(run, performance=False)},
    mitigations=("aif360.Reweighing", "fairlearn.ExponentiatedGradient(EO)",
                 "fairlearn.ThresholdOptimizer(EO)", "aif360.CalibratedEqOddsPostprocessing(fnr)"),
    questions={"errs": "Most people flagged will never commit serious violence, more of them "
                       "where policing is heavier. Would they, or the officers, accept that?",
               "opaque": "A flagged person's record is what police recorded about them. Could "
                         "anyone tell them what in their behaviour raised the score?"},
)
