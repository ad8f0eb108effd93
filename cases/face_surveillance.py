"""Face identification in mass surveillance: small error rates at a billion scans.

Stands for camera networks that search every passer-by against a watch list, and the
demographic differentials NIST measured in face matchers (NISTIR 8280, 2019). No images: each
row compares a scanned face with one watch-list face, scored by a matcher trained mostly on
lighter-skinned men. The analyses turn per-comparison false-match rates into false alerts per
scan and per day, and try a threshold per group.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from fairness import Estimate, proportion

from ._contract import Case, Column, Headline, Knob, Split, Variant
from ._run import JOINT_SEPARATOR, Decisions
from ._world import streams, validated

TONES, SEXES = ("lighter", "darker"), ("female", "male")
DARKER_SHARE, FEMALE_SHARE = 0.4, 0.5  # of the scanned people, and of the watch list
GROUPS = tuple(f"{t}{JOINT_SEPARATOR}{s}" for t in TONES for s in SEXES)  # the engine's names
MAJORITY, JOINT = GROUPS[1], f"skin_tone{JOINT_SEPARATOR}sex"
SHARES = {g: (DARKER_SHARE if g in GROUPS[2:] else 1 - DARKER_SHARE)
          * (FEMALE_SHARE if g in GROUPS[::2] else 1 - FEMALE_SHARE) for g in GROUPS}
MATED_SHARE = 0.03  # comparisons of a scanned face with its own watch-list photo
# Similarity scores (cosine-like). A group's deficit d: halvings of its training share below
# lighter-skinned men's. Per halving, two of its people look more alike to the matcher, and
# its genuine scores are lower and noisier.
IMPOSTOR_MEAN, CROSS_MEAN, IMPOSTOR_SD, LOOKALIKE = 0.10, 0.0, 0.10, 0.045
GENUINE_MEAN, GENUINE_SD, GENUINE_DROP, GENUINE_SPREAD = 0.70, 0.08, 0.01, 0.08
GALLERY_GRID = (1, 10, 100, 1_000, 10_000, 100_000, 1_000_000)
CHOICES = ("one for everyone", "per group")

KNOBS = (
    Knob("training_imbalance", 1.0, "How unrepresentative the matcher's training faces were: "
         "4^k lighter-skinned faces per darker-skinned one, 2^k men per woman (0: each skin "
         "tone and sex a quarter; 1: 80% lighter-skinned, 67% men).", low=0.0, high=2.0),
    Knob("threshold", 0.44, "Similarity at or above which a comparison alerts; at 0.44 about 1 "
         "in 10,000 comparisons of a lighter-skinned man with someone else does.",
         low=0.2, high=0.9, acts_on="threshold"),
    Knob("thresholds", CHOICES[0], "One threshold, or one per skin tone and sex giving each "
         "group lighter-skinned men's false-match rate.", choices=CHOICES, acts_on="model"),
    Knob("gallery_size", 100, "Faces on the watch list; each scan is compared with all.",
         low=1, high=100_000_000, integer=True, acts_on="model"),
    Knob("scans_per_day", 10_000_000, "Faces the network scans a day.", low=1,
         high=10_000_000_000, integer=True, acts_on="model"),
    Knob("watchlisted_share", 1e-5, "Share of scans that show someone on the watch list.",
         low=1e-9, high=0.5, acts_on="model"),
)


def training_shares(imbalance: float) -> dict[str, float]:
    """Each group's share of the matcher's training faces (weights 4^k lighter, 2^k male)."""
    w = {g: 4.0 ** (imbalance * (g in GROUPS[:2])) * 2.0 ** (imbalance * (g in GROUPS[1::2]))
         for g in GROUPS}
    return {g: v / sum(w.values()) for g, v in w.items()}


@validated(KNOBS)
def make_face_surveillance_data(n_samples: int = 2_000_000, random_state: int = 0, *,
                                training_imbalance: float = 1.0) -> pd.DataFrame:
    """Generate comparisons of scanned faces with watch-list faces, and their similarity.

    Scanned people and watch-list faces are 40% darker-skinned and 50% women. 3% of
    comparisons are mated (the scanned person's own photo); the others pair two people drawn
    independently. Similarity is normal: mean 0.70 (sd 0.08) for the same person, 0.10 (sd
    0.10) for two people of the same skin tone and sex, 0.0 (sd 0.10) otherwise. A group d
    halvings of training share below lighter-skinned men (d = k·(2·darker + woman), k =
    ``training_imbalance``) gets same-group impostor scores 0.045·d higher and genuine scores
    0.01·d lower and (1 + 0.08·d) times as spread. Who is compared and the noise come from
    their own streams: k moves only the scores.

    Examples
    --------
    >>> df = make_face_surveillance_data(1000, random_state=0)
    >>> sorted(df.columns)
    ['mated', 'same_group', 'sex', 'similarity', 'skin_tone']
    """
    rng = streams(random_state, "scans", "watch list", "scores")
    n = n_samples
    tone = (rng["scans"].random(n) < DARKER_SHARE).astype(np.int8)
    female = (rng["scans"].random(n) < FEMALE_SHARE).astype(np.int8)
    mated = rng["scans"].random(n) < MATED_SHARE
    other = rng["watch list"].random((n, 2)) < (DARKER_SHARE, FEMALE_SHARE)
    same = mated | ((other[:, 0] == tone) & (other[:, 1] == female))
    d = training_imbalance * (2.0 * tone + female)
    mean = np.where(mated, GENUINE_MEAN - GENUINE_DROP * d,
                    np.where(same, IMPOSTOR_MEAN + LOOKALIKE * d, CROSS_MEAN))
    sd = np.where(mated, GENUINE_SD * (1 + GENUINE_SPREAD * d), IMPOSTOR_SD)
    z = rng["scores"].standard_normal(n, dtype=np.float32)
    # Two text columns (object dtype: quick to build and compare), the rest numbers.
    return pd.DataFrame({
        "skin_tone": pd.Series(np.array(TONES, object)[tone], dtype=object),
        "sex": pd.Series(np.array(SEXES, object)[1 - female], dtype=object),
        "same_group": same.astype(np.int64), "mated": mated.astype(np.int64),
        "similarity": (mean + sd * z).astype(np.float32)})


def _group_codes(frame: pd.DataFrame) -> np.ndarray:
    """Each row's index in GROUPS."""
    return 2 * (frame["skin_tone"].to_numpy() == TONES[1]) + (frame["sex"].to_numpy() == SEXES[1])


def _thresholds(run) -> dict[str, float]:
    """The knob's threshold for all, or per group the one giving lighter-skinned men's FMR."""
    t = float(run.spec.knobs["threshold"])
    if run.spec.knobs["thresholds"] == CHOICES[0]:
        return dict.fromkeys(GROUPS, t)
    cal = run.train[run.train["mated"] == 0]
    score, code = cal["similarity"].to_numpy(), _group_codes(cal)
    target = float((score[code == GROUPS.index(MAJORITY)] >= t).mean())
    out = {}
    for i, g in enumerate(GROUPS):
        s = np.sort(score[code == i])  # alert on the group's k highest non-mated scores
        out[g] = t if g == MAJORITY else float(s[len(s) - max(1, round(target * len(s)))])
    return out


def _decide(run) -> Decisions:
    """Alert when the similarity reaches the scanned person's group's threshold."""
    cut = _thresholds(run)
    test = run.rows.assign(score=run.rows["similarity"])
    limit = np.array([cut[g] for g in GROUPS], dtype=np.float32)[_group_codes(test)]
    test["prediction"] = (test["score"].to_numpy() >= limit).astype(np.int64)
    return Decisions(test, extra={"thresholds": cut})


def per_scan(fmr: Estimate, gallery: int) -> Estimate:
    """Chance a scan of someone not listed alerts, 1 − (1 − FMR)^G: increasing, ends map too."""
    def f(p):
        return None if p is None else float(-np.expm1(gallery * np.log1p(-min(p, 1 - 1e-16))))
    return replace(fmr, value=f(fmr.value), ci_low=f(fmr.ci_low), ci_high=f(fmr.ci_high))


def _total(parts: list[Estimate]) -> Estimate:
    """A sum of estimates; its interval sums their ends (conservative)."""
    ends = [[getattr(e, k) for e in parts] for k in ("value", "ci_low", "ci_high")]
    return Estimate(*(None if None in v else float(sum(v)) for v in ends),
                    method="sum of the interval ends")


def _false_share(f: Estimate, t: Estimate) -> Estimate:
    """Share of alerts that are false; the interval pairs the ends of both (conservative)."""
    return Estimate(f.value / (f.value + t.value), f.ci_low / (f.ci_low + t.ci_high),
                    f.ci_high / (f.ci_high + t.ci_low), method="ends of the intervals")


def _scale(run) -> dict:
    """Per group and in all: FMR, FNMR, the chance a scan alerts, alerts a day."""
    k, groups = run.spec.knobs, {}
    scans, listed = k["scans_per_day"], k["watchlisted_share"]
    for g in run.audit().groups_of(JOINT):
        name, m = g["group"], {x: Estimate.from_dict(g["metrics"][x]) for x in
                               ("fpr", "fnr", "tpr")}
        chance = per_scan(m["fpr"], k["gallery_size"])
        groups[name] = {"threshold": run.extra["thresholds"][name], "fnmr": m["fnr"],
                        "fmr_per_10k": m["fpr"].scaled(10_000), "per_scan": chance,
                        "false_alerts": chance.scaled(scans * SHARES[name] * (1 - listed)),
                        "true_alerts": m["tpr"].scaled(scans * SHARES[name] * listed)}
    false = _total([v["false_alerts"] for v in groups.values()])
    true = _total([v["true_alerts"] for v in groups.values()])
    return {"groups": groups, "false_alerts": false, "true_alerts": true,
            "missed_share": _total([v["fnmr"].scaled(SHARES[g]) for g, v in groups.items()]),
            "false_share": _false_share(false, true)}


def _analyses(run) -> dict:
    per_group, audit, test = run.variant_run("a threshold per group"), run.audit(), run.test
    lighter_men = _group_codes(run.train) == GROUPS.index(MAJORITY)
    cal = run.train[(run.train["mated"] == 0) & lighter_men]
    false = test[(test["mated"] == 0) & (test["prediction"] == 1)]
    return {
        "shares": SHARES, "training_shares": training_shares(run.spec.knobs["training_imbalance"]),
        "majority_calibration_fmr_per_10k": proportion(int((cal["similarity"] >= run.spec.knobs[
            "threshold"]).sum()), len(cal)).scaled(10_000),  # where the threshold comes from
        "false_matches_same_group": proportion(int(false["same_group"].sum()), len(false)),
        "fmr_ratio": {g: audit.gap(JOINT, "fpr", g) for g in GROUPS if g != MAJORITY},
        "fnmr_ratio": {g: audit.gap(JOINT, "fnr", g) for g in GROUPS if g != MAJORITY},
        "one_threshold": _scale(run), "per_group": _scale(per_group),
        "per_group_fmr_gap": per_group.gap(),
        "gallery": {"sizes": list(GALLERY_GRID), "per_scan": {
            g["group"]: [per_scan(Estimate.from_dict(g["metrics"]["fpr"]), n)
                         for n in GALLERY_GRID] for g in audit.groups_of(JOINT)}}}


def _tracked(run) -> dict:
    """One dict per sweep point (flat entries would be drawn, and mis-tabled, by the site)."""
    s = _scale(run)
    return {"false_alerts": s["false_alerts"], "false_share": s["false_share"], "by_group": {
        g: {k: v[k] for k in ("fmr_per_10k", "fnmr", "per_scan")} for g, v in s["groups"].items()}}


CASE = Case(
    slug="face-surveillance",
    title="Face identification in mass surveillance: small error rates at a billion scans",
    real_system="Live face search on camera networks (China's: about 170 million cameras in "
                "2017); NIST's demographic tests of face matchers (NISTIR 8280, 2019)",
    summary=(
        "A face matcher trained mostly on lighter-skinned men falsely matches darker-skinned "
        "women far more often than lighter-skinned men, at one threshold for all. Every scan of "
        "a city's cameras is searched against a whole watch list, so 1 false match in 10,000 "
        "comparisons becomes a flood of false alerts, most of them on darker-skinned people. A "
        "threshold per group evens the rates, misses more wanted people, and leaves the flood."),
    pitfalls=("incomplete or unrepresentative data", "a loss or metric that does not fit the need"),
    regulation=("EU AI Act: real-time remote biometric identification in publicly accessible "
                "spaces for law enforcement is prohibited save narrow exceptions (Art. 5(1)(h)), "
                "as is building face databases by untargeted scraping (Art. 5(1)(e)); other "
                "remote biometric identification is high-risk (Annex III, 1(a))"),
    make_data=make_face_surveillance_data,
    columns=(
        Column("skin_tone", "sensitive", "The scanned person's: 40% 'darker', else 'lighter'.",
               "In training, 4^k lighter-skinned faces per darker one (k: training_imbalance)."),
        Column("sex", "sensitive", "The scanned person's: 50% female.",
               "In training, 2^k men per woman."),
        Column("same_group", "context", "1 if the watch-list face has the scanned person's "
               "skin tone and sex: always when mated; else drawn like the scanned crowd."),
        Column("mated", "label", "1 for the 3% of comparisons with the scanned person's own "
               "photo, else 0. The world knows it; a camera network does not."),
        Column("similarity", "feature", "The matcher's score, normal: mean 0.70 (sd 0.08) for "
               "the same person, 0.10 (sd 0.10) for two people of one skin tone and sex, 0.0 "
               "(sd 0.10) otherwise.", "For a group d halvings of training share below "
               "lighter-skinned men (d = k·(2·darker + woman)): same-group impostors 0.045·d "
               "higher; genuine scores 0.01·d lower, (1 + 0.08·d) times as spread."),
    ),
    features=("similarity",),
    label="mated",
    sensitive=("skin_tone", "sex"),
    reference={"skin_tone": "lighter", "sex": "male", JOINT: MAJORITY},
    intersectional=True,
    positive_decision="alerted",
    favorable_prediction=0,  # an alert brings the police: no alert is the favourable outcome
    headline=Headline("skin_tone", "fpr", "darker",
                      "how much more often a darker-skinned person's face is falsely matched "
                      "with a watch-list face than a lighter-skinned person's"),
    metrics_that_matter={
        "fpr": "The false-match rate (FMR): comparisons of two different people that alert; a "
               "scan makes one per watch-list face.",
        "fnr": "The false non-match rate (FNMR): a listed person compared with their own photo "
               "and not alerted.",
        "selection_rate": "Comparisons that alert: so rare that the four-fifths rule passes "
                          "every group."},
    decide=_decide,
    model_description=(
        "No classifier is fitted: the matcher's similarity is the world's, and the rule alerts "
        "when it reaches the `threshold` (0.44, where about 1 in 10,000 comparisons of a "
        "lighter-skinned man with someone else alerts). The variant sets a threshold per skin "
        "tone and sex on the calibration half (the rows not audited) so that each group's "
        "non-mated comparisons alert as often as lighter-skinned men's; unlike the one "
        "threshold, it needs every scanned face's skin tone and sex."),
    knobs=KNOBS,
    sweeps={"threshold": (0.40, 0.44, 0.48, 0.52, 0.56, 0.60),
            "training_imbalance": (0.0, 0.5, 1.0, 1.5, 2.0)},
    default_n_samples=2_000_000,
    split=Split.random(0.5),  # half calibrate the per-group thresholds; half are audited
    variants=(Variant("a threshold per group", "A threshold per skin tone and sex giving each "
                      "group lighter-skinned men's false-match rate on the calibration half.",
                      knobs={"thresholds": CHOICES[1]}),),
    analyses=_analyses,
    tracked={"scale": _tracked},
    mitigations=(),  # nothing is fitted; the variant is the remedy (see the page)
    questions={"errs": "Nearly every alert names the wrong person, darker-skinned women most "
                       "often. Would the people stopped accept it, or the police who act on it?",
               "opaque": "A deep network's score decides who is stopped. Can an officer "
                         "explain to a stopped person why the camera named them?"},
)
