"""Reports to hand over: ``audit.html``, and ``compare.md`` / ``compare.html``.

Each HTML report is one self-contained file: inline CSS, inline SVG figures
(the site's dot plots, drawn by :mod:`reports._figures`), no script and no
request to anywhere, printable to PDF from a browser. They are rendered with
Jinja2 templates (``pages/templates/*.html.j2``) in an environment with HTML
autoescaping on, so every user string (a group or column name) is escaped
wherever it lands; the SVG is the one thing marked safe, and matplotlib
escapes the text it writes into it. As on the site, the templates hold every
sentence and this module hands them numbers and names.
"""

from __future__ import annotations

import functools
import io
import re
from typing import Any

import jinja2
from markupsafe import Markup

from fairness import (
    METRICS,
    TABLE_METRICS,
    difference_kind,
    escape_html,
    format_estimate,
    format_number,
    format_prose,
    format_share,
    is_suppressed,
    metric_kind,
    suppressed_warnings,
    suppression,
)

from ._env import cap, environment, metric_label, new_environment

FIGURE_METRICS = ("selection_rate", "tpr", "fpr")
FINDING_METRICS = ("selection_rate", "tpr", "fpr", "ppv")
SUMMARY_KEYS = ("demographic_parity_difference", "demographic_parity_ratio",
                "equalized_odds_difference", "equalized_odds_ratio",
                "equal_opportunity_difference")
MAX_FIGURE_GROUPS = 40
_XML_HEAD = re.compile(r"^\s*<\?xml[^>]*\?>\s*(<!DOCTYPE[^>]*>\s*)?", re.S)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)
_IDS = re.compile(r'id="([^"]+)"')


def _est_unit(e: Any, kind: str = "points", unit: str = "points") -> str:
    """``4 points [1, 7]``: an estimate with its unit before the interval."""
    text = format_estimate(e, kind, nbsp=True)
    value, sep, rest = text.partition(" [")
    return f"{value} {unit}{sep}{rest}" if unit else text


def _negate(e: dict | None) -> dict | None:
    if not e or e.get("value") is None:
        return e
    lo, hi = e.get("ci_low"), e.get("ci_high")
    return {**e, "value": -e["value"], "ci_low": None if hi is None else -hi,
            "ci_high": None if lo is None else -lo}


@functools.cache
def html_environment() -> jinja2.Environment:
    """The templates' environment for HTML: autoescape on, the pages' number filters."""
    env = new_environment(autoescape=True)
    _add_filters(env)
    return env


def _add_filters(env: jinja2.Environment) -> None:
    env.filters.update({
        "est": lambda e, kind="number": format_estimate(e, kind, nbsp=True),
        "est_unit": _est_unit, "negate": _negate,
        "prose": format_prose, "number": format_number, "pct": format_share,
        "metric_label": metric_label, "cap": cap, "kind": metric_kind, "dkind": difference_kind,
        "summary_label": lambda key: key.replace("_", " "),
    })


@functools.cache
def _markdown_environment() -> jinja2.Environment:
    """The pages' markdown environment (no autoescape; ``md`` escapes) with these filters."""
    env = new_environment(autoescape=False)
    env.filters.update(environment().filters)
    _add_filters(env)
    return env


# --------------------------------------------------------------------------- figures


def _svg_text(fig: Any) -> str:
    import matplotlib.pyplot as plt

    from ._figures import _RC

    buf = io.StringIO()
    with plt.rc_context(_RC):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None},
                    bbox_inches="tight", pad_inches=0.08)
    plt.close(fig)
    return buf.getvalue()


