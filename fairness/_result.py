"""``AuditResult``: the audit's data and its views (dict, tidy frame, markdown, HTML)."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from ._text import escape_html, escape_markdown, format_estimate

# The metrics shown in the compact tables; every metric is in the data.
TABLE_METRICS = ("selection_rate", "base_rate", "tpr", "fpr", "ppv", "accuracy")
PERCENT_METRICS = {"selection_rate", "base_rate", "tpr", "fpr", "tnr", "fnr", "ppv", "npv",
                   "fdr", "false_omission_rate", "accuracy", "balanced_accuracy"}


class AuditResult:
    """The result of :func:`fairness.audit`.

    ``to_dict()`` is the ``audit.json`` document; ``groups``, ``disparities``,
    ``summary`` and ``cross_check`` are its parts.
    """

    def __init__(self, data: dict):
        self._data = data

    @property
    def groups(self) -> list[dict]:
        return self._data["groups"]

    @property
    def disparities(self) -> list[dict]:
        return self._data["disparities"]

    @property
    def summary(self) -> dict:
        return self._data["summary"]

    @property
    def cross_check(self) -> dict | None:
        return self._data["cross_check"]

    @property
    def warnings(self) -> list[str]:
        return self._data["warnings"]

    def group(self, attribute: str, name: str) -> dict:
        for g in self.groups:
            if g["attribute"] == attribute and g["group"] == name:
                return g
        raise KeyError(f"no group {name!r} in attribute {attribute!r}")

    def disparity(self, attribute: str, metric: str, group: str) -> dict:
        for d in self.disparities:
            if (d["attribute"], d["metric"], d["group"]) == (attribute, metric, group):
                return d
        raise KeyError(f"no disparity of {metric!r} for {group!r} in {attribute!r}")

    def to_dict(self) -> dict:
        """The JSON-safe document (the shape of ``audit.json``)."""
        return json.loads(json.dumps(self._data, allow_nan=False))

    def to_json(self) -> str:
        return json.dumps(self._data, indent=2, sort_keys=True, allow_nan=False) + "\n"

    def to_frame(self) -> pd.DataFrame:
        """One row per (attribute, group, metric, kind): tidy, for plotting or filtering."""
        rows: list[dict[str, Any]] = []
        for g in self.groups:
            for m, e in g["metrics"].items():
                rows.append({"attribute": g["attribute"], "group": g["group"], "metric": m,
                             "kind": "value", "reference": None, "n": g["n"], **_flat(e)})
            rows.append({"attribute": g["attribute"], "group": g["group"],
                         "metric": "impact_ratio", "kind": "value", "reference": None,
                         "n": g["n"], **_flat(g["impact_ratio"])})
        for d in self.disparities:
            for kind in ("difference", "ratio"):
                rows.append({"attribute": d["attribute"], "group": d["group"],
                             "metric": d["metric"], "kind": kind, "reference": d["reference"],
                             "n": None, **_flat(d[kind])})
        return pd.DataFrame(rows)

    def to_markdown(self) -> str:
        d = self._data
        lines = [
            "# Bias audit",
            "",
            f"{d['n_rows']:,} rows audited ({d['n_dropped']:,} dropped); positive label "
            f"`{escape_markdown(d['positive_label'])}`; "
            f"{d['settings']['bootstrap']:,} bootstrap replicates, "
            f"{d['settings']['confidence']:.0%} intervals.",
            "",
        ]
        for attr in d["attributes"]:
            lines += [f"## {escape_markdown(attr)}", ""]
            lines += group_table_markdown([g for g in d["groups"] if g["attribute"] == attr])
            s = d["summary"]["by_attribute"][attr]
            lines += ["", f"Reference group: {escape_markdown(s['reference'])}.", ""]
            lines += ["| Summary measure | Value [interval] |", "|---|---|"]
            for key in ("demographic_parity_difference", "demographic_parity_ratio",
                        "equalized_odds_difference", "equalized_odds_ratio",
                        "equal_opportunity_difference"):
                lines.append(f"| {key.replace('_', ' ')} | {format_estimate(s[key])} |")
            lines.append("")
        o = d["summary"]["overall"]
        lines += ["## Whole population", "",
                  f"Theil index: {format_estimate(o['theil_index'])}; generalized entropy "
                  f"index (α = 2): {format_estimate(o['generalized_entropy_index'])}.", ""]
        if d["flags"]:
            lines += ["## Flags", ""]
            for f in d["flags"]:
                lines.append(
                    f"- {escape_markdown(f['attribute'])} = {escape_markdown(f['group'])}: "
                    f"impact ratio {f['impact_ratio']:.2f}, under the {f['threshold']:g} "
                    "(four-fifths) threshold"
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
            lines += ["## Warnings", ""] + [f"- {escape_markdown(w)}" for w in d["warnings"]]
            lines.append("")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        d = self._data
        head = "".join(f"<th>{escape_html(h)}</th>" for h in
                       ["attribute", "group", "n", *TABLE_METRICS, "impact ratio", "warnings"])
        body = []
        for g in d["groups"]:
            cells = [escape_html(g["attribute"]), escape_html(g["group"]), f"{g['n']:,}"]
            cells += [escape_html(format_estimate(g["metrics"][m], m in PERCENT_METRICS))
                      for m in TABLE_METRICS]
            cells.append(escape_html(format_estimate(g["impact_ratio"])))
            cells.append(escape_html("; ".join(g["warnings"])))
            body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        return (f"<p>Bias audit of {d['n_rows']:,} rows, {d['settings']['confidence']:.0%} "
                f"bootstrap intervals.</p><table><thead><tr>{head}</tr></thead><tbody>"
                + "".join(body) + "</tbody></table>")

    def __repr__(self) -> str:
        return (f"AuditResult(n_rows={self._data['n_rows']}, "
                f"attributes={self._data['attributes']}, flags={len(self._data['flags'])})")


def _flat(e: dict) -> dict:
    return {"value": e.get("value"), "ci_low": e.get("ci_low"), "ci_high": e.get("ci_high")}


def group_notes(g: dict) -> list[str]:
    """What a reader must see beside a group's numbers: reference, flags, small, undefined."""
    notes = []
    if g["is_reference"]:
        notes.append("reference")
    if "four_fifths" in g["flags"]:
        notes.append("**below four-fifths**")
    if g["small"]:
        notes.append("small group")
    undefined = [m for m, e in g["metrics"].items() if e.get("value") is None]
    if undefined:
        notes.append("undefined: " + ", ".join(undefined))
    return notes


def group_table_markdown(groups: list[dict], metrics=TABLE_METRICS) -> list[str]:
    """The per-group table: counts, metrics with intervals, impact ratio and warnings."""
    header = ["Group", "n", *[m.replace("_", " ") for m in metrics], "impact ratio", "notes"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for g in groups:
        notes = group_notes(g)
        row = [escape_markdown(g["group"]), f"{g['n']:,}"]
        row += [format_estimate(g["metrics"][m], m in PERCENT_METRICS) for m in metrics]
        row += [format_estimate(g["impact_ratio"]), "; ".join(notes)]
        lines.append("| " + " | ".join(row) + " |")
    return lines
