"""Text detector: a machine-text detector that accuses non-native writers of cheating.

Stands for the detectors that followed GPT-2 and ChatGPT, which Liang et al. (Patterns, 2023)
found flagging most TOEFL essays by non-native writers. Trained on a vendor corpus of mostly
native writing, half machine-generated, it judges a classroom's essays.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from fairness import proportion
from fairness.analysis import per_population, precision_curve

from ._contract import Case, Column, Headline, Knob, Spec, Split, Variant
from ._world import categorical, streams, validated

SPEAKERS = ("native speakers", "non-native speakers")  # of English, by first language
SETTINGS = ("vendor corpus", "classroom")
CLASSROOM_NON_NATIVE = 0.3  # our assumption: an international classroom
CORPUS_PAIRS = 3_000  # the vendor's corpus: each human essay beside a machine one, same prompt
# Per feature: (mean, sd) in human, machine and enriched machine essays, then the gap of
# second-language writing. Perplexity is log-normal: these are of its logarithm.
WRITING = {"perplexity": ((np.log(90), 0.30), (np.log(35), 0.25), (np.log(75), 0.30), 0.45),
           "burstiness": ((0.55, 0.15), (0.28, 0.08), (0.45, 0.12), 0.07),
           "vocabulary_richness": ((0.58, 0.05), (0.55, 0.04), (0.60, 0.05), 0.07),
           "length_words": ((420, 110), (380, 60), (420, 80), 80)}
FEATURES = tuple(WRITING)
FLOOR = {"perplexity": 1.0, "burstiness": 0.02, "vocabulary_richness": 0.2, "length_words": 80}
COST_RATIO = 10  # our assumption: one false accusation costs as much as ten missed essays
PER = 1_000  # essays, for natural frequencies
GRID = np.round(np.concatenate([np.arange(0.05, 0.95, 0.01), np.arange(0.95, 0.999, 0.001)]), 3)

KNOBS = (
    Knob("non_native_gap", 1.0, "How much more predictable second-language writing is than "
         "native writing, in multiples of the default gap (0: none).", low=0.0, high=2.0),
    Knob("corpus_non_native_share", 0.05, "Share of the vendor corpus's human essays "
         f"written in a second language (the classroom's is {CLASSROOM_NON_NATIVE:g}).",
         low=0.0, high=1.0),
    Knob("machine_share", 0.1, "Share of classroom essays that are machine-written (our "
         "assumption: the real share is unknown).", low=0.01, high=0.5),
    Knob("enriched_share", 0.0, "Share of the machine-written classroom essays passed "
         "through a second prompt that 'elevates' their wording.", low=0.0, high=1.0),
    Knob("threshold", 0.5, "Detector score at or above which an essay is flagged as "
         "machine-written.", low=0.05, high=0.999, acts_on="threshold"),
)


def _essays(kind: np.ndarray, second: np.ndarray, z: np.ndarray, gap: float,
            setting: str) -> pd.DataFrame:
    """Essays of each kind (0 human, 1 machine, 2 machine with enriched wording) from
    standard normal draws ``z``; ``second``: the writer's first language is not English."""
    frame = pd.DataFrame({
        "setting": categorical(np.full(len(kind), SETTINGS.index(setting)), SETTINGS),
        "speaker": categorical(second.astype(np.int8), SPEAKERS),
        "machine_written": (kind > 0).astype(np.int64), "enriched": (kind == 2).astype(np.int64)})
    for j, (f, (*by_kind, shift)) in enumerate(WRITING.items()):
        mean, sd = (np.array(v)[kind] for v in zip(*by_kind, strict=True))
        x = mean - gap * shift * ((kind == 0) & second) + sd * z[:, j]
        x = np.exp(x) if f == "perplexity" else x
        frame[f] = np.maximum(np.round(x, 0 if f == "length_words" else 3), FLOOR[f])
    return frame


