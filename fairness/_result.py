"""``AuditResult``: the audit's data and its views (dict, tidy frames, markdown, HTML)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ._estimate import Estimate
from ._format import escape_html, escape_markdown, format_estimate, format_number
from ._metrics import METRICS

# The metrics shown in the compact tables; every metric is in the data.
TABLE_METRICS = ("selection_rate", "base_rate", "tpr", "fpr", "ppv", "accuracy")


def metric_kind(metric: str) -> str:
    """How to print a metric's value: ``"percent"`` for rates, ``"number"`` otherwise."""
    m = METRICS.get(metric)
    return "percent" if m is not None and m.is_rate else "number"


def difference_kind(metric: str) -> str:
    """How to print a difference of a metric: ``"points"`` for rates, else ``"number"``."""
    return "points" if metric_kind(metric) == "percent" else "number"


@dataclass(frozen=True)
class Gap:
    """One group's metric against its attribute's reference group.

    Attributes
    ----------
    attribute, metric, group, reference : str
        What is compared with what.
    difference, ratio : Estimate
        ``group - reference`` and ``group / reference``, with intervals.
    group_value, reference_value : Estimate
        The metric of each side.
    """

    attribute: str
    metric: str
    group: str
    reference: str
    difference: Estimate
    ratio: Estimate
    group_value: Estimate
    reference_value: Estimate

    def to_dict(self) -> dict[str, Any]:
        return {"attribute": self.attribute, "metric": self.metric, "group": self.group,
                "reference": self.reference, "difference": self.difference.to_dict(),
                "ratio": self.ratio.to_dict(), "group_value": self.group_value.to_dict(),
                "reference_value": self.reference_value.to_dict()}


