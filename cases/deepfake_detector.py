"""Deepfake detection: a detector trained on one population, deployed on another.

After Zao (2019) and Trinh and Liu (2021). The benchmark's real clips are mostly of
lighter-skinned people, the faces swapped into its fakes more varied: there, darker skin goes
with fakeness. Low light and make-up add artefact-like baselines by skin tone and sex.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from fairness import proportion

from ._contract import Case, Column, Headline, Knob, Spec, Split, Variant
from ._world import categorical, streams, validated

TONES, SEXES, SETTINGS = ("lighter", "darker"), ("female", "male"), ("benchmark", "platform")
GROUPS = tuple(f"{t} × {s}" for t in TONES for s in SEXES)  # the audit's intersections
LUMINANCE, LUMINANCE_SD = (0.62, 0.32), 0.07  # mean face brightness by skin tone; lighting
LOW_LIGHT_BELOW, DIM_SCALE, FADE = 0.5, 0.2, 0.3  # dimness = ((0.5 - lum) / 0.2)^2 under 0.5
# Artefact scores, in standard deviations of a well-lit real clip's: what a swap adds ...
FAKE = {"noise_inconsistency": 1.0, "compression_blockiness": 0.8, "blending_boundary": 1.2,
        "color_mismatch": 0.8, "skin_smoothness": 1.0, "temporal_flicker": 0.5}
LOW_LIGHT = {"noise_inconsistency": 1.5, "compression_blockiness": 1.0}  # ... low light adds
FADING = ("blending_boundary", "color_mismatch")  # ... and the swap marks low light hides
MAKEUP = 0.8  # extra skin smoothness of real and fake clips of women, times `makeup`
FEATURES = ("face_luminance", *FAKE)
BENCHMARK_SIZE, BENCHMARK_FEMALE = 4_000, 0.6  # clips (half fakes); share of women (assumed)
SOURCE_DARKER = 0.3  # share of darker-skinned faces swapped into the benchmark's fakes
PLATFORM_DARKER, PLATFORM_FEMALE, PLATFORM_FAKE = 0.4, 0.5, 0.1

KNOBS = (
    Knob("real_darker_share", 0.05, "Share of darker-skinned people among the benchmark's "
         f"real clips (its fakes' swapped-in faces are {SOURCE_DARKER:.0%} darker-skinned, the "
         f"platform's clips {PLATFORM_DARKER:.0%}).", low=0.0, high=1.0),
    Knob("low_light", 1.0, "Strength of low-light artefacts: how much noise and compression "
         f"scores rise, and a swap's marks fade, as face luminance falls under "
         f"{LOW_LIGHT_BELOW} (0: none).", low=0.0, high=3.0),
    Knob("makeup", 1.0, f"Extra skin smoothness of clips of women (make-up), in units of "
         f"{MAKEUP} standard deviations (0: none).", low=0.0, high=3.0),
)


def _clips(rng: np.random.Generator, darker: np.ndarray, female: np.ndarray, fake: np.ndarray,
           setting: str, low_light: float, makeup: float) -> pd.DataFrame:
    n = len(fake)
    noise = rng.standard_normal((n, 1 + len(FAKE)))
    lum = np.asarray(LUMINANCE)[darker.astype(int)] + LUMINANCE_SD * noise[:, 0]
    dim = low_light * np.clip((LOW_LIGHT_BELOW - lum) / DIM_SCALE, 0, None) ** 2
    scores = {c: noise[:, j] + shift * fake / (1 + FADE * dim * (c in FADING))
              + LOW_LIGHT.get(c, 0.0) * dim for j, (c, shift) in enumerate(FAKE.items(), 1)}
    scores["skin_smoothness"] += MAKEUP * makeup * female
    return pd.DataFrame({
        "setting": categorical(np.full(n, SETTINGS.index(setting)), SETTINGS),
        "skin_tone": categorical(darker.astype(int), TONES),
        "sex": categorical(1 - female.astype(int), SEXES), "fake": fake.astype(np.int64),
        "face_luminance": np.clip(lum, 0, 1), **scores})


@validated(KNOBS)
def make_deepfake_detector_data(n_samples: int = 20_000, random_state: int = 0, *,
                                real_darker_share: float = 0.05, low_light: float = 1.0,
                                makeup: float = 1.0) -> pd.DataFrame:
    """Generate a deepfake benchmark and a platform's stream of clips.

    Each clip has a face luminance and six artefact scores (standard normal for a well-lit
    real clip), which a face swap raises by 0.5 to 1.2. Darker skin gives a dimmer face
    under the same light (0.32 against 0.62, sd 0.07); under 0.5, low light raises the
    noise and compression scores of every clip and fades a swap's blending boundary and
    colour mismatch. Make-up smooths women's skin. The benchmark (4,000 clips, half fakes,
    60% women) has ``real_darker_share`` darker-skinned people among its real clips and 30%
    among the faces swapped into its fakes; the platform's clips (``n_samples``) are 40%
    darker-skinned, 50% women and 10% fakes. Independent streams: a benchmark knob leaves
    the platform unchanged, and each clip keeps its luck at every share.

    Returns
    -------
    pandas.DataFrame
        Per clip: ``setting``, ``skin_tone``, ``sex``, ``fake`` (the truth), seven scores.

    Examples
    --------
    >>> df = make_deepfake_detector_data(1000, random_state=0)
    >>> df["setting"].value_counts().to_dict(), int(df["fake"].sum())
    ({'benchmark': 4000, 'platform': 1000}, 2085)
    """
    rng = streams(random_state, *SETTINGS)
    b = rng["benchmark"]
    fake = b.permutation(np.arange(BENCHMARK_SIZE) < BENCHMARK_SIZE // 2)
    # One uniform per clip: raising the share turns some lighter real clips darker, no more.
    darker = b.random(BENCHMARK_SIZE) < np.where(fake, SOURCE_DARKER, real_darker_share)
    female = b.random(BENCHMARK_SIZE) < BENCHMARK_FEMALE
    bench = _clips(b, darker, female, fake, "benchmark", low_light, makeup)
    p = rng["platform"]
    darker, female, fake = (p.random((3, n_samples))
                            < np.array([[PLATFORM_DARKER], [PLATFORM_FEMALE], [PLATFORM_FAKE]]))
    return pd.concat([bench, _clips(p, darker, female, fake, "platform", low_light, makeup)],
                     ignore_index=True)


def _model(spec: Spec | None = None) -> Pipeline:
    return Pipeline([("scale", StandardScaler()), ("classify", LogisticRegression())])


def _errors(run) -> dict:
    """Errors by skin tone × sex and what mitigations are judged on, at every sweep point."""
    audit = run.audit()
    return {"by_group": {g["group"]: {m: g["metrics"][m] for m in ("fpr", "fnr")}
                         for g in audit.groups_of("skin_tone × sex")},
            "balanced_accuracy": audit.overall("balanced_accuracy"),
            "equalized_odds_difference":
                audit.summary["by_attribute"]["skin_tone"]["equalized_odds_difference"]}


def _analyses(run) -> dict:
    bench, fake = run.train, run.train["fake"] == 1
    joint = bench["skin_tone"].astype(str) + " × " + bench["sex"].astype(str)

    def fakes(mask: pd.Series):  # the share of the benchmark's clips in `mask` that are fakes
        return proportion(int((mask & fake).sum()), int(mask.sum()))

    return {"benchmark": {g: {"real": int(((joint == g) & ~fake).sum()),
                              "fake": int(((joint == g) & fake).sum()),
                              "fake_share": fakes(joint == g)} for g in GROUPS},
            # The correlation the detector learns: a darker-skinned clip is more often a fake.
            "fake_share_in_benchmark": {t: fakes(bench["skin_tone"] == t) for t in TONES},
            "weights": dict(zip(FEATURES, run.model["classify"].coef_[0].tolist(), strict=True))}


def _score_column(c: str) -> Column:
    text = (f"Artefact score '{c.replace('_', ' ')}': normal noise + {FAKE[c]:g} if fake"
            + (f" × 1 / (1 + {FADE:g} × dimness)" if c in FADING else "")
            + (f" + {LOW_LIGHT[c]:g} × dimness" if c in LOW_LIGHT else "")
            + (f" + {MAKEUP:g} × makeup if a woman" if c == "skin_smoothness" else "") + ".")
    bias = ("Higher in real clips of dim faces, so of darker-skinned people: low light looks "
            "like a swap." if c in LOW_LIGHT else "Fades in dim faces: swaps of darker-skinned "
            "people are harder to see." if c in FADING else "Higher in real clips of women: "
            "make-up looks like a swap's smoothing." if c == "skin_smoothness" else "")
    return Column(c, "feature", text, bias)


CASE = Case(
    slug="deepfake-detector",
    title="Deepfake detection: a detector trained on one population, deployed on another",
    real_system="Zao (2019), the face-swap app, and deepfake detectors trained on public "
                "benchmarks such as FaceForensics++",
    summary=(
        "A deepfake detector learns from a benchmark whose real clips are mostly of "
        "lighter-skinned people. Deployed on a platform with another mix, it flags real "
        "clips of darker-skinned people, women most, as fakes far more often. Rebalancing "
        "the benchmark closes most of the gap. Of the mitigations applied to the biased "
        "benchmark, some that change the learning do about as well; those that only move "
        "each group's threshold, set on the benchmark's few darker-skinned real clips, do "
        "worse."),
    pitfalls=("incomplete or unrepresentative data", "statistical bias in the data or labels",
              "a model that does not adapt to change"),
    regulation="EU AI Act: deployers who generate or manipulate deep fakes must disclose it "
               "(Art. 50(4)); providers must mark synthetic output (Art. 50(2))",
    make_data=make_deepfake_detector_data,
    columns=(
        Column("setting", "context", "'benchmark' for the 4,000 training clips, 'platform' "
               "for the clips the detector judges once deployed.",
               "The benchmark's real clips under-represent darker-skinned people "
               "(real_darker_share); its fakes and the platform do not."),
        Column("skin_tone", "sensitive", "'lighter' or 'darker'. Benchmark: real clips "
               "real_darker_share darker, fakes 30%; platform: 40%.",
               "Darker skin gives a dimmer face under the same light (face_luminance)."),
        Column("sex", "sensitive", "'female' or 'male': 60% women in the benchmark, 50% on "
               "the platform.", "Make-up smooths women's skin (skin_smoothness)."),
        Column("fake", "label", "1 if the clip is a face swap: half the benchmark, 10% of "
               "the platform. The truth: a synthetic world knows it."),
        Column("face_luminance", "feature", "Mean face brightness: 0.62 (lighter) or 0.32 "
               "(darker) + 0.07 × normal noise, within 0 to 1. Under 0.5 it sets the clip's "
               "dimness, low_light × ((0.5 − luminance) / 0.2)², else 0.",
               "Reveals skin tone; in the benchmark, a dim face is usually a fake's."),
        *(_score_column(c) for c in FAKE),
    ),
    features=FEATURES,
    label="fake",
    truth=None,  # the label is the truth: the world knows which clips are swaps
    sensitive=("skin_tone", "sex"),
    reference={"skin_tone": "lighter", "sex": "male", "skin_tone × sex": "lighter × male"},
    intersectional=True,
    positive_decision="flagged as fake",
    favorable_prediction=0,  # a real person's clip flagged as fake bears the burden
    headline=Headline("skin_tone", "fpr", "darker",
                      "how much more often real clips of darker-skinned people are flagged "
                      "as fake than real clips of lighter-skinned people"),
    metrics_that_matter={
        "fpr": "Real clips flagged as fake: a real person's real video called a fake (taken "
               "down, labelled, doubted).",
        "fnr": "Fakes missed: a swap of someone's face passes as real, the harm to the person "
               "shown.",
        "ppv": "Of the clips flagged, the share that are fakes: what a moderator sees.",
        "accuracy": "What a benchmark reports; on the platform it hides who bears the errors."},
    model=_model,
    model_description=(
        "A scikit-learn Pipeline: StandardScaler, then a logistic regression on the face "
        "luminance and six artefact scores, trained on the benchmark only (4,000 clips, half "
        "fakes). It flags a clip when the predicted probability of a fake is at least 0.5; "
        "skin tone and sex are not among its inputs, but face luminance reveals skin tone."),
    knobs=KNOBS,
    sweeps={"real_darker_share": (0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5)},
    default_n_samples=20_000,
    split=Split.by_column("setting", train="benchmark", test="platform"),
    variants=(Variant("without face luminance", "The same detector without the input that "
                      "reveals skin tone ('fairness through unawareness').",
                      features=tuple(c for c in FEATURES if c != "face_luminance")),),
    analyses=_analyses,
    tracked={"errors": _errors},
    mitigation_attribute="skin_tone",
    questions={"errs": "The detector flags some real clips and misses some fakes, and not "
                       "evenly. Which error should a platform fear more, and for whom?",
               "opaque": "A person whose real video is labelled a fake asks why. What could "
                         "the platform tell them?"},
)