def inline_svg(fig: Any, prefix: str, title: str, description: str) -> Markup:
    """A matplotlib figure as SVG to put inside HTML, with its ``<title>`` and ``<desc>``.

    The XML prologue and metadata go; every ``id`` gets ``prefix`` so that
    several figures in one page cannot share one; ``role="img"`` and
    ``aria-labelledby`` make the title and description what a screen reader
    reads. Matplotlib has escaped the text it wrote; ``title`` and
    ``description`` are escaped here.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure (closed afterwards).
    prefix : str
        Letters, digits and hyphens, unique in the page.
    title, description : str
        The figure's accessible name and description (user strings allowed).

    Returns
    -------
    markupsafe.Markup
    """
    svg = _METADATA.sub("", _XML_HEAD.sub("", _svg_text(fig)))
    ids = sorted(set(_IDS.findall(svg)), key=len, reverse=True)
    for i in ids:
        svg = (svg.replace(f'id="{i}"', f'id="{prefix}-{i}"')
               .replace(f"url(#{i})", f"url(#{prefix}-{i})")
               .replace(f'href="#{i}"', f'href="#{prefix}-{i}"'))
    head = (f'<svg role="img" aria-labelledby="{prefix}-title {prefix}-desc" '
            f'class="figure-svg"')
    svg = svg.replace("<svg", head, 1)
    close = svg.index(">", svg.index("<svg")) + 1
    svg = (svg[:close] + f'<title id="{prefix}-title">{escape_html(title)}</title>'
           f'<desc id="{prefix}-desc">{escape_html(description)}</desc>' + svg[close:])
    return Markup(svg.strip())


def _figure_rows(data: dict, attr: str, metrics: tuple[str, ...], hidden: dict | None,
                 differences: dict | None = None) -> list[dict]:
    """The dot plot's rows: each non-reference, non-suppressed group's differences."""
    disp = differences if differences is not None else {
        (d["attribute"], d["metric"], d["group"]): d["difference"] for d in data["disparities"]}
    rows = []
    for g in data["groups"]:
        if g["attribute"] != attr or g["is_reference"] or is_suppressed(hidden, attr,
                                                                        g["group"]):
            continue
        rows.append({"group": g["group"], "n": g["n"], "small": g["small"],
                     "differences": {m: disp.get((attr, m, g["group"])) for m in metrics}})
    rows.sort(key=lambda r: -r["n"])
    return rows[:MAX_FIGURE_GROUPS]


def _audit_figure(data: dict, attr: str, index: int, hidden: dict | None) -> dict | None:
    from ._figures import disparity_figure

    reference = data["summary"]["by_attribute"][attr]["reference"]
    if is_suppressed(hidden, attr, reference):
        return None
    rows = _figure_rows(data, attr, FIGURE_METRICS, hidden)
    if not rows:
        return None
    labels = [(m, cap(metric_label(m))) for m in FIGURE_METRICS]
    title = f"By {attr}: difference from {reference}"
    parts = "; ".join(
        f"{r['group']} {format_estimate(r['differences']['selection_rate'], 'points')}"
        for r in rows)
    description = (f"Dot plot of each {attr} group's difference from {reference} (the "
                   "vertical line at zero) in selection rate, true positive rate and false "
                   "positive rate, in percentage points, with 95% intervals; hollow markers "
                   f"are groups too small to trust. Selection rate: {parts}.")
    svg = inline_svg(disparity_figure(rows, labels, reference, title), f"fig-{index}", title,
                     description)
    return {"svg": svg, "title": title, "description": description,
            "truncated": len([g for g in data["groups"] if g["attribute"] == attr]) - 1
            > MAX_FIGURE_GROUPS}


# --------------------------------------------------------------------------- audit.html


