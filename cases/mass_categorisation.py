"""Mass categorisation: 36 rule-based "person types" applied to a whole population.

Stands for Xinjiang's IJOP, whose police app Human Rights Watch reverse-engineered (2019). The
world is invented: two abstract groups, 36 lawful behaviours (some more common in group B) and
a real threat that almost nobody poses and no behaviour signals. The rule flags anyone recorded
under a category in force; two variants equalise flag rates between the groups.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from fairlearn.postprocessing import ThresholdOptimizer
from sklearn.linear_model import LogisticRegression

from fairness import Estimate, proportion
from fairness.analysis import per_population

from ._contract import Case, Column, Headline, Knob, Split, Variant
from ._run import Decisions
from ._world import categorical, streams, validated

GROUPS, GROUP_SHARES = ("group A", "group B"), (0.6, 0.4)
AGE_BANDS, AGE_SHARES = ("18-34", "35-59", "60 and over"), (0.35, 0.45, 0.20)
# Six themes of six invented, lawful behaviours: the rate in group A at ages 35-59, its
# multipliers by age band (18-34, 35-59, 60 and over) and the behaviours, rarest first.
THEMES = {
    "movement": (0.012, (1.5, 1.0, 0.5), "left the home district; travelled abroad; returned "
                 "from abroad; moved house; irregular daily routine; visited a border area"),
    "phone and internet": (0.010, (1.5, 1.0, 0.5), "phone off for days; changed phone number; "
                           "uses encrypted messaging; uses a VPN; stopped using a smartphone; "
                           "uses someone else's phone"),
    "household": (0.008, (0.75, 1.0, 1.5), "unusual electricity use; rarely uses the front door; "
                  "household member away; car refuelled by someone else; unregistered "
                  "overnight guest; new tenant"),
    "religious practice": (0.015, (1.0, 1.0, 1.0), "regular religious practice; donated to a "
                           "place of worship; teaches religion informally; went on a "
                           "pilgrimage; religious books at home; fasts on religious holidays"),
    "contacts abroad": (0.012, (1.0, 1.0, 1.0), "relatives abroad; calls to foreign numbers; "
                        "money received from abroad; applied for a passport; friend travelled "
                        "abroad; visited a foreign consulate"),
    "social ties": (0.010, (0.75, 1.0, 1.5), "does not socialise with neighbours; relative of a "
                    "detained person; contact of a flagged person; large private gathering; "
                    "changed job; joined a community association"),
}
GROUP_LINKED = ("religious practice", "contacts abroad")  # more common in group B (group_gap)
SPREAD = (0.5, 0.75, 1.0, 1.0, 1.25, 1.5)  # the six behaviours of a theme, rarest first
DETECT, FALSE_READING = 0.9, 0.002  # a behaviour is recorded, or wrongly recorded
PER = 1_000_000  # residents
# The categories in force come in this order: the first of every theme, then the second...
CATEGORIES = tuple((names.split("; ")[j], theme, j) for j in range(6)
                   for theme, (_, _, names) in THEMES.items())
COLUMNS = tuple(re.sub(r"[^a-z]+", "_", name.lower()).strip("_") for name, _, _ in CATEGORIES)
PARITY = ("none", "ThresholdOptimizer", "same total")
STREAMS = ("people", "behaviour", "recording", "threat", "parity")

KNOBS = (
    Knob("group_gap", 4.0, "How many times as common the behaviours of religious practice "
         "and contacts abroad are in group B as in group A (1: as common).", low=1.0, high=10.0),
    Knob("threat_rate", 1e-4, "Share of residents who truly prepare a violent offence, what a "
         "legitimate system would look for (our assumption: 1 in 10,000).", low=1e-6, high=0.01),
    Knob("n_categories", 36, "Person types in force: a resident is flagged when recorded under "
         "any of the first n (in the order of the datasheet).", low=1, high=36, integer=True,
         acts_on="model"),
    Knob("parity", "none", "A fairness fix: none; fairlearn's ThresholdOptimizer (equal flag "
         "rates, best accuracy against the label); or the same number flagged, at one rate in "
         "every group.", choices=PARITY, acts_on="model"),
)


@validated(KNOBS)
def make_mass_categorisation_data(n_samples: int = 100_000, random_state: int = 0, *,
                                  group_gap: float = 4.0, threat_rate: float = 1e-4
                                  ) -> pd.DataFrame:
    """Generate residents, the lawful behaviours they engage in and what the data records.

    Residents are in group A (60%) or B (40%) and an age band. Each of the 36 behaviours
    occurs independently, at a rate set by its theme, its place in the theme, the age band
    and, for religious practice and contacts abroad, ``group_gap`` times as often in group
    B. The data records it 90% of the time it occurs, and 0.2% of the time it does not. A
    share ``threat_rate`` of residents are real threats, independently of everything else.
    A larger gap or rate only adds behaviours or threats (one uniform draw each).

    Examples
    --------
    >>> make_mass_categorisation_data(1000, random_state=0).shape  # 36 behaviours, 4 more
    (1000, 40)
    """
    rng = streams(random_state, *STREAMS)
    group = rng["people"].choice(2, size=n_samples, p=GROUP_SHARES)
    age = rng["people"].choice(3, size=n_samples, p=AGE_SHARES)
    rate = np.empty((n_samples, len(CATEGORIES)), dtype=np.float32)
    for k, (_, theme, j) in enumerate(CATEGORIES):
        base, by_age, _ = THEMES[theme]
        gap = np.where(group == 1, group_gap, 1.0) if theme in GROUP_LINKED else 1.0
        rate[:, k] = base * SPREAD[j] * np.asarray(by_age)[age] * gap
    does = rng["behaviour"].random(rate.shape, dtype=np.float32) < rate
    u = rng["recording"].random(rate.shape, dtype=np.float32)
    recorded = np.where(does, u < DETECT, u < FALSE_READING).astype(np.int8)
    frame = pd.DataFrame(recorded, columns=list(COLUMNS))
    frame.insert(0, "group", categorical(group, GROUPS))
    frame.insert(1, "age_band", categorical(age, AGE_BANDS))
    frame["fits_a_person_type"] = does.any(axis=1).astype(np.int64)
    frame["real_threat"] = (rng["threat"].random(n_samples) < threat_rate).astype(np.int64)
    return frame


def _decide(run) -> Decisions:
    """Flag anyone recorded under a category in force; with ``parity``, equalise flag rates."""
    k, test = run.spec.knobs, run.rows.copy()
    X = test[list(COLUMNS[:k["n_categories"]])]
    count, group = X.sum(axis=1).to_numpy(), test["group"].astype(str)
    test["categories_recorded"] = count
    flagged = count > 0
    if k["parity"] == "ThresholdOptimizer":  # fitted, and thresholds chosen, on the audited
        X, y = test[["categories_recorded"]], test[run.case.label]
        fix = ThresholdOptimizer(estimator=LogisticRegression(), predict_method="predict_proba",
                                 constraints="demographic_parity", objective="accuracy_score")
        flagged = fix.fit(X, y, sensitive_features=group).predict(
            X, sensitive_features=group, random_state=run.spec.seed) == 1
    elif k["parity"] == "same total":  # as many flagged, the most-recorded of each group first
        g, target = group.to_numpy(), flagged.mean()
        key = count + streams(run.spec.seed, *STREAMS)["parity"].random(len(count))
        flagged = np.zeros(len(count), dtype=bool)
        for x in GROUPS:
            idx = np.flatnonzero(g == x)
            flagged[idx[np.argsort(-key[idx], kind="stable")[:round(target * len(idx))]]] = True
    test["prediction"] = np.asarray(flagged).astype(int)
    return Decisions(test)


def _per_million(run) -> dict[str, Estimate]:
    """Residents per million flagged, flagged without a threat, and flagged per threat caught."""
    groups = run.audit("truth").groups_of("group")
    cells = [sum(g[c] for g in groups) for c in ("tn", "fp", "fn", "tp")]
    return per_population(cells, PER, random_state=run.spec.seed)


def _formula(run) -> dict[str, float]:
    """Per million residents of each group, 1 − Π(1 − p_k) from each category's flag rate p_k
    in the group: how many would be flagged if the categories fired independently."""
    X = run.test[list(COLUMNS[:run.spec.knobs["n_categories"]])]
    return {g: float(1 - np.prod(1 - X[run.test["group"] == g].mean())) * PER for g in GROUPS}


def _decision(run, main) -> dict:
    """One way of deciding, in people: per million residents, by group, and what it changes."""
    pred, group = run.test["prediction"], run.test["group"]
    change = (pred - main.test["prediction"]).groupby(group, observed=True).sum()
    # Flagged although recorded under no category in force: the random picks of a fix.
    unrecorded = (pred * (run.test["categories_recorded"] == 0)).groupby(group, observed=True)
    size, nat = group.value_counts(), _per_million(run)
    return {
        "parity": run.spec.knobs["parity"], "flagged": nat["flagged"],
        "flagged_without_threat": nat["false_positives"],
        "flagged_per_threat_caught": nat["flagged_per_true_positive"],
        "change_per_million": round(change.sum() / len(pred) * PER),
        "by_group": {g["group"]: {
            "flagged_per_million": Estimate.from_dict(g["metrics"]["selection_rate"]).scaled(PER),
            "impact_ratio": g["impact_ratio"], "four_fifths": "four_fifths" in g["flags"],
            "change_per_million": round(change[g["group"]] / size[g["group"]] * PER),
            "unrecorded_flagged_per_million": proportion(
                unrecorded.sum()[g["group"]], size[g["group"]]).scaled(PER)}
            for g in run.audit().groups_of("group")},
    }


def _analyses(run) -> dict:
    data, threats, k = run.test, int(run.test["real_threat"].sum()), run.spec.knobs
    sums = data.groupby("group", observed=True)[list(COLUMNS)].sum()
    sizes = data["group"].value_counts()
    return {
        "decisions": [_decision(r, run) for r in
                      (run, *(run.variant_run(v.name) for v in run.case.variants))],
        "threats_per_million": proportion(threats, len(data)).scaled(PER),
        # Were every real threat flagged, this many residents would be flagged for each.
        "flagged_per_threat_if_all_caught": float(data["prediction"].sum() / threats)
        if threats else None,
        "categories": [{"name": name, "theme": theme, "in_force": i < k["n_categories"],
                        "rate": {g: proportion(sums.at[g, COLUMNS[i]], sizes[g]) for g in GROUPS}}
                       for i, (name, theme, _) in enumerate(CATEGORIES)],
    }


TRACKED = {
    "flagged_per_million": lambda run: _per_million(run)["flagged"],
    "flagged_without_threat_per_million": lambda run: _per_million(run)["false_positives"],
    "flagged_per_million_by_group": lambda run: {g["group"]: Estimate.from_dict(
        g["metrics"]["selection_rate"]).scaled(PER) for g in run.audit().groups_of("group")},
    "formula": _formula,
}


def _column(col: str, name: str, theme: str, j: int) -> Column:
    base, by_age, _ = THEMES[theme]
    return Column(col, "feature", f"Recorded: '{name}' ({theme}). Occurs in "
                  f"{base * SPREAD[j]:.2%} of group A aged 35-59, × {by_age[0]:g}, "
                  f"{by_age[1]:g}, {by_age[2]:g} by age band; "
                  "recorded 90% of the time it occurs, 0.2% of the time it does not.",
                  "group_gap times as common in group B." if theme in GROUP_LINKED else
                  "None by group: as common in both groups.")


CASE = Case(
    slug="mass-categorisation",
    title="Mass categorisation: when fairness metrics cannot make a system legitimate",
    real_system="The Integrated Joint Operations Platform (IJOP) of Xinjiang's police, as "
                "reverse-engineered by Human Rights Watch (2019)",
    summary=(
        "A rule flags for investigation every resident recorded under any of 36 invented "
        "'person types', each an ordinary, lawful behaviour. Almost nobody poses the threat a "
        "legitimate system would look for, so almost every flag falls on someone who did "
        "nothing unlawful, and more often on group B. Equal flag rates pass the fairness tests "
        "and leave the harm in place: the lesson is to refuse the task."),
    pitfalls=("a loss or metric that does not fit the need",
              "statistical bias in the data or labels"),
    regulation="EU AI Act: Art. 5(1)(c) bans social scoring, Art. 5(1)(d) crime prediction based "
               "solely on profiling; hand-written rules may not be an AI system (Recital 12), "
               "and national-security uses are outside its scope (Art. 2(3))",
    make_data=make_mass_categorisation_data,
    columns=(
        Column("group", "sensitive", "Group A (60% of residents) or group B (40%): abstract, "
               "invented groups.", "Religious practice and contacts abroad are group_gap times "
               "as common in group B."),
        Column("age_band", "sensitive", "18-34 (35%), 35-59 (45%), 60 and over (20%).",
               "Movement and phone use are more common when young, household and social "
               "behaviours when old."),
        *(_column(c, *cat) for cat, c in zip(CATEGORIES, COLUMNS, strict=True)),
        Column("fits_a_person_type", "label", "1 if the resident truly does at least one of "
               "the 36 behaviours: the operators' own definition of a suspect.",
               "It is the system's premise: every behaviour in it is lawful."),
        Column("real_threat", "truth", "1 for a share threat_rate of residents who truly "
               "prepare a violent offence, drawn independently of everything else.",
               "None: no behaviour, group or age signals it."),
    ),
    features=COLUMNS,
    label="fits_a_person_type",
    truth="real_threat",
    sensitive=("group", "age_band"),
    reference={"group": "group A", "age_band": "35-59"},
    intersectional=True,
    positive_decision="flagged for investigation",
    favorable_prediction=0,
    headline=Headline("group", "selection_rate", "group B",
                      "how much more often residents of group B are flagged for "
                      "investigation than residents of group A"),
    truth_headline=Headline("group", "fpr", "group B",
                            "how much more often residents of group B who did nothing wrong "
                            "are flagged than residents of group A who did nothing wrong"),
    metrics_that_matter={
        "selection_rate": "The flag rate: the share of a group put under investigation.",
        "fpr": "Flagged among those who did nothing wrong: against the operators' label, only "
               "misrecorded behaviour; against the truth, nearly everyone flagged.",
        "ppv": "Flagged who are real threats: against the truth, close to the share of "
               "threats in the population."},
    decide=_decide,
    model_description=(
        "No classifier: a rule. A resident is flagged for investigation when the data records "
        "them under any of the `n_categories` person types in force (all 36 by default). The "
        "variants score residents by the number of categories recorded and equalise flag rates "
        "between the groups: fairlearn's ThresholdOptimizer (demographic parity at the best "
        "accuracy against the label, on a logistic regression of the label on that number, "
        "fitted and thresholded on the audited residents), or per-group thresholds that flag as "
        "many residents as the rule at one rate in every group, the most-recorded first and "
        "ties drawn at random. Both decide with each resident's group."),
    knobs=KNOBS,
    sweeps={"n_categories": (1, 3, 6, 9, 12, 18, 24, 30, 36),
            "group_gap": (1.0, 2.0, 4.0, 8.0)},
    default_n_samples=100_000,
    split=Split.none(),  # the rule learns nothing: every resident is decided and audited
    variants=(
        Variant("ThresholdOptimizer (demographic parity)", "fairlearn's post-processing "
                "equalises the flag rates of groups A and B, at the best accuracy against the "
                "label.", knobs={"parity": "ThresholdOptimizer"}),
        Variant("same total, equal rates", "Per-group thresholds on the count of categories "
                "recorded: as many residents flagged as by the rule, at one rate in both groups.",
                knobs={"parity": "same total"})),
    analyses=_analyses,
    tracked=TRACKED,
    mitigations=(),  # nothing is fitted; the variants are the fairness fixes
    questions={
        "errs": "Nearly every resident flagged has done nothing unlawful. Is a flag an error "
                "when the system works as designed?",
        "opaque": "The 36 categories could be published in full. Would knowing why you were "
                  "flagged make the flag acceptable?"},
)
