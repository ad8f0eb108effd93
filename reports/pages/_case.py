"""A case's page: its record and declaration in, markdown and figure recipes out.

The template ``case.md.j2`` holds every sentence; this module only gathers
what the template needs from the record (never re-computing a metric) and
hands figures to the template as recipes, drawn by the build only when their
data changed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cases import COMMUNICATION, Case, CaseError, module_name
from cases.blocks import Figure, Table, Text
from cases.pages import blocks_for
from fairness import difference_kind, escape_markdown, format_number, metric_kind

from .._env import code, environment, metric_label, safe_id
from ._narrative import print_sources, section_text, shift_headings

TABLE_METRICS = ("selection_rate", "base_rate", "tpr", "fpr", "ppv", "accuracy")
RECORDS_DIR = "reports/records"


@dataclass(frozen=True)
class Context:
    """Where a page is rendered: ``root`` leads to the docs folder (``../`` from
    ``cases/<slug>.md``), ``figures`` to the figures; ``print_mode`` shifts headings
    and numbers each case's sources."""

    root: str = "../"
    figures: str = "figures/"
    print_mode: bool = False


@dataclass
class FigureSpec:
    """A figure a page shows: its file name, a recipe to draw it, and its data's fingerprint."""

    name: str
    kind: str
    args: tuple
    make: Callable[[], Any]

    @property
    def fingerprint(self) -> str:
        data = json.dumps([self.kind, self.args], sort_keys=True, default=_jsonable)
        return hashlib.sha256(data.encode()).hexdigest()


def _jsonable(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj):
        return dataclasses.asdict(obj)
    return str(obj)


@dataclass
class Page:
    """A rendered page: markdown and the figures it refers to."""

    markdown: str
    figures: list[FigureSpec] = field(default_factory=list)


def _recipe(kind: str, *args: Any) -> tuple[str, tuple, Callable[[], Any]]:
    def make():
        from .. import _figures

        return getattr(_figures, kind)(*args)

    return kind, args, make


def group_rows(groups: list[dict]) -> list[dict]:
    return [{"g": g, "cells": [(g["metrics"][m], metric_kind(m)) for m in TABLE_METRICS]}
            for g in groups]


def _audit_views(case: Case, record: dict) -> list[dict]:
    audit = record["audit"]
    metrics = [record["headline"]["metric"], *case.metrics_that_matter]
    have = {d["metric"] for d in audit["disparities"]}
    metrics = [m for m in dict.fromkeys(metrics) if m in have and metric_kind(m) == "percent"]
    disp = {(d["attribute"], d["metric"], d["group"]): d for d in audit["disparities"]}
    views = []
    for i, attr in enumerate(audit["attributes"]):
        groups = [g for g in audit["groups"] if g["attribute"] == attr]
        summary = audit["summary"]["by_attribute"][attr]
        others = [g for g in groups if not g["is_reference"]]
        rows = [{"group": g["group"], "n": g["n"], "small": g["small"],
                 "differences": {m: (disp.get((attr, m, g["group"])) or {}).get("difference")
                                 for m in metrics}} for g in others]
        labels = [(m, metric_label(m)[:1].upper() + metric_label(m)[1:]) for m in metrics]
        views.append({"attribute": attr, "rows": group_rows(groups), "summary": summary,
                      "index": i + 1, "figure_rows": rows, "labels": labels,
                      "first": metrics[0] if metrics else None})
    return views


def _sci(x: float | None) -> str:
    return "—" if x is None else f"{x:.1e}"


def _crosscheck(cc: dict | None, attribute: str) -> dict | None:
    """The cross-check's rows as table cells: per quantity, the disagreements, the headline's."""
    if not cc:
        return None
    by_q: dict[str, dict] = {}
    for r in cc["rows"]:
        q = by_q.setdefault(r["quantity"], {"n": 0, "fl": 0, "aif": 0, "max": 0.0, "ok": True})
        q["n"] += 1
        q["fl"] += r.get("fairlearn") is not None
        q["aif"] += r.get("aif360") is not None
        q["max"] = max(q["max"], r.get("max_abs_diff") or 0.0)
        q["ok"] &= bool(r["agree"])

    def row(r: dict) -> list[str]:
        return [code(r["quantity"]), escape_markdown(r["attribute"]) if r.get("attribute")
                else "overall", escape_markdown(r["group"]) if r.get("group") is not None
                else "—", format_number(r.get("ours")), format_number(r.get("fairlearn")),
                format_number(r.get("aif360")), _sci(r.get("max_abs_diff")),
                escape_markdown(r.get("note") or "")]

    return {
        "max_abs_diff": _sci(cc["max_abs_diff"]),
        "by_quantity": [[code(k), format_number(v["n"]), format_number(v["fl"]),
                         format_number(v["aif"]), _sci(v["max"]), "yes" if v["ok"] else "**no**"]
                        for k, v in by_q.items()],
        "disagreements": [row(r) for r in cc["rows"] if not r["agree"]],
        "headline_rows": [row(r) for r in cc["rows"] if r.get("attribute") in (None, attribute)],
    }