class AuditResult:
    """The result of :func:`fairness.audit`.

    ``to_dict()`` is the ``audit.json`` document; ``groups``, ``disparities``,
    ``summary`` and ``cross_check`` are its parts; :meth:`groups_of`,
    :meth:`gap` and :attr:`by_group` are the usual ways into it.

    Examples
    --------
    >>> import pandas as pd
    >>> from fairness import audit
    >>> df = pd.DataFrame({"y": [1, 0, 1, 0, 1, 0, 1, 0], "pred": [1, 0, 0, 0, 1, 1, 1, 1],
    ...                    "sex": ["f"] * 4 + ["m"] * 4})
    >>> r = audit(df, label="y", prediction="pred", sensitive="sex", bootstrap=200)
    >>> gap = r.gap("sex", "selection_rate", "m")  # the reference: the largest, or the first
    >>> gap.reference, gap.difference.value
    ('f', 0.75)
    >>> float(r.by_group.loc[("sex", "m"), "selection_rate"])
    1.0
    """

    def __init__(self, data: dict):
        self._data = data

    @property
    def groups(self) -> list[dict]:
        """Every group of every attribute: counts, metrics with intervals, flags."""
        return self._data["groups"]

    @property
    def disparities(self) -> list[dict]:
        """Every (attribute, metric, group) difference and ratio against the reference."""
        return self._data["disparities"]

    @property
    def summary(self) -> dict:
        """``overall`` (the whole population) and ``by_attribute`` summaries."""
        return self._data["summary"]

    @property
    def cross_check(self) -> dict | None:
        """The agreement with fairlearn and aif360, or None when not run."""
        return self._data["cross_check"]

    @property
    def warnings(self) -> list[str]:
        return self._data["warnings"]

    @property
    def attributes(self) -> list[str]:
        """The audited attributes, the intersection last when asked for."""
        return self._data["attributes"]

    @property
    def favorable_prediction(self) -> int:
        """1 when the positive prediction is favourable, 0 when it is a burden."""
        return self._data["favorable_prediction"]

    def groups_of(self, attribute: str) -> list[dict]:
        """The groups of one attribute, in the audit's order.

        Raises
        ------
        KeyError
            For an attribute that was not audited (the message lists those that were).
        """
        if attribute not in self.attributes:
            raise KeyError(f"no attribute {attribute!r}; audited: {', '.join(self.attributes)}")
        return [g for g in self.groups if g["attribute"] == attribute]

    def reference(self, attribute: str) -> str:
        """The reference group of an attribute."""
        return self.summary["by_attribute"][attribute]["reference"]

    def group(self, attribute: str, name: str) -> dict:
        """One group's entry (``KeyError`` if absent)."""
        for g in self.groups:
            if g["attribute"] == attribute and g["group"] == name:
                return g
        raise KeyError(f"no group {name!r} in attribute {attribute!r}")

    def disparity(self, attribute: str, metric: str, group: str) -> dict:
        """One disparity entry (``KeyError`` if absent)."""
        for d in self.disparities:
            if (d["attribute"], d["metric"], d["group"]) == (attribute, metric, group):
                return d
        raise KeyError(f"no disparity of {metric!r} for {group!r} in {attribute!r}")

    def gap(self, attribute: str, metric: str, group: str) -> Gap:
        """``metric`` of ``group`` against the attribute's reference, as a :class:`Gap`.

        Raises
        ------
        KeyError
            When the group is absent or is the reference itself.
        """
        d = self.disparity(attribute, metric, group)
        return Gap(attribute, metric, group, d["reference"],
                   Estimate.from_dict(d["difference"]), Estimate.from_dict(d["ratio"]),
                   Estimate.from_dict(self.group(attribute, group)["metrics"][metric]),
                   Estimate.from_dict(self.group(attribute, d["reference"])["metrics"][metric]))

    def overall(self, metric: str) -> Estimate:
        """A metric of the whole population."""
        return Estimate.from_dict(self.summary["overall"]["metrics"][metric])

    @property
    def by_group(self) -> pd.DataFrame:
        """Each group's metric values (no intervals), indexed by (attribute, group).

        Like fairlearn's ``MetricFrame.by_group``; an undefined metric is NaN here.
        """
        rows, index = [], []
        for g in self.groups:
            index.append((g["attribute"], g["group"]))
            rows.append({"n": g["n"], **{m: e["value"] for m, e in g["metrics"].items()},
                         "favorable_rate": g["favorable_rate"]["value"],
                         "impact_ratio": g["impact_ratio"]["value"]})
        frame = pd.DataFrame(rows, index=pd.MultiIndex.from_tuples(index,
                                                                    names=["attribute", "group"]))
        return frame.astype({c: float for c in frame.columns if c != "n"})

    def to_dict(self) -> dict:
        """The JSON-safe document (the shape of ``audit.json``)."""
        return json.loads(json.dumps(self._data, allow_nan=False))

    def to_json(self) -> str:
        return json.dumps(self._data, indent=2, sort_keys=True, allow_nan=False) + "\n"

    def to_frame(self) -> pd.DataFrame:
        """One row per (attribute, group, metric, kind): tidy, for plotting or filtering."""
        rows: list[dict[str, Any]] = []
        for g in self.groups:
            for m, e in [*g["metrics"].items(), ("favorable_rate", g["favorable_rate"]),
                         ("impact_ratio", g["impact_ratio"])]:
                rows.append({"attribute": g["attribute"], "group": g["group"], "metric": m,
                             "kind": "value", "reference": None, "n": g["n"], **_flat(e)})
        for d in self.disparities:
            for kind in ("difference", "ratio"):
                rows.append({"attribute": d["attribute"], "group": d["group"],
                             "metric": d["metric"], "kind": kind, "reference": d["reference"],
                             "n": None, **_flat(d[kind])})
        return pd.DataFrame(rows)

    def to_markdown(self, suppress_below: int | None = None) -> str:
        """The audit as markdown tables (``audit.md``); every user string escaped.

        Parameters
        ----------
        suppress_below : int, optional
            For publication: every number of a group of fewer rows (its
            count, metrics, impact ratio, and the between-group summaries of
            its attribute) reads ``suppressed (n < N)``; see :func:`suppression`.
        """
        d = self._data
        hidden = suppression(d, suppress_below)
        lines = [
            "# Bias audit",
            "",
            f"{d['n_rows']:,} rows audited ({d['n_dropped']:,} dropped); positive label "
            f"`{escape_markdown(d['positive_label'])}`; {escape_markdown(d['favorable_outcome'])}"
            f". {d['settings']['bootstrap']:,} bootstrap replicates, "
            f"{d['settings']['confidence']:.0%} intervals.",
            "",
        ]
        if hidden:
            lines += [f"**For publication:** {hidden['note']}", ""]
        for attr in d["attributes"]:
            lines += [f"## {escape_markdown(attr)}", ""]
            lines += group_table_markdown(self.groups_of(attr), suppress_below=suppress_below)
            s = d["summary"]["by_attribute"][attr]
            den = s["impact_ratio_denominator"]
            lines += ["", f"Reference group: {escape_markdown(s['reference'])}. Impact ratios "
                      f"divide by {escape_markdown(den['group'])}'s favourable rate "
                      f"({escape_markdown(den['rule'])}).", ""]
            lines += ["| Summary measure | Value [interval] |", "|---|---|"]
            for key in ("demographic_parity_difference", "demographic_parity_ratio",
                        "equalized_odds_difference", "equalized_odds_ratio",
                        "equal_opportunity_difference"):
                value = (hidden["summary_text"] if hidden and attr in hidden["attributes"]
                         else format_estimate(s[key]))
                lines.append(f"| {key.replace('_', ' ')} | {value} |")
            lines.append("")
        o = d["summary"]["overall"]
        lines += ["## Whole population", "",
                  f"Theil index: {format_estimate(o['theil_index'])}; generalized entropy "
                  f"index (α = 2): {format_estimate(o['generalized_entropy_index'])}.", ""]
        if d["flags"]:
            lines += ["## Flags", ""]
            for f in d["flags"]:
                ratio = (hidden["text"] if hidden and is_suppressed(hidden, f["attribute"],
                                                                     f["group"])
                         else format_number(f['impact_ratio']))
                lines.append(
                    f"- {escape_markdown(f['attribute'])} = {escape_markdown(f['group'])}: "
                    f"impact ratio {ratio}, under the {f['threshold']:g} "
                    "(four-fifths) threshold" + (" (a small group)" if f.get("small") else "")
                )
            lines.append("")
        cc = d["cross_check"]
        if cc:
            lines += ["## Cross-check", "",
                      f"{cc['n_compared']} values recomputed with "
                      f"{', '.join(cc['libraries'])}; largest absolute difference "
                      f"{cc['max_abs_diff']:.1e}; "
                      + ("all agree." if cc["all_agree"] else "**some disagree**: see audit.json."),
                      ""]
        if d["warnings"]:
            warnings = suppressed_warnings(d, hidden) if hidden else d["warnings"]
            lines += ["## Warnings", ""] + [f"- {escape_markdown(w)}" for w in warnings]
            lines.append("")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        d = self._data
        head = "".join(f"<th>{escape_html(h)}</th>" for h in
                       ["attribute", "group", "n", *TABLE_METRICS, "impact ratio", "warnings"])
        body = []
        for g in d["groups"]:
            cells = [escape_html(g["attribute"]), escape_html(g["group"]), f"{g['n']:,}"]
            cells += [escape_html(format_estimate(g["metrics"][m], metric_kind(m)))
                      for m in TABLE_METRICS]
            cells.append(escape_html(format_estimate(g["impact_ratio"], "ratio")))
            cells.append(escape_html("; ".join(g["warnings"])))
            body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        return (f"<p>Bias audit of {d['n_rows']:,} rows, {d['settings']['confidence']:.0%} "
                f"intervals.</p><table><thead><tr>{head}</tr></thead><tbody>"
                + "".join(body) + "</tbody></table>")

    def __repr__(self) -> str:
        return (f"AuditResult(n_rows={self._data['n_rows']}, "
                f"attributes={self._data['attributes']}, flags={len(self._data['flags'])})")