@validated(KNOBS)
def make_text_detector_data(n_samples: int = 20_000, random_state: int = 0, *,
                            non_native_gap: float = 1.0, corpus_non_native_share: float = 0.05,
                            machine_share: float = 0.1, enriched_share: float = 0.0
                            ) -> pd.DataFrame:
    """Generate a vendor's training corpus and a classroom of essays, described by features.

    Four features a detector can compute: perplexity (how surprising the words are to a
    reference language model), burstiness (how much that varies between sentences),
    vocabulary richness (type-token ratio) and length. Machine text is predictable and even
    (perplexity about 35 against 90). Second-language writing is more predictable too:
    ``non_native_gap`` lowers its log-perplexity by 0.45, burstiness and richness by 0.07 and
    length by 80 words. Machine essays whose wording a second prompt "elevated" look almost
    native. The corpus and the classroom use independent streams, and each classroom essay
    has its own human and machine draws, so a classroom knob changes only what it governs.

    Parameters
    ----------
    n_samples, random_state : int
        Classroom essays and the seed. The corpus always has 3,000 human essays, each beside
        a machine essay written for the same prompt.
    non_native_gap, corpus_non_native_share, machine_share, enriched_share : float
        The world knobs (``KNOBS``); machine text is as common in both groups.

    Returns
    -------
    pandas.DataFrame
        One row per essay: the columns of ``CASE.columns``.

    Examples
    --------
    >>> df = make_text_detector_data(1000, random_state=0)
    >>> df.groupby("setting", observed=True)["machine_written"].mean().round(1).to_dict()
    {'vendor corpus': 0.5, 'classroom': 0.1}
    """
    rng = streams(random_state, "corpus", "students", "human writing", "machine writing")
    c, n = rng["corpus"], n_samples
    pair_second = c.random(CORPUS_PAIRS) < corpus_non_native_share
    corpus = _essays(np.repeat([0, 1], CORPUS_PAIRS), np.tile(pair_second, 2),
                     c.standard_normal((2 * CORPUS_PAIRS, len(FEATURES))), non_native_gap,
                     "vendor corpus")
    s = rng["students"]
    second = s.random(n) < CLASSROOM_NON_NATIVE
    # One uniform each: the machine essays at a low share stay machine essays at a higher one.
    machine, enriched = s.random(n) < machine_share, s.random(n) < enriched_share
    kind = np.where(machine, np.where(enriched, 2, 1), 0)
    z = np.where((kind == 0)[:, None], rng["human writing"].standard_normal((n, len(FEATURES))),
                 rng["machine writing"].standard_normal((n, len(FEATURES))))
    classroom = _essays(kind, second, z, non_native_gap, "classroom")
    return pd.concat([corpus, classroom], ignore_index=True)


def _model(spec: Spec | None = None) -> Pipeline:
    return Pipeline([("scale", StandardScaler()),
                     ("classify", LogisticRegression(solver="newton-cholesky", max_iter=1000))])


def _errors(score: np.ndarray, y: np.ndarray, machine_share: float) -> dict[str, np.ndarray]:
    """Per 1,000 essays at each threshold of GRID, at ``machine_share``: false accusations,
    missed machine essays, errors, and cost (a false accusation weighs COST_RATIO)."""
    flagged = score[:, None] >= GRID[None, :]
    fp = (1 - machine_share) * flagged[y == 0].mean(axis=0) * PER
    fn = machine_share * (1 - flagged[y == 1].mean(axis=0)) * PER
    return {"errors": fp + fn, "cost": COST_RATIO * fp + fn}


def _at(run, threshold: float, chosen_by: str) -> dict:
    """The detector at one threshold on the classroom: error rates with intervals."""
    r = run.with_threshold(float(threshold))
    audit, cells = r.audit(), r.audit().groups_of("speaker")
    nat = per_population([sum(g[k] for g in cells) for k in ("tn", "fp", "fn", "tp")], PER,
                         random_state=run.spec.seed)
    return {"threshold": float(threshold), "chosen_by": chosen_by,
            "accuracy": audit.overall("accuracy"), "machine_caught": audit.overall("tpr"),
            "fpr": {g["group"]: g["metrics"]["fpr"] for g in cells},
            "false_accusations_per_1000": nat["false_positives"],
            "missed_per_1000": nat["false_negatives"],
            "cost_per_1000": COST_RATIO * nat["false_positives"].value
            + nat["false_negatives"].value}


