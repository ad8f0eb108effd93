"""The bias-audit table of New York City's Local Law 144, in the rule's own terms.

The Department of Consumer and Worker Protection's rule (6 RCNY § 5-300 and
§ 5-301) asks an audit of an automated employment decision tool for, per
category of sex, of race/ethnicity and of their intersection:

- the number of applicants in the category;
- the **selection rate** (§ 5-300: "the rate at which individuals in a
  category are either selected to move forward in the hiring process or
  assigned a classification"), or, for a tool that scores, the **scoring
  rate** ("the rate at which individuals in a category receive a score above
  the sample's median score");
- the **impact ratio**: that rate over the rate of the most selected (or
  highest scoring) category.

§ 5-301(d) lets an auditor exclude a category that is under 2% of the data
from the impact-ratio calculations, provided its number of applicants and
rate are still reported; § 5-301(c) asks for the number of applicants left
out because their category is unknown. Here such a category is *marked*
eligible for exclusion: its numbers (and its own ratio) are shown, but it
never sets the denominator. Rates carry Wilson intervals and impact ratios a
Bayesian-bootstrap interval, as everywhere in the engine; the rule asks for
neither, and the point values are the rule's numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._counts import JOINT_SEPARATOR
from ._estimate import dirichlet_counts, estimates, proportion_estimates
from ._format import escape_markdown, format_estimate, format_number, format_share
from ._metrics import ratio
from ._prepare import (
    AuditInputError,
    _columns,
    _default_positive,
    _get,
    _length,
    _match_positive,
    _numeric,
    factorize,
    resolve_favorable,
)

RULE = "6 RCNY § 5-301"
RULE_URL = "https://rules.cityofnewyork.us/rule/automated-employment-decision-tools-updated/"
MIN_SHARE = 0.02
SELECTION = "selection"
SCORING = "scoring"
SEX_NAMES = ("sex", "gender")
RACE_NAMES = ("race", "ethnicity", "race_ethnicity")
DEFINITIONS = {
    SELECTION: ("Selection rate (6 RCNY § 5-300): the rate at which individuals in a category "
                "are selected to move forward in the hiring process or assigned a "
                "classification. Impact ratio: a category's selection rate over that of the "
                "most selected category."),
    SCORING: ("Scoring rate (6 RCNY § 5-300): the rate at which individuals in a category "
              "receive a score above the sample's median score; a score equal to the median "
              "is not above it. Impact ratio: a category's scoring rate over that of the "
              "highest scoring category."),
}


def _normal(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in str(name).lower()).strip("_")


def recognise_columns(columns: list[str]) -> dict[str, str]:
    """The sex and race/ethnicity columns among ``columns``, by their usual names.

    ``sex`` or ``gender`` for sex; ``race``, ``ethnicity`` or
    ``race_ethnicity`` (any case, any punctuation: ``Race/Ethnicity``) for
    race/ethnicity.

    Parameters
    ----------
    columns : list of str
        Candidate column names (the audit's sensitive columns).

    Returns
    -------
    dict
        ``{"sex": column, "race": column}``, with the keys that were found.

    Raises
    ------
    AuditInputError
        When two columns could be the same one (``race`` and ``ethnicity``).

    Examples
    --------
    >>> recognise_columns(["Gender", "age", "Race/Ethnicity"])
    {'sex': 'Gender', 'race': 'Race/Ethnicity'}
    """
    found: dict[str, str] = {}
    for key, names in (("sex", SEX_NAMES), ("race", RACE_NAMES)):
        hits = [c for c in columns if _normal(c) in names]
        if len(hits) > 1:
            raise AuditInputError(
                f"more than one column could be the {key} of the LL144 table "
                f"({', '.join(hits)}); name it: --ll144 sex=COL,race=COL"
            )
        if hits:
            found[key] = hits[0]
    return found


@dataclass(frozen=True)
class LL144Table:
    """The LL144 bias-audit table: one part per category kind (sex, race/ethnicity, both).

    Attributes
    ----------
    basis : str
        ``"selection"`` (selection rates) or ``"scoring"`` (scoring rates).
    n_rows : int
        Applicants assessed (every row).
    columns : dict
        ``{"sex": column, "race": column}`` (those given).
    parts : list of dict
        One per kind: ``kind`` (``"sex"``, ``"race"``, ``"intersection"``),
        ``title``, ``n_unknown`` (applicants whose category is unknown, left
        out), ``most_selected`` (the denominator's category) and ``rows``:
        per category ``category`` (``"female × White"`` for the
        intersection), ``n``, ``share``, ``selected``, ``rate`` and
        ``impact_ratio`` (estimates), ``excludable`` (under ``min_share``)
        and ``is_most_selected``.
    median_score : float or None
        The sample's median score (scoring basis only), and ``n_at_median``
        the applicants whose score equals it (not above it, so not counted).
    """

    basis: str
    n_rows: int
    columns: dict
    parts: list
    min_share: float = MIN_SHARE
    median_score: float | None = None
    n_at_median: int | None = None
    settings: dict = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``audit.json``'s ``ll144``, the hiring record's ``analyses.ll144``)."""
        return {"rule": RULE, "rule_url": RULE_URL, "basis": self.basis,
                "definition": DEFINITIONS[self.basis], "n_rows": self.n_rows,
                "columns": dict(self.columns), "min_share": self.min_share,
                "median_score": self.median_score, "n_at_median": self.n_at_median,
                "settings": dict(self.settings), "parts": self.parts}

    def to_markdown(self, suppress_below: int | None = None) -> str:
        """The table as markdown (a section of ``audit.md``); see :func:`ll144_markdown`."""
        return ll144_markdown(self.to_dict(), suppress_below)


def ll144_markdown(table: dict, suppress_below: int | None = None, level: int = 2) -> str:
    """The LL144 table (its :meth:`LL144Table.to_dict` form) as markdown, user strings escaped.

    ``suppress_below``: a category of fewer rows shows ``suppressed (n < N)``
    in place of each of its numbers. ``level``: the heading level of its title
    (its parts are one level below), to place it inside a page.
    """
    rate = "Scoring rate" if table["basis"] == SCORING else "Selection rate"
    lines = [f"{'#' * level} NYC Local Law 144 bias-audit table", "",
             f"In the terms of {table['rule']}: {table['definition']} "
             f"{table['n_rows']:,} applicants assessed. A category under "
             f"{format_share(table['min_share'], 0)} of the data may be excluded from the "
             "impact ratios (§ 5-301(d)); it is marked, its numbers still shown, and it never "
             "sets the denominator. Brackets: 95% intervals (not required by the rule)."]
    if table["basis"] == SCORING:
        lines[-1] += (f" Median score of the sample: {format_number(table['median_score'])}; "
                      f"{table['n_at_median']:,} applicants score exactly the median and are "
                      "not counted as above it.")
    lines.append("")
    hidden = f"suppressed (n < {suppress_below})" if suppress_below else ""
    for part in table["parts"]:
        lines += [f"{'#' * (level + 1)} {escape_markdown(part['title'])}", "",
                  f"| Category | Number of applicants | {rate} | Impact ratio | Note |",
                  "|---|--:|--:|--:|---|"]
        for r in part["rows"]:
            note = []
            if r["is_most_selected"]:
                note.append("most selected: the denominator" if table["basis"] == SELECTION
                            else "highest scoring: the denominator")
            if r["excludable"]:
                note.append(f"under {format_share(table['min_share'], 0)} of the data: may be "
                            "excluded from the impact ratio")
            if suppress_below and r["n"] < suppress_below:
                cells = [hidden] * 3
                note = [n for n in note if not n.startswith("under")]
            else:
                cells = [f"{r['n']:,}", format_estimate(r["rate"], "percent"),
                         format_estimate(r["impact_ratio"], "ratio")]
            lines.append(f"| {escape_markdown(r['category'])} | " + " | ".join(cells)
                         + f" | {'; '.join(note)} |")
        lines.append("")
        if part["n_unknown"]:
            lines += [f"{part['n_unknown']:,} applicants of an unknown category are not "
                      "included (§ 5-301(c)).", ""]
    return "\n".join(lines)


def _decisions(frame: Any, selected: str, positive_label: Any, favorable_prediction: Any
               ) -> np.ndarray:
    codes, values = factorize(_get(frame, selected))
    if (codes < 0).any():
        raise AuditInputError(
            f"{int((codes < 0).sum())} rows have no decision in {selected!r}; the LL144 "
            "table needs one for every applicant: fill them or drop those rows"
        )
    positive = (_default_positive(values, f"column {selected!r}") if positive_label is None
                else _match_positive(positive_label, values))
    favorable = resolve_favorable(favorable_prediction, positive, values)
    is_positive = np.asarray([v == positive for v in values])[codes]
    return is_positive if favorable == 1 else ~is_positive


def _part(kind: str, title: str, names: list[str], codes: np.ndarray, chosen: np.ndarray,
          n_total: int, settings: dict, rng: np.random.Generator) -> dict:
    """One kind of category: counts, rates and impact ratios (``codes`` -1: unknown)."""
    known = codes >= 0
    g = len(names)
    n = np.bincount(codes[known], minlength=g)
    sel = np.bincount(codes[known], weights=chosen[known], minlength=g).astype(np.int64)
    keep = np.flatnonzero(n > 0)
    names, n, sel = [names[i] for i in keep], n[keep], sel[keep]
    if not names:
        return {"kind": kind, "title": title, "n_unknown": int((~known).sum()),
                "most_selected": None, "rows": []}
    share = n / n_total
    excludable = share < settings["min_share"]
    eligible = ~excludable if (~excludable).any() else np.ones_like(excludable)
    rates = ratio(sel, n)
    top = int(np.argmax(np.where(eligible, rates, -np.inf)))
    impact = ratio(rates, np.full_like(rates, rates[top]))
    reps = None
    if settings["bootstrap"]:
        cells = np.stack([n - sel, sel], axis=1)
        draws = dirichlet_counts(cells, settings["bootstrap"], rng)  # (B, G, 2)
        rate_reps = ratio(draws[..., 1], draws.sum(axis=-1))
        top_reps = np.max(np.where(eligible, rate_reps, -np.inf), axis=-1, keepdims=True)
        reps = ratio(rate_reps, np.broadcast_to(top_reps, rate_reps.shape))
    conf = settings["confidence"]
    rate_est = proportion_estimates(sel, n, conf, "the category is empty")
    impact_est = estimates(impact, reps, conf,
                           "the most selected category has a rate of 0")
    rows = [{"category": names[i], "n": int(n[i]), "share": float(share[i]),
             "selected": int(sel[i]), "rate": rate_est[i], "impact_ratio": impact_est[i],
             "excludable": bool(excludable[i]), "is_most_selected": i == top}
            for i in range(len(names))]
    return {"kind": kind, "title": title, "n_unknown": int((~known).sum()),
            "most_selected": names[top], "rows": rows}


def ll144_table(
    frame: Any,
    *,
    sex: str | None = None,
    race: str | None = None,
    selected: str | None = None,
    score: str | None = None,
    positive_label: Any = None,
    favorable_prediction: Any = 1,
    min_share: float = MIN_SHARE,
    bootstrap: int = 1000,
    confidence: float = 0.95,
    random_state: int = 0,
) -> LL144Table:
    """The bias-audit table of NYC Local Law 144 (6 RCNY § 5-301).

    For each category of sex, of race/ethnicity and of their intersection:
    the number of applicants, the selection rate (or scoring rate) and the
    impact ratio against the most selected (highest scoring) category.

    Parameters
    ----------
    frame : pandas.DataFrame or pyarrow.Table
        One row per applicant assessed.
    sex, race : str, optional
        The sex and race/ethnicity columns (at least one; the intersection
        needs both). A missing value is an unknown category: counted in
        ``n_unknown`` and left out of the calculations (§ 5-301(c)).
    selected : str, optional
        The decision column, for a tool that selects: an applicant is
        selected when it holds the favourable decision.
    score : str, optional
        The score column, for a tool that scores (instead of ``selected``):
        the rate is the share of a category scoring *strictly above* the
        median score of all applicants, as the rule words it; applicants
        whose score equals the median are not counted as above it (their
        number is ``n_at_median``).
    positive_label, favorable_prediction : optional
        Which value of ``selected`` is positive, and whether the positive
        decision is the favourable one (1) or a burden (0), as in
        :func:`fairness.audit`; selection is the favourable decision.
    min_share : float
        Categories under this share of the rows are marked eligible for
        exclusion from the impact ratios (the rule's 2%), and never set the
        denominator.
    bootstrap : int
        Replicates of the Bayesian bootstrap (Dirichlet(counts + 1/2)) behind
        the impact ratios' intervals (0 for none).
    confidence : float
        Level of the intervals.
    random_state : int
        Seed of the bootstrap.

    Returns
    -------
    LL144Table

    Raises
    ------
    AuditInputError
        A column that is absent, neither ``sex`` nor ``race``, both or
        neither of ``selected`` and ``score``, or a missing decision or score.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"sex": ["f"] * 4 + ["m"] * 4,
    ...                    "hired": [1, 0, 0, 0, 1, 1, 0, 0]})
    >>> t = ll144_table(df, sex="sex", selected="hired", bootstrap=0)
    >>> [(r["category"], r["n"], r["rate"]["value"], r["impact_ratio"]["value"])
    ...  for r in t.parts[0]["rows"]]
    [('f', 4, 0.25, 0.5), ('m', 4, 0.5, 1.0)]
    """
    if sex is None and race is None:
        raise AuditInputError("the LL144 table needs a sex or a race/ethnicity column "
                              "(--ll144 sex=COL,race=COL)")
    if (selected is None) == (score is None):
        raise AuditInputError("the LL144 table needs either the decisions (selected) or the "
                              "scores (score), not both and not neither")
    if not 0 < float(min_share) < 1:
        raise AuditInputError(f"min_share must be between 0 and 1, got {min_share!r}")
    columns = _columns(frame)
    wanted = {"sex": sex, "race": race, "selected": selected, "score": score}
    for role, name in wanted.items():
        if name is not None and name not in columns:
            shown = ", ".join(columns[:30]) + (", ..." if len(columns) > 30 else "")
            raise AuditInputError(f"LL144 {role} column {name!r} not found; the columns are: "
                                  f"{shown}")
    n_total = _length(frame)
    if n_total == 0:
        raise AuditInputError("the data have no rows; nothing to audit")
    median = n_at_median = None
    if score is not None:
        values = _numeric(_get(frame, score), score, "score")
        if np.isnan(values).any():
            raise AuditInputError(
                f"{int(np.isnan(values).sum())} rows have no score in {score!r}; the scoring "
                "rate needs the median of every applicant's score: fill them or drop those rows"
            )
        median = float(np.median(values))
        chosen = values > median  # "a score above the sample's median score"
        n_at_median = int((values == median).sum())
    else:
        chosen = _decisions(frame, selected, positive_label, favorable_prediction)
    chosen = np.asarray(chosen, dtype=np.int64)

    settings = {"bootstrap": bootstrap, "confidence": confidence, "random_state": random_state,
                "min_share": min_share}
    attrs = []
    for key, col, title in (("sex", sex, "Sex"), ("race", race, "Race/ethnicity")):
        if col is not None:
            codes, groups = factorize(_get(frame, col))
            attrs.append((key, title, np.asarray(codes, dtype=np.int64),
                          [str(g) for g in groups]))
    seeds = np.random.SeedSequence(random_state).spawn(3)
    parts = [_part(key, title, names, codes, chosen, n_total, settings,
                   np.random.default_rng(seeds[i]))
             for i, (key, title, codes, names) in enumerate(attrs)]
    if len(attrs) == 2:
        (_, _, a, a_names), (_, _, b, b_names) = attrs
        joint = np.where((a >= 0) & (b >= 0), a * len(b_names) + b, -1)
        names = [f"{x}{JOINT_SEPARATOR}{y}" for x in a_names for y in b_names]
        parts.append(_part("intersection", "Intersection of sex and race/ethnicity", names,
                           joint, chosen, n_total, settings, np.random.default_rng(seeds[2])))
    return LL144Table(
        basis=SCORING if score is not None else SELECTION, n_rows=n_total,
        columns={k: v for k, v in (("sex", sex), ("race", race)) if v is not None},
        parts=parts, min_share=min_share, median_score=median, n_at_median=n_at_median,
        settings=settings,
    )