def _findings(data: dict, hidden: dict | None) -> list[dict]:
    """Per attribute: the largest gap of each key metric whose interval excludes zero."""
    out = []
    for attr in data["attributes"]:
        s = data["summary"]["by_attribute"][attr]
        ref = s["reference"]
        gaps = []
        if not is_suppressed(hidden, attr, ref):
            for m in FINDING_METRICS:
                found = [d for d in data["disparities"]
                         if d["attribute"] == attr and d["metric"] == m
                         and not is_suppressed(hidden, attr, d["group"])
                         and d["difference"].get("ci_low") is not None
                         and (d["difference"]["ci_low"] > 0 or d["difference"]["ci_high"] < 0)]
                if found:
                    d = max(found, key=lambda d: abs(d["difference"]["value"]))
                    values = {g["group"]: g["metrics"][m] for g in data["groups"]
                              if g["attribute"] == attr}
                    gaps.append({"metric": m, "group": d["group"], "reference": ref,
                                 "group_value": values[d["group"]],
                                 "reference_value": values[ref],
                                 "difference": d["difference"], "ratio": d["ratio"],
                                 "lower": d["difference"]["value"] < 0,
                                 "magnitude": _negate(d["difference"])
                                 if d["difference"]["value"] < 0 else d["difference"]})
        flags = [f for f in data["flags"] if f["attribute"] == attr]
        flagged = [{"group": f["group"], "small": f.get("small"),
                    "suppressed": is_suppressed(hidden, attr, f["group"]),
                    "impact_ratio": next(g["impact_ratio"] for g in data["groups"]
                                         if g["attribute"] == attr and g["group"] == f["group"])}
                   for f in flags]
        out.append({"attribute": attr, "reference": ref, "gaps": gaps, "flags": flagged,
                    "reference_suppressed": is_suppressed(hidden, attr, ref)})
    return out


def _ll144_view(table: dict | None, suppress_below: int | None) -> dict | None:
    if not table:
        return None
    parts = []
    for part in table["parts"]:
        rows = [{**r, "suppressed": bool(suppress_below) and r["n"] < suppress_below}
                for r in part["rows"]]
        shown = [r for r in rows if not r["suppressed"] and not r["excludable"]
                 and r["impact_ratio"].get("value") is not None]
        lowest = min(shown, key=lambda r: r["impact_ratio"]["value"]) if shown else None
        parts.append({**part, "rows": rows, "lowest": lowest})
    return {**table, "parts": parts}


def audit_html(data: dict, *, suppress_below: int | None = None, title: str = "Bias audit",
               source: str | None = None) -> str:
    """``audit.html``: the audit as one self-contained page, findings in plain words first.

    Parameters
    ----------
    data : dict
        The ``audit.json`` document (with ``ll144`` when the table was asked for).
    suppress_below : int, optional
        Replace every number of a group of fewer rows by ``suppressed (n < N)``
        (see :func:`fairness._result.suppression`).
    title : str
        The page's title.
    source : str, optional
        The file audited, as the reader should see it.

    Returns
    -------
    str
        The HTML document.
    """
    hidden = suppression(data, suppress_below)
    views = []
    for i, attr in enumerate(data["attributes"]):
        groups = []
        for g in data["groups"]:
            if g["attribute"] != attr:
                continue
            hide = is_suppressed(hidden, attr, g["group"])
            undefined = [m for m, e in g["metrics"].items() if e.get("value") is None]
            groups.append({"g": g, "suppressed": hide,
                           "undefined": [] if hide else undefined,
                           "cells": [(g["metrics"][m], metric_kind(m)) for m in TABLE_METRICS]})
        views.append({"attribute": attr, "summary": data["summary"]["by_attribute"][attr],
                      "groups": groups, "figure": _audit_figure(data, attr, i + 1, hidden),
                      "summaries_suppressed": bool(hidden) and attr in hidden["attributes"]})
    warnings = suppressed_warnings(data, hidden) if hidden else data["warnings"]
    return html_environment().get_template("audit.html.j2").render(
        d=data, title=title, source=source, views=views, findings=_findings(data, hidden),
        hidden=hidden, table_metrics=TABLE_METRICS, summary_keys=SUMMARY_KEYS,
        ll144=_ll144_view(data.get("ll144"), suppress_below), warnings=warnings,
    )


# --------------------------------------------------------------------------- compare


def _direction(d: dict) -> str | None:
    before, after = d["before"], d["after"]
    if before is None or after is None:
        return None
    if before * after < 0:
        return "reversed"
    return "narrowed" if abs(after) < abs(before) else "widened"