def _analyses(run) -> dict:
    groups = run.audit().groups_of("speaker")
    corpus, y = run.score_and_decide(run.model, run.train), run.test["machine_written"]
    seen = _errors(corpus["score"].to_numpy(), corpus["machine_written"].to_numpy(),
                   run.spec.knobs["machine_share"])
    real = _errors(run.test["score"].to_numpy(), y.to_numpy(), float(y.mean()))  # realised
    picks = {"this page": run.spec.knobs["threshold"],
             "best accuracy on the corpus": GRID[np.argmin(seen["errors"])],
             "lowest cost on the corpus": GRID[np.argmin(seen["cost"])]}
    human = corpus[corpus["machine_written"] == 0]
    right = int((corpus["prediction"] == corpus["machine_written"]).sum())
    return {
        "cost_ratio": COST_RATIO, "classroom_non_native_share": CLASSROOM_NON_NATIVE,
        "corpus": {"n": len(corpus), "accuracy": proportion(right, len(corpus)),
                   "human_non_native": int((human["speaker"] == SPEAKERS[1]).sum())},
        "by_group": {g["group"]: {"human_essays": g["fp"] + g["tn"],
                                  **per_population(g, PER, random_state=run.spec.seed)}
                     for g in groups},
        "thresholds": [_at(run, t, by) for by, t in picks.items()],
        "cost_curve": {"threshold": GRID.tolist(), "corpus": seen, "classroom": real,
                       "classroom_best": float(GRID[np.argmin(real["cost"])])},
        "ppv_by_machine_share": {g["group"]: precision_curve(g["metrics"]["tpr"],
                                                             g["metrics"]["fpr"])
                                 for g in groups},
    }


TRACKED = {**{f"fpr_{k}": lambda run, g=g: run.audit().group("speaker", g)["metrics"]["fpr"]
              for k, g in zip(("native", "non_native"), SPEAKERS, strict=True)},
           "machine_caught": lambda run: run.audit().overall("tpr")}


def _feature_column(f: str) -> Column:
    (human, _), (machine, _), (enriched, _), gap = WRITING[f]
    show = (lambda m: f"{np.exp(m):.0f}") if f == "perplexity" else (lambda m: f"{m:g}")
    name = f.replace("_w", " in w").replace("_", " ").capitalize()
    return Column(f, "feature", f"{name}: mean about {show(human)} in native writing, "
                  f"{show(machine)} in machine text, {show(enriched)} in machine text with "
                  "enriched wording"
                  + (" (log-normal)." if f == "perplexity" else "."),
                  f"Lower by non_native_gap × {gap:g}" + (" in its logarithm" if f ==
                  "perplexity" else "") + " for students whose first language is not English: "
                  "the detector's sign of machine text is also their style.")


