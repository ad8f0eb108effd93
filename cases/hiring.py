"""Hiring automation: a résumé screener that learns ten years of biased hiring.

Stands for Amazon's experimental résumé-rating model (reported by Reuters in
2018) and the bias audits that New York City's Local Law 144 requires.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fairness import ll144_table
from fairness.analysis import permutation_importance_by_group, proxy_leakage

from ._contract import Case, Column, Headline, Knob, Spec, Variant
from ._run import BOOTSTRAP
from ._world import validated

SEXES = ("female", "male", "nonbinary")
SEX_SHARES = (0.46, 0.525, 0.015)  # nonbinary under 2%: shows LL144's small-category rule
RACES = ("White", "Black or African American", "Hispanic or Latino", "Asian",
         "American Indian or Alaska Native")
RACE_SHARES = (0.52, 0.16, 0.18, 0.125, 0.015)
FEATURES = ("test_score", "years_experience", "keyword_score", "womens_club", "career_gap")
HIRE_RATE = 0.3

KNOBS = (
    Knob("historical_bias", 1.0, "Penalty past recruiters gave women and non-binary "
         "applicants, in standard deviations of skill (0: none).", low=0.0, high=3.0),
    Knob("proxy_strength", 1.0, "How much more often women list a women's club or a "
         "career gap (0: these features reveal nothing of sex).", low=0.0, high=2.0),
    Knob("threshold", 0.5, "Predicted probability at or above which an applicant is "
         "shortlisted.", low=0.05, high=0.95, acts_on="threshold"),
)


@validated(KNOBS)
def make_hiring_data(
    n_samples: int = 20_000,
    random_state: int = 0,
    *,
    historical_bias: float = 1.0,
    proxy_strength: float = 1.0,
) -> pd.DataFrame:
    """Generate a synthetic applicant pool with ten years of hiring decisions.

    True skill is the same in distribution for every sex and race. Past
    recruiters hired on skill, minus ``historical_bias`` standard deviations
    for women and non-binary applicants. Two résumé features carry sex but no
    skill: membership of a women's club and a career gap (the gap also
    shortens the years of experience).

    Parameters
    ----------
    n_samples : int
        Number of applicants.
    random_state : int
        Seed.
    historical_bias : float
        Penalty, in standard deviations of skill, that past recruiters applied
        to women and non-binary applicants (0: none).
    proxy_strength : float
        How much more often women than men list a women's club or a career
        gap (0: the features say nothing of sex).

    Returns
    -------
    pandas.DataFrame
        One row per applicant: ``sex`` (and its indicator ``female``),
        ``race_ethnicity``, ``age_band``, ``year``, the hidden ``skill`` and
        ``qualified`` (truth), the résumé features and the historical
        decision ``hired`` (the label).

    Examples
    --------
    >>> df = make_hiring_data(1000, random_state=0)
    >>> sorted(df["sex"].unique())
    ['female', 'male', 'nonbinary']
    """
    rng = np.random.default_rng(random_state)
    n = n_samples
    sex = rng.choice(SEXES, size=n, p=SEX_SHARES)
    race = rng.choice(RACES, size=n, p=RACE_SHARES)
    age_band = np.where(rng.random(n) < 0.3, "40 and over", "under 40")
    year = rng.integers(2015, 2025, size=n)  # ten years of applications
    not_male = sex != "male"

    skill = rng.normal(size=n)
    qualified = (skill > np.quantile(skill, 1 - HIRE_RATE)).astype(int)

    club_p = np.where(not_male, 0.02 + 0.28 * proxy_strength, 0.02)
    womens_club = (rng.random(n) < club_p).astype(int)
    gap_p = np.where(not_male, 0.08 + 0.25 * proxy_strength, 0.08)
    career_gap = (rng.random(n) < gap_p).astype(int)
    older = age_band == "40 and over"
    years_experience = np.clip(
        6 + 1.5 * skill + 8 * older - 2.5 * career_gap + rng.normal(0, 2, n), 0, None
    )
    test_score = 60 + 10 * skill + rng.normal(0, 8, n)
    keyword_score = 0.6 * skill + rng.normal(0, 1, n)

    merit = skill + rng.normal(0, 0.5, n) - historical_bias * not_male
    hired = (merit > np.quantile(merit, 1 - HIRE_RATE)).astype(int)
    return pd.DataFrame({
        "sex": sex, "female": (sex == "female").astype(int), "race_ethnicity": race,
        "age_band": age_band, "year": year, "skill": skill, "qualified": qualified,
        "test_score": test_score, "years_experience": years_experience,
        "keyword_score": keyword_score, "womens_club": womens_club, "career_gap": career_gap,
        "hired": hired,
    })


def _model(spec: Spec):
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))


def _boosted(spec: Spec):
    return HistGradientBoostingClassifier(max_iter=100, random_state=spec.seed)


def _analyses(run) -> dict:
    boosted = run.variant_run("gradient boosting")
    X, y, sex = run.test[list(FEATURES)], run.test["hired"], run.test["sex"]
    return {
        "leakage": proxy_leakage(run.train, run.test, FEATURES, "sex", "female", run.spec.seed),
        "coefficients": dict(zip(FEATURES, run.model[-1].coef_[0].round(12).tolist(),
                                 strict=True)),
        # What each model relies on: the boosted one has no weights to read.
        "importance": {
            name: permutation_importance_by_group(r.model, X, y, sex, random_state=run.spec.seed)
            for name, r in (("logistic regression", run), ("gradient boosting", boosted))
        },
        # NYC LL144's bias-audit table of the screener's shortlist, as `casebook audit --ll144`.
        "ll144": ll144_table(run.test, sex="sex", race="race_ethnicity", selected="prediction",
                             favorable_prediction=run.case.favorable_prediction,
                             bootstrap=BOOTSTRAP, random_state=run.spec.seed),
    }


CASE = Case(
    slug="hiring",
    title="Hiring automation: a résumé screener learns a biased history",
    real_system="Amazon's experimental résumé-rating model (2014–2017); NYC Local Law 144 audits",
    summary=(
        "A screener trained on ten years of past hiring decisions, with sex removed from its "
        "inputs, still shortlists women less often: it learns the history through proxies."
    ),
    pitfalls=("statistical bias in the data or labels", "information leaking into the model",
              "a model that can hardly be interpreted"),
    regulation="EU AI Act: high-risk (Annex III, 4(a)); NYC Local Law 144 bias audits",
    make_data=make_hiring_data,
    columns=(
        Column("sex", "sensitive", "Drawn with shares 46% female, 52.5% male, 1.5% non-binary.",
               "Not given to the model; past recruiters penalised women and non-binary "
               "applicants (historical_bias)."),
        Column("female", "sensitive", "1 if sex is female, else 0: the sex column as an input "
               "for the 'with sex' variant only."),
        Column("race_ethnicity", "sensitive",
               "Drawn with shares 52% White, 16% Black or African American, 18% Hispanic or "
               "Latino, 12.5% Asian, 1.5% American Indian or Alaska Native.",
               "None put in: skill and hiring do not depend on it."),
        Column("age_band", "context", "30% are 40 and over.",
               "Older applicants have more years of experience; nothing else."),
        Column("year", "context", "Year of application, 2015–2024 (ten years of history)."),
        Column("skill", "truth", "True job-relevant skill, standard normal for everyone.",
               "Hidden from the model and from past recruiters' records."),
        Column("qualified", "truth", "1 for the 30% most skilled applicants: the ideal decision."),
        Column("test_score", "feature", "Skill test: 60 + 10 × skill + noise (sd 8)."),
        Column("years_experience", "feature",
               "6 + 1.5 × skill + 8 if 40 and over − 2.5 if career gap + noise (sd 2).",
               "Shortened by career gaps, which women have more often."),
        Column("keyword_score", "feature", "Résumé keyword match: 0.6 × skill + noise."),
        Column("womens_club", "feature",
               "Lists a women's club or college: 2% of men, 2% + 28% × proxy_strength of others.",
               "A proxy of sex that says nothing of skill."),
        Column("career_gap", "feature",
               "Has a career gap: 8% of men, 8% + 25% × proxy_strength of others.",
               "A proxy of sex."),
        Column("hired", "label",
               "Past decision: the top 30% of skill + noise − historical_bias if not male.",
               "The biased history the model learns from."),
    ),
    features=FEATURES,
    label="hired",
    truth="qualified",
    sensitive=("sex", "race_ethnicity"),
    reference={"sex": "male", "race_ethnicity": "White"},
    intersectional=True,
    positive_decision="shortlisted",
    headline=Headline("sex", "selection_rate", "female",
                      "how much less often women are shortlisted than men"),
    truth_headline=Headline("sex", "tpr", "female",
                            "how much less often qualified women are shortlisted than "
                            "qualified men"),
    metrics_that_matter={
        "selection_rate": "NYC LL144 and the four-fifths rule compare selection rates: who "
                          "gets through the screen at all.",
        "tpr": "Among applicants who should be hired, the share shortlisted: the screener's "
               "errors against qualified people (equal opportunity).",
        "ppv": "Of those shortlisted, the share qualified: what recruiters downstream see.",
    },
    model=_model,
    model_description=(
        "Standardised features into a logistic regression (scikit-learn), trained on 70% of the "
        "applicants to predict the past decision `hired`; sex, race/ethnicity and age band are "
        "not among its inputs. An applicant is shortlisted when the predicted probability is "
        "at least `threshold` (0.5)."
    ),
    knobs=KNOBS,
    sweeps={"historical_bias": (0.0, 0.25, 0.5, 1.0, 1.5, 2.0),
            "threshold": (0.2, 0.3, 0.4, 0.5, 0.6, 0.7)},
    variants=(
        Variant("with sex", "The same model given the applicant's sex as well ('fairness "
                "through unawareness' undone).", features=(*FEATURES, "female")),
        Variant("gradient boosting", "Gradient-boosted trees on the same five inputs: no "
                "weights to read, so only an explanation shows what it relies on.",
                model=_boosted),
    ),
    analyses=_analyses,
    mitigation_attribute="sex",
    questions={
        "errs": "The screener shortlists some unqualified applicants and passes over some "
                "qualified ones. Would applicants accept its errors if they were spread "
                "evenly, and are they?",
        "opaque": "Would an employer accept the gradient-boosted screener, whose reliance on "
                  "'womens_club' shows only in a permutation test?",
    },
)