def compare_view(comparison: dict) -> dict:
    """What the compare templates need: sentences' parts and table rows, per attribute."""
    sentences, attrs = [], []
    order = {m: i for i, m in enumerate((*FINDING_METRICS, *METRICS))}
    for attr in comparison["attributes"]:
        info = comparison["by_attribute"][attr]
        summaries = [s for s in comparison["summaries"] if s["attribute"] == attr]
        disparities = sorted((d for d in comparison["disparities"] if d["attribute"] == attr),
                             key=lambda d: (order[d["metric"]], d["group"]))
        groups = sorted((g for g in comparison["groups"] if g["attribute"] == attr),
                        key=lambda g: (info["groups"].index(g["group"]), order[g["metric"]]))
        for s in summaries:
            if s["marked"]:
                sentences.append({"type": "summary", "attribute": attr, "s": s,
                                  "kind": "points" if s["kind"] == "difference" and all(
                                      metric_kind(m) == "percent" for m in s["metrics"])
                                  else "number",
                                  "narrowed": s["change"]["value"] < 0
                                  if s["kind"] == "difference" else s["change"]["value"] > 0})
        for d in disparities:
            if d["marked"]:
                direction = _direction(d)
                amount = d["gap_change"]
                if direction == "narrowed":
                    amount = _negate(amount)
                sentences.append({"type": "gap", "attribute": attr, "d": d,
                                  "direction": direction, "amount": amount,
                                  "kind": difference_kind(d["metric"])})
        attrs.append({"attribute": attr, "info": info, "summaries": summaries,
                      "disparities": disparities, "groups": groups,
                      "n_marked_groups": sum(g["marked"] for g in groups)})
    return {"c": comparison, "sentences": sentences, "attrs": attrs,
            "n_marked_groups": sum(g["marked"] for g in comparison["groups"])}


def _compare_figure(comparison: dict, attr: str, index: int) -> dict | None:
    from ._figures import disparity_figure

    info = comparison["by_attribute"][attr]
    ref = info["reference"]
    changes = {(d["attribute"], d["metric"], d["group"]): d["change"]
               for d in comparison["disparities"]}
    n_after = {d["group"]: d["n_after"] for d in comparison["disparities"]
               if d["attribute"] == attr}
    rows = [{"group": g, "n": n_after[g], "small": False,
             "differences": {m: changes.get((attr, m, g)) for m in FIGURE_METRICS}}
            for g in info["groups"] if g != ref and g in n_after][:MAX_FIGURE_GROUPS]
    if not rows:
        return None
    labels = [(m, cap(metric_label(m))) for m in FIGURE_METRICS]
    title = f"By {attr}: change in each group's difference from {ref}"
    description = (f"Dot plot of the change, from BEFORE to AFTER, of each {attr} group's "
                   f"difference from {ref} in selection rate, true positive rate and false "
                   "positive rate, in percentage points, with 95% intervals; a dot right of "
                   "zero: the group's rate rose relative to the reference's.")
    fig = disparity_figure(rows, labels, ref, title,
                           xlabel=f"change in the difference from {ref} (percentage points; "
                                  "n after)")
    return {"svg": inline_svg(fig, f"fig-{index}", title, description), "title": title,
            "description": description}


def compare_markdown(comparison: dict) -> str:
    """``compare.md``: the summary in words, then every change, user strings escaped."""
    from fairness import escape_markdown

    return _markdown_environment().get_template("compare.md.j2").render(
        name=escape_markdown, **compare_view(comparison)).rstrip() + "\n"


def compare_html(comparison: dict, title: str = "Audit comparison") -> str:
    """``compare.html``: the comparison as one self-contained page."""
    view = compare_view(comparison)
    for i, a in enumerate(view["attrs"]):
        a["figure"] = _compare_figure(comparison, a["attribute"], i + 1)
    return html_environment().get_template("compare.html.j2").render(title=title, name=str,
                                                                    **view)


def compare_sentences(comparison: dict) -> list[str]:
    """The comparison's summary in words, one plain sentence per marked change (terminal)."""
    macro = _markdown_environment().get_template("compare_sentence.j2").module.sentence
    return [" ".join(str(macro(s, str)).split()) for s in compare_view(comparison)["sentences"]]