def _flat(e: dict) -> dict:
    return {"value": e.get("value"), "ci_low": e.get("ci_low"), "ci_high": e.get("ci_high")}


def group_notes(g: dict, suppressed: bool = False) -> list[str]:
    """What a reader must see beside a group's numbers: reference, flags, small, undefined.

    A ``suppressed`` group's notes leave out which metrics are undefined (that
    tells a count of zero).
    """
    notes = []
    if g["is_reference"]:
        notes.append("reference")
    if "four_fifths" in g["flags"]:
        notes.append("**below four-fifths**")
    if g["small"]:
        notes.append("small group")
    undefined = [m for m, e in g["metrics"].items() if e.get("value") is None]
    if undefined and not suppressed:
        notes.append("undefined: " + ", ".join(undefined))
    return notes


def suppressed_text(below: int) -> str:
    """What stands in place of a suppressed number: ``suppressed (n < 10)``."""
    return f"suppressed (n < {below})"


def suppression(data: dict, below: int | None) -> dict | None:
    """Which numbers a published audit hides: the groups of fewer than ``below`` rows.

    Every number of such a group (its count, metrics, favourable rate and
    impact ratio) is replaced by ``suppressed (n < N)`` in ``audit.md`` and
    ``audit.html``, and so are the between-group summaries of its attribute
    (a maximum minus a minimum can give a suppressed group's rate away).
    ``audit.json`` keeps every number and records this.

    Parameters
    ----------
    data : dict
        The ``audit.json`` document.
    below : int or None
        The threshold (``None`` or 0: nothing is suppressed).

    Returns
    -------
    dict or None
        ``below``, ``groups`` (``{"attribute", "group"}`` of each group
        suppressed), ``attributes`` (those whose summaries are suppressed),
        ``text``, ``summary_text`` and ``note`` (the words shown); ``None``
        when ``below`` is not set.

    Examples
    --------
    >>> data = {"groups": [{"attribute": "sex", "group": "x", "n": 4},
    ...                    {"attribute": "sex", "group": "f", "n": 90}]}
    >>> suppression(data, 10)["groups"]
    [{'attribute': 'sex', 'group': 'x'}]
    """
    if not below:
        return None
    groups = [{"attribute": g["attribute"], "group": g["group"]} for g in data["groups"]
              if g["n"] < below]
    attributes = list(dict.fromkeys(g["attribute"] for g in groups))
    text = suppressed_text(below)
    return {
        "below": int(below), "groups": groups, "attributes": attributes, "text": text,
        "summary_text": f"suppressed (a group has n < {below})",
        "applies_to": ["audit.md", "audit.html"],
        "note": (f"every number of a group of fewer than {below:,} rows reads "
                 f"\u201c{text}\u201d, and so do the between-group summaries of its attribute "
                 f"({len(groups):,} group(s) suppressed). audit.json keeps every number: do not "
                 "publish it."),
    }