def _mitigation_rows(record: dict) -> dict | None:
    mit = record.get("mitigations")
    if not mit:
        return None
    everything = [mit["baseline"], *mit["entries"]]
    ran = [e for e in everything if not e.get("error")]
    failed = [e for e in everything if e.get("error")]
    for e in failed:
        prefix = f"{e['name']}: "
        e["error_short"] = e["error"][len(prefix):] if e["error"].startswith(prefix) else e["error"]
    return {"attribute": mit["attribute"], "reference": mit["reference"], "ran": ran,
            "failed": failed, "vs_truth": any("vs_truth" in e for e in ran)}


def _flat_tracked(points: list[dict]) -> dict[str, list]:
    """Tracked quantities that every point has as a number or an estimate: one series each."""
    keys: list[str] = []
    for p in points:
        for k in p.get("tracked") or {}:
            if k not in keys:
                keys.append(k)
    out = {}
    for k in keys:
        vals = [(p.get("tracked") or {}).get(k) for p in points]
        if all((isinstance(v, int | float) and not isinstance(v, bool))
               or (isinstance(v, dict) and "value" in v) for v in vals):
            out[k] = vals
    return out


def _sweeps(case: Case, record: dict) -> list[dict]:
    out = []
    h = record["headline"]
    for knob, points in (record.get("sweeps") or {}).items():
        try:
            k = case.knob(knob)
            default, description, acts_on = k.default, k.description, k.acts_on
        except CaseError:  # a knob renamed since the record was made
            default, description, acts_on = None, "", "world"
        extras = _flat_tracked(points)
        out.append({"knob": knob, "points": points, "default": default,
                    "description": description, "acts_on": acts_on,
                    "extras": extras, "id": safe_id(knob),
                    "vs_truth": all("headline_vs_truth" in p for p in points),
                    "metric": h["metric"]})
    return out


def _favourable(record: dict) -> dict:
    """What the four-fifths rule says of the headline group, on the favourable outcome."""
    audit = record["audit"]
    h = record["headline"]
    g = next((x for x in audit["groups"]
              if x["attribute"] == h["attribute"] and x["group"] == h["group"]), None)
    ref = next((x for x in audit["groups"]
                if x["attribute"] == h["attribute"] and x["group"] == h["reference"]), None)
    den = audit["summary"]["by_attribute"][h["attribute"]]["impact_ratio_denominator"]
    return {"favorable": audit["favorable_prediction"], "group": g, "reference": ref,
            "denominator": den, "threshold": audit["settings"]["four_fifths"]}


def render_case(case: Case, record: dict, record_sha: str, narrative: dict[str, str],
                ctx: Context | None = None) -> Page:
    """Render a case's page from its record, its declaration, its blocks and its text.

    Parameters
    ----------
    case : cases.Case
    record : dict
        ``reports/records/<slug>.json``.
    record_sha : str
        SHA-256 of the record file's bytes (shown on the page).
    narrative : dict
        ``cases/text/<slug>.md`` split by :func:`read_narrative`.
    ctx : Context, optional
        Where the page goes (default: ``docs/cases/<slug>.md``).

    Returns
    -------
    Page
    """
    ctx = ctx or Context()
    slug = case.slug
    figures: list[FigureSpec] = []

    def figure(name: str, recipe: tuple) -> str:
        kind, args, make = recipe
        figures.append(FigureSpec(name, kind, args, make))
        return ctx.figures + name

    blocks = blocks_for(module_name(case), record)
    h = record["headline"]
    template = environment().get_template("case.md.j2")
    markdown = template.render(
        case=case, record=record, record_sha=record_sha, ctx=ctx, slug=slug, h=h,
        kind=metric_kind(h["metric"]), dkind=difference_kind(h["metric"]),
        narrative={s: section_text(narrative, s, slug, ctx.print_mode) for s in narrative},
        print_sources=print_sources(narrative, slug) if ctx.print_mode else [],
        views=_audit_views(case, record), table_metrics=TABLE_METRICS,
        mitigations=_mitigation_rows(record), sweeps=_sweeps(case, record),
        favourable=_favourable(record), blocks=blocks, communication=COMMUNICATION,
        crosscheck=_crosscheck(record["audit"].get("cross_check"), h["attribute"]),
        records_dir=RECORDS_DIR, figure=figure, recipe=_recipe,
        is_text=lambda b: isinstance(b, Text), is_table=lambda b: isinstance(b, Table),
        is_figure=lambda b: isinstance(b, Figure),
    )
    markdown = markdown.rstrip() + "\n"
    if ctx.print_mode:
        markdown = shift_headings(markdown)
    return Page(markdown, figures)