CASE = Case(
    slug="text-detector",
    title="Detecting machine-written text: false accusations of non-native writers",
    real_system="Detectors of machine-written text (GPTZero, Originality.ai, OpenAI's "
                "classifier and others) in schools and universities, 2019–2023",
    summary=(
        "A detector of machine-written essays, trained on a vendor corpus of mostly native "
        "writing, judges a classroom where a tenth of the essays are machine-written (our "
        "assumption). It catches most of them, and flags far more of the essays that students "
        "whose first language is not English wrote themselves. Tuned for accuracy, it accuses "
        "more students than a cost that weighs a false accusation properly allows, and a "
        "second prompt that enriches the wording slips machine text past it."),
    pitfalls=("incomplete or unrepresentative data", "a loss or metric that does not fit the "
              "need", "a model that does not adapt to change"),
    regulation="EU AI Act: high-risk, AI evaluating learning outcomes or detecting prohibited "
               "behaviour of students during tests (Annex III, 3(b) and 3(d)); machine-readable "
               "marking of generated text (Art. 50(2))",
    make_data=make_text_detector_data,
    columns=(
        Column("setting", "context", "'vendor corpus' for the detector's training essays, "
               "'classroom' for the essays it judges. The model learns from the corpus only.",
               "The corpus is half machine text and mostly native writing "
               "(corpus_non_native_share); the classroom has machine_share machine essays "
               f"and {CLASSROOM_NON_NATIVE:.0%} second-language writers."),
        Column("speaker", "sensitive", "'non-native speakers' for students whose first "
               f"language is not English ({CLASSROOM_NON_NATIVE:.0%} of the classroom), else "
               "'native speakers'. A machine essay carries its submitter's (in the corpus, its "
               "human pair's).", "Their own writing is more predictable (non_native_gap)."),
        Column("machine_written", "label", "1 if a language model wrote the essay: half of "
               "the corpus, machine_share of the classroom in both groups alike. The world "
               "knows it; a school never does."),
        Column("enriched", "context", "1 for a machine-written classroom essay passed "
               "through a second prompt that elevates its wording (enriched_share of them).",
               "Evasion put in on purpose: its features are moved close to native writing."),
        *(_feature_column(f) for f in FEATURES),
    ),
    features=FEATURES,
    label="machine_written",
    truth=None,  # the label is the truth here: the world knows which essays a model wrote
    sensitive=("speaker",),
    reference={"speaker": SPEAKERS[0]},
    positive_decision="flagged as machine-written",
    favorable_prediction=0,  # a flag is an accusation of cheating
    headline=Headline("speaker", "fpr", SPEAKERS[1],
                      "how much more often non-native speakers of English than native speakers "
                      "are falsely accused: their own essays flagged as machine-written"),
    metrics_that_matter={
        "fpr": "Human essays flagged as machine-written: false accusations of cheating, the "
               "harm the detector does to a student who did nothing wrong.",
        "tpr": "Machine-written essays caught: what the detector is bought for.",
        "ppv": "Of the flagged essays, the share a machine wrote: what a teacher acting on a "
               "flag needs to know, and what falls when machine text is rare.",
        "selection_rate": "Essays flagged, machine-written or not."},
    model=_model,
    model_description=(
        "A scikit-learn Pipeline: StandardScaler, then a logistic regression on perplexity, "
        "burstiness, vocabulary richness and length, trained on the vendor corpus only "
        f"({2 * CORPUS_PAIRS:,} essays, half machine-written, human essays mostly native). "
        "It flags an essay when the predicted probability of machine text is at least the "
        "threshold, 0.5 by default: the most accurate rule on a corpus like its own. The "
        "student's first language is not among its inputs."),
    knobs=KNOBS,
    sweeps={"non_native_gap": (0.0, 0.5, 1.0, 1.5, 2.0),
            "corpus_non_native_share": (0.0, 0.05, 0.3, 0.5),
            "enriched_share": (0.0, 0.25, 0.5, 0.75, 1.0),
            "threshold": (0.3, 0.5, 0.7, 0.9, 0.97, 0.99, 0.995)},
    default_n_samples=20_000,
    split=Split.by_column("setting", train="vendor corpus", test="classroom"),
    variants=(Variant("perplexity alone", "A cut-off on perplexity only, as the simplest "
                      "detectors use: the same logistic regression on that one feature.",
                      features=("perplexity",)),),
    analyses=_analyses,
    tracked=TRACKED,
    # Those aimed at the false-positive gap, the cheap pre-processors and a parity baseline;
    # PrejudiceRemover (its own model, half a minute) and reject-option are left out.
    mitigations=("fairlearn.CorrelationRemover", "aif360.Reweighing",
                 "aif360.DisparateImpactRemover", "fairlearn.ExponentiatedGradient(EO)",
                 "fairlearn.ThresholdOptimizer(DP)", "fairlearn.ThresholdOptimizer(EO)",
                 "aif360.EqOddsPostprocessing",
                 "aif360.CalibratedEqOddsPostprocessing(weighted)"),
    mitigation_attribute="speaker",
    questions={"errs": "A detector that catches most machine essays still accuses students "
                       "who wrote their own work, more often those writing in a second "
                       "language. Would students, or a misconduct panel, accept that?",
               "opaque": "A flag says the writing was 'too predictable'. Can a student "
                         "disprove that, and can a teacher explain it?"},
)