def is_suppressed(hidden: dict | None, attribute: str, group: str) -> bool:
    """Whether ``group`` of ``attribute`` is among the suppressed (see :func:`suppression`)."""
    return bool(hidden) and {"attribute": attribute, "group": group} in hidden["groups"]


def suppressed_warnings(data: dict, hidden: dict) -> list[str]:
    """The audit's warnings with the row counts of suppressed groups taken out."""
    out = []
    for w in data["warnings"]:
        for g in data["groups"]:
            if is_suppressed(hidden, g["attribute"], g["group"]):
                w = w.replace(f"group {g['group']!r} of {g['attribute']!r} is too small to "
                              f"trust ({g['n']} rows)",
                              f"group {g['group']!r} of {g['attribute']!r} is too small to "
                              f"trust ({hidden['text']})")
        out.append(w)
    return out


def group_table_markdown(groups: list[dict], metrics=TABLE_METRICS,
                         suppress_below: int | None = None) -> list[str]:
    """The per-group table: counts, metrics with intervals, impact ratio and notes.

    A group of fewer than ``suppress_below`` rows shows ``suppressed (n < N)``
    in place of each number.
    """
    header = ["Group", "n", *[m.replace("_", " ") for m in metrics], "favourable rate",
              "impact ratio", "notes"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for g in groups:
        hide = bool(suppress_below) and g["n"] < suppress_below
        if hide:
            row = [escape_markdown(g["group"])] + [suppressed_text(suppress_below)] * (
                len(metrics) + 3)
        else:
            row = [escape_markdown(g["group"]), f"{g['n']:,}"]
            row += [format_estimate(g["metrics"][m], metric_kind(m)) for m in metrics]
            row += [format_estimate(g["favorable_rate"], "percent"),
                    format_estimate(g["impact_ratio"], "ratio")]
        row.append("; ".join(group_notes(g, suppressed=hide)))
        lines.append("| " + " | ".join(row) + " |")
    return lines
