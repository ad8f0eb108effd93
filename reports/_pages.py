"""Markdown for the site, from records and case metadata: never a re-computed metric.

:func:`render_case` turns one case's record into its page (and the figures the
page needs, as recipes that the build draws only when the page changed);
the other functions make the home page's tables and the print page.

Every string that comes from a user or a case's data (group, column and knob
names and values) goes through :func:`fairness.escape_markdown` (in markdown)
or :func:`html.escape` (in HTML); numbers go through
:func:`fairness.format_estimate`, which prints no more digits than the
interval supports.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cases import Case, CaseError
from fairness import escape_markdown, format_estimate
from fairness._metrics import METRICS
from fairness._result import PERCENT_METRICS, TABLE_METRICS, group_notes

MINUS = "\u2212"
SYNTHETIC = "Synthetic data."
SECTIONS = ("The real system", "Regulation", "Limitations", "Discussion questions", "Sources")
RECORDS_DIR = "reports/records"


@dataclass(frozen=True)
class Context:
    """Where a page is rendered: its links and figures are relative to it.

    ``root`` leads from the page to the docs folder (``"../"`` for
    ``cases/<slug>.md``, ``""`` for ``print.md``); ``figures`` leads from the
    page to the figures folder. In ``print_mode`` headings are shifted down one
    level and footnotes become a numbered list under each case.
    """

    root: str = "../"
    figures: str = "figures/"
    print_mode: bool = False
    glossary: bool = True


@dataclass
class FigureSpec:
    """A figure a page shows: its file name and a recipe to draw it."""

    name: str
    make: Callable[[], Any]


@dataclass
class Page:
    """A rendered page: markdown and the figures it refers to."""

    markdown: str
    figures: list[FigureSpec] = field(default_factory=list)


# --------------------------------------------------------------------------- numbers


NBSP = "\u00a0"
_INTERVAL = re.compile(r"(\S) \[([^\],]+), ([^\]]+)\]")


_NEG_ZERO = re.compile(r"-(0(?:\.0+)?)(?![\d.])")


def _minus(text: str) -> str:
    """Minus signs for people (and no "−0"); an interval does not break inside its brackets."""
    text = _NEG_ZERO.sub(r"\1", text).replace("-", MINUS)
    return _INTERVAL.sub(rf"\1 [\2,{NBSP}\3]", text)


def _pct_strip(text: str) -> str:
    return text.replace("%", "")


def cell(est: Any, kind: str = "number") -> str:
    r"""An estimate for a table cell: ``17.3% [15.8%, 18.7%]``.

    Parameters
    ----------
    est : dict or number or None
        An estimate ``{"value", "ci_low", "ci_high"}`` or a plain value.
    kind : {"number", "percent", "points"}
        A rate (``percent``), a difference of rates in percentage points with
        no ``%`` sign (``points``), or anything else (``number``).

    Returns
    -------
    str
        The value and its interval, with no more digits than the interval
        supports, minus signs, and no line break inside the brackets.

    Examples
    --------
    >>> cell({"value": -0.0966, "ci_low": -0.117, "ci_high": -0.0746}, "points")
    '−10 [−12,\xa0−7]'
    """
    if not isinstance(est, dict):
        return _plain_number(est)
    if kind == "percent":
        return _minus(format_estimate(est, percent=True))
    if kind == "points":
        return _minus(_pct_strip(format_estimate(est, percent=True)))
    return _minus(format_estimate(est))


_SPLIT = re.compile(r"^(\S+)[ \u00a0]\[(\S+),[ \u00a0](\S+)\]$")


def prose(est: Any, kind: str = "number") -> str:
    """An estimate in a sentence: ``17.3% (95% interval 15.8% to 18.7%)``.

    Parameters
    ----------
    est : dict or number or None
        The estimate.
    kind : {"number", "percent", "points"}
        As in :func:`cell`; ``points`` adds the unit "percentage points".

    Returns
    -------
    str
    """
    text = cell(est, kind)
    m = _SPLIT.match(text)
    unit = " percentage points" if kind == "points" else ""
    if not m:
        return text + (unit if text != "—" else "")
    value, lo, hi = m.groups()
    return f"{value}{unit} (95% interval {lo} to {hi})"


def _plain_number(x: Any) -> str:
    if x is None:
        return "—"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return _minus(f"{x:,}")
    if isinstance(x, float):
        if x == 0:
            return "0"
        if abs(x) >= 1000:
            return _minus(f"{x:,.0f}")
        return _minus(f"{x:.3g}")
    return escape_markdown(x)


def metric_kind(metric: str) -> str:
    """How to print a metric's value: ``"percent"`` for rates, ``"number"`` otherwise.

    Parameters
    ----------
    metric : str
        The engine's metric name (``selection_rate``).

    Returns
    -------
    str
    """
    return "percent" if metric in PERCENT_METRICS else "number"


def diff_kind(metric: str) -> str:
    """How to print a difference of a metric: ``"points"`` for rates, else ``"number"``.

    Parameters
    ----------
    metric : str
        The engine's metric name.

    Returns
    -------
    str
    """
    return "points" if metric in PERCENT_METRICS else "number"


def metric_label(metric: str) -> str:
    """A metric's name in a sentence: ``true positive rate``, ``precision (PPV)``.

    Parameters
    ----------
    metric : str
        The engine's metric name (``tpr``).

    Returns
    -------
    str

    Examples
    --------
    >>> metric_label("ppv")
    'precision (PPV)'
    """
    label = METRICS[metric].label if metric in METRICS else metric.replace("_", " ")
    return label[:1].lower() + label[1:]


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


# --------------------------------------------------------------------------- markdown bits


def _md(text: Any) -> str:
    return escape_markdown(text)


_CODE_SPAN = re.compile(r"(`+)(.+?)\1")


def _md_keep_code(text: Any) -> str:
    """Escape a case's own short text but keep its `code` spans (which are inert)."""
    s, out, pos = str(text), [], 0
    for m in _CODE_SPAN.finditer(s):
        out.append(escape_markdown(s[pos:m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(escape_markdown(s[pos:]))
    return "".join(out)


def _code(text: Any) -> str:
    s = " ".join(str(text).splitlines())
    ticks = "``" if "`" in s else "`"
    pad = " " if "`" in s else ""
    return f"{ticks}{pad}{s}{pad}{ticks}"


def _table(header: list[str], rows: list[list[str]], align: list[str] | None = None) -> list[str]:
    align = align or ["---"] * len(header)
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def _indent(lines: list[str], n: int = 4) -> list[str]:
    return [(" " * n + line) if line else "" for line in lines]


def _gloss(ctx: Context, metric: str, text: str | None = None) -> str:
    text = text or metric_label(metric)
    if not ctx.glossary:
        return text
    return f"[{text}]({ctx.root}glossary.md#{metric})"


def _figure(ctx: Context, name: str, alt: str, caption: str) -> list[str]:
    """mkdocs-material's figure: an image with alt text and a caption."""
    alt = " ".join(alt.split())
    return [
        '<figure markdown="span">',
        f"  [![{escape_markdown(alt)}]({ctx.figures}{name})]({ctx.figures}{name})",
        f"  <figcaption>{_html_with_code(caption)}</figcaption>",
        "</figure>",
        "",
    ]


def _html_with_code(text: str) -> str:
    """Escaped HTML, with a case's `code` spans shown as code."""
    out, pos = [], 0
    for m in _CODE_SPAN.finditer(text):
        out.append(html.escape(text[pos:m.start()]))
        out.append(f"<code>{html.escape(m.group(2).strip())}</code>")
        pos = m.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)


def _breakable(name: str) -> str:
    """A long dotted name (``aif360.CalibratedEqOdds(weighted)``) that may wrap at . and (."""
    return name.replace(".", ".\u200b").replace("\\(", "\u200b\\(")


def _safe_id(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "x"


# --------------------------------------------------------------------------- narrative


def read_narrative(path: str | Path) -> dict[str, str]:
    """A case's text file split at its ``## `` headings.

    Parameters
    ----------
    path : str or pathlib.Path
        ``cases/text/<slug>.md`` (a missing file gives an empty dict).

    Returns
    -------
    dict
        ``{heading: body}``, e.g. ``{"The real system": "...", "Sources": "[^1]: ..."}``.
    """
    path = Path(path)
    if not path.exists():
        return {}
    sections: dict[str, list[str]] = {}
    current = "_preamble"
    fence = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fence = not fence
        if not fence and line.startswith("## "):
            current = line[3:].strip()
            sections[current] = []
            continue
        sections.setdefault(current, []).append(line)
    return {k: "\n".join(v).strip() for k, v in sections.items()}


_ADJACENT_REFS = re.compile(r"(\[\^[^\]\s]+\])(?=\[\^)")  # [^7][^8] reads 7,8 not 78
_FOOTREF = re.compile(r"\[\^([^\]\s]+)\](?!:)")
_FOOTDEF = re.compile(r"^\[\^([^\]\s]+)\]:\s*(.*)$")


def _footnote_labels(sources: str) -> list[str]:
    return [m.group(1) for line in sources.splitlines() if (m := _FOOTDEF.match(line))]


def _print_footnotes(text: str, slug: str, numbers: dict[str, int]) -> str:
    """``[^3]`` becomes a superscript link to the case's own numbered source list."""

    def ref(m: re.Match) -> str:
        label = m.group(1)
        if label not in numbers:
            return m.group(0)
        n = numbers[label]
        return f'<sup><a href="#{slug}-source-{n}">{n}</a></sup>'

    return _FOOTREF.sub(ref, text)


def _print_sources(sources: str, slug: str, numbers: dict[str, int]) -> list[str]:
    items: list[tuple[int, str]] = []
    for line in sources.splitlines():
        m = _FOOTDEF.match(line)
        if m:
            items.append((numbers[m.group(1)], m.group(2).strip()))
        elif line.strip() and items:
            n, text = items[-1]
            items[-1] = (n, text + " " + line.strip())
    return [f'{n}. <a id="{slug}-source-{n}"></a>{text}' for n, text in items]


# --------------------------------------------------------------------------- the page


def _headline_sentence(h: dict, ctx: Context, four_fifths: float | None) -> str:
    m = h["metric"]
    kind, dkind = metric_kind(m), diff_kind(m)
    group, ref = _md(h["group"]), _md(h["reference"])
    text = (f"**{_cap(h['meaning'])}.** The model's {_gloss(ctx, m)} is "
            f"{prose(h['group_value'], kind)} for {group}, against "
            f"{prose(h['reference_value'], kind)} for {ref} (the reference group): "
            f"a difference of {prose(h['difference'], dkind)}, and a ratio of "
            f"{prose(h['ratio'])}.")
    ratio = h["ratio"].get("value") if isinstance(h.get("ratio"), dict) else None
    if m == "selection_rate" and four_fifths and ratio is not None:
        if ratio < four_fifths:
            text += (f" That ratio is under the four-fifths ({four_fifths:g}) line that US "
                     "employment regulators use as a rule of thumb for adverse impact.")
        else:
            text += f" That ratio is above the four-fifths ({four_fifths:g}) line."
    return text


def _at_a_glance(case, record: dict, ctx: Context) -> list[str]:
    four_fifths = record["audit"]["settings"].get("four_fifths")
    body = [case.summary, "", _headline_sentence(record["headline"], ctx, four_fifths)]
    lvt = record.get("label_vs_truth")
    if lvt:
        m = lvt["vs_truth"]["metric"]
        dkind = diff_kind(m)
        body += [
            "",
            f"**Against the truth.** Judged against who truly is {_code(lvt['truth'])} (which "
            f"only a synthetic world knows), {lvt['vs_truth']['meaning']}: the "
            f"{_gloss(ctx, m)} differs by {prose(lvt['vs_truth']['difference'], dkind)}. "
            f"Judged against the historical label {_code(lvt['label'])}, the same "
            f"difference looks like {prose(lvt['vs_label']['difference'], dkind)}.",
        ]
    body += [
        "",
        "*The data are synthetic: we generated this world and put its biases in on purpose. "
        "No number on this page describes a real person, organisation or system.*",
    ]
    return ['!!! abstract "At a glance"', "", *_indent(body), ""]


def _datasheet(case, record: dict, ctx: Context) -> list[str]:
    man = record["manifest"]
    fn = case.make_data
    lines = [
        "## The synthetic world",
        "",
        f"Every row is generated by `{fn.__module__}.{fn.__name__}` with seed {man['seed']}: "
        + (f"{man['n_samples']:,} rows, of which {man['n_train']:,} train the model and "
           f"{man['n_test']:,} are held out to audit it."
           if man["n_train"] + man["n_test"] == man["n_samples"] else
           f"{man['n_samples']:,} rows; the model is trained on {man['n_train']:,} rows "
           f"(the case's own training set) and audited on {man['n_test']:,}.")
        + " Nothing comes from real people. The "
        "datasheet below says how each column is made and which bias we put in on purpose.",
        "",
    ]
    roles = {"feature": "model input", "label": "label (what the model learns)",
             "truth": "hidden truth", "sensitive": "protected attribute", "context": "context"}
    rows = [[_code(c.name), roles.get(c.role, _md(c.role)), _md(c.description),
             _md(c.bias) if c.bias else "—"] for c in case.columns]
    lines += _table(["Column", "Role", "How it is generated", "Bias put in on purpose"], rows)
    see = "*Re-run it*" if ctx.print_mode else "[Re-run it](#re-run-it)"
    lines += ["", f"**Knobs.** A reader can change these and re-run the case (see {see}).",
              ""]
    rows = [[_code(k.name), _md(man["knobs"].get(k.name, k.default)), _md(k.default),
             _md(k.describe_range()), _md(k.description)] for k in case.knobs]
    lines += _table(["Knob", "Value on this page", "Default", "Range", "What it does"], rows)
    return lines + [""]


def _model_card(case, record: dict, ctx: Context) -> list[str]:
    man = record["manifest"]
    perf = record.get("performance") or {}
    lines = ["## The model", ""]
    if case.model_description:
        lines += [case.model_description, ""]
    if case.features:
        lines += ["**Inputs:** " + ", ".join(_code(f) for f in case.features) + ".", ""]
    lines += [f"**Training:** {man['n_train']:,} rows of the synthetic world, to predict "
              f"{_code(case.label)}. **Evaluation:** the {man['n_test']:,} held-out rows.", ""]
    if perf:
        lines += ["**Performance on the test set**, against the label " + _code(case.label)
                  + " (95% bootstrap intervals; synthetic data):", ""]
        rows = [[_gloss(ctx, m), cell(perf[m], metric_kind(m))] for m in perf]
        lines += _table(["Metric", "Value [95% interval]"], rows, ["---", "--:"])
        lines.append("")
    return lines


def group_table(groups: list[dict], ctx: Context) -> list[str]:
    """The per-group table of an audit, with glossary links and numbers for people.

    Parameters
    ----------
    groups : list of dict
        The audit's groups of one attribute (``audit["groups"]``).
    ctx : Context
        Where the table goes (for the glossary links).

    Returns
    -------
    list of str
        Markdown table lines.
    """
    return _group_table(groups, ctx)


def _group_table(groups: list[dict], ctx: Context) -> list[str]:
    """The engine's per-group table (as ``group_table_markdown``), notes first so that
    a reader sees the four-fifths flags and small groups without scrolling."""
    header = ["Group", "n", "notes", *[_gloss(ctx, m) for m in TABLE_METRICS],
              _gloss(ctx, "impact_ratio", "impact ratio")]
    rows = []
    for g in groups:
        rows.append([_md(g["group"]), f"{g['n']:,}", "; ".join(group_notes(g)),
                     *[cell(g["metrics"][m], metric_kind(m)) for m in TABLE_METRICS],
                     cell(g["impact_ratio"])])
    return _table(header, rows, ["---", "--:", "---"] + ["--:"] * (len(TABLE_METRICS) + 1))


def _audit_metrics(case, record: dict) -> list[str]:
    metrics = [record["headline"]["metric"], *case.metrics_that_matter]
    have = {d["metric"] for d in record["audit"]["disparities"]}
    return [m for m in dict.fromkeys(metrics) if m in have]


def _audit(case, record: dict, ctx: Context, slug: str) -> tuple[list[str], list[FigureSpec]]:
    audit = record["audit"]
    settings = audit["settings"]
    figs: list[FigureSpec] = []
    lines = [
        "## The audit",
        "",
        f"The model's decisions on the {audit['n_rows']:,} held-out rows of the synthetic world, "
        f"measured against the label {_code(audit['columns']['label'])}. The data are "
        "synthetic: these rates describe our generated world, not any real population. "
        f"Brackets hold {settings['confidence']:.0%} bootstrap intervals "
        f"({settings['bootstrap']:,} replicates of the counts; see the "
        f"[methodology]({ctx.root}methodology.md)). "
        f"A group is marked **below four-fifths** when its {_gloss(ctx, 'selection_rate')} "
        f"is under {settings['four_fifths']:.0%} of the reference group's (its "
        f"{_gloss(ctx, 'impact_ratio', 'impact ratio')}); a *small group* has fewer than "
        f"{settings['min_group_size']} rows or under {settings['min_group_share']:.0%} of them, "
        "too few to trust its numbers.",
        "",
        "**The metrics that matter here:**",
        "",
    ]
    for m, why in case.metrics_that_matter.items():
        lines.append(f"- **{_cap(_gloss(ctx, m, _cap(metric_label(m))))}**: {why}")
    lines.append("")
    metrics = _audit_metrics(case, record)
    disp = {(d["attribute"], d["metric"], d["group"]): d for d in audit["disparities"]}
    for i, attr in enumerate(audit["attributes"]):
        groups = [g for g in audit["groups"] if g["attribute"] == attr]
        summary = audit["summary"]["by_attribute"][attr]
        ref = summary["reference"]
        lines += [f"### By {_md(attr)}", ""]
        lines += _group_table(groups, ctx)
        lines += ["", f"Reference group: **{_md(ref)}**. Between-group summaries "
                  "(largest minus smallest group value; fairlearn's convention): "
                  + "; ".join(
                      f"{_gloss(ctx, key, key.replace('_', ' '))} "
                      f"{cell(summary[key], 'points' if 'difference' in key else 'number')}"
                      + (" points" if "difference" in key else "")
                      for key in ("demographic_parity_difference", "demographic_parity_ratio",
                                  "equalized_odds_difference", "equal_opportunity_difference")
                      if key in summary)
                  + ".", ""]
        rows = []
        for g in groups:
            if g["is_reference"]:
                continue
            rows.append({"group": g["group"], "n": g["n"], "small": g["small"],
                         "differences": {m: (disp.get((attr, m, g["group"])) or {}).get(
                             "difference") for m in metrics}})
        if rows and metrics:
            name = f"{slug}-audit-{i + 1}.svg"
            labels = [(m, _cap(metric_label(m))) for m in metrics]
            title = f"By {attr}: difference from {ref}"
            figs.append(FigureSpec(name, _disparity_recipe(rows, labels, ref, title)))
            first = metrics[0]
            parts = [f"{r['group']} {cell(r['differences'][first], diff_kind(first))}"
                     for r in rows]
            alt = (f"Dot plot, one colour per metric ({', '.join(lab for _, lab in labels)}), "
                   f"of each {attr} group's difference from {ref} with 95% intervals. "
                   f"{labels[0][1]}, in percentage points: " + "; ".join(parts) + ".")
            caption = (f"Each {attr} group's difference from {ref} (the reference, the vertical "
                       f"line) in {', '.join(metric_label(m) for m, _ in labels)}, in percentage "
                       f"points, with 95% bootstrap intervals. Hollow markers: groups too small "
                       f"to trust. {SYNTHETIC}")
            lines += _figure(ctx, name, alt, caption)
    if audit.get("warnings"):
        lines += [f'??? warning "The audit\'s warnings ({len(audit["warnings"])})"', ""]
        lines += _indent([f"- {_md(w)}" for w in audit["warnings"]]) + [""]
    lines += _cross_check(audit.get("cross_check"), record["headline"]["attribute"], ctx)
    return lines, figs


def _disparity_recipe(rows, labels, ref, title):
    def make():
        from ._figures import disparity_figure

        return disparity_figure(rows, labels, ref, title)

    return make


def _num(x: Any) -> str:
    if x is None:
        return "—"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int | float):
        return _minus(f"{x:.6g}")
    return _md(x)


def _cross_check(cc: dict | None, headline_attr: str, ctx: Context) -> list[str]:
    lines = ["### Cross-check: our engine, fairlearn and aif360", ""]
    if not cc:
        return lines + [
            "This record holds no cross-check (it was made before the cross-check existed, or "
            "the test set was too large to cross-check quickly). Re-run the case to add it.",
            "",
        ]
    libs = ", ".join(_md(x) for x in cc.get("libraries", []))
    verdict = ("all agree" if cc.get("all_agree")
               else "**some disagree**: the disagreements are listed below")
    lines += [
        f"The audit recomputed {cc.get('n_compared', 0):,} values with {libs}. The largest "
        f"absolute difference from our engine is {cc.get('max_abs_diff', 0):.1e} (tolerance "
        f"{cc.get('tolerance', 0):g}): {verdict}.",
        "",
    ]
    rows = cc.get("rows") or []
    by_q: dict[str, dict] = {}
    for r in rows:
        q = by_q.setdefault(r["quantity"], {"n": 0, "fl": 0, "aif": 0, "max": 0.0, "agree": True})
        q["n"] += 1
        q["fl"] += r.get("fairlearn") is not None
        q["aif"] += r.get("aif360") is not None
        if r.get("max_abs_diff") is not None:
            q["max"] = max(q["max"], float(r["max_abs_diff"]))
        q["agree"] &= bool(r.get("agree"))
    if by_q:
        table = [[_code(q), f"{v['n']:,}", f"{v['fl']:,}", f"{v['aif']:,}", f"{v['max']:.1e}",
                  "yes" if v["agree"] else "**no**"] for q, v in by_q.items()]
        lines += _table(["Quantity", "values", "with fairlearn", "with aif360",
                         "largest difference", "agree"], table,
                        ["---", "--:", "--:", "--:", "--:", "---"])
        lines.append("")
    bad = [r for r in rows if not r.get("agree")]
    header = ["Quantity", "Attribute", "Group", "ours", "fairlearn", "aif360", "difference",
              "note"]

    def row(r):
        return [_code(r["quantity"]), _md(r["attribute"]) if r.get("attribute") else "overall",
                _md(r["group"]) if r.get("group") is not None else "—", _num(r.get("ours")),
                _num(r.get("fairlearn")), _num(r.get("aif360")),
                f"{r['max_abs_diff']:.1e}" if r.get("max_abs_diff") is not None else "—",
                _md(r.get("note") or "")]

    if bad:
        lines += ["**Disagreements:**", ""] + _table(header, [row(r) for r in bad]) + [""]
    mine = [r for r in rows if r.get("attribute") in (None, headline_attr)]
    if mine:
        lines += [f'??? note "Every comparison for {html.escape(headline_attr)} and the whole '
                  f'test set ({len(mine)})"', ""]
        lines += _indent(_table(header, [row(r) for r in mine])) + [""]
    conventions = cc.get("conventions") or {}
    text = [(k, v) for k, v in conventions.items() if isinstance(v, str)]
    if text:
        lines += ['??? info "Where the libraries\' conventions differ"', ""]
        lines += _indent([f"- **{_md(k.replace('_', ' '))}**: {_md(v)}" for k, v in text])
        lines.append("")
    return lines


def _display(case, record: dict, ctx: Context, slug: str) -> tuple[list[str], list[FigureSpec]]:
    if case.display is None:
        return [], []
    blocks = case.display(record) or []
    lines = ["## What the simulation shows", ""]
    figs: list[FigureSpec] = []
    for k, block in enumerate(blocks):
        kind = block.get("kind")
        if kind == "text":
            lines += [block.get("markdown", ""), ""]
        elif kind == "table":
            if block.get("title"):
                lines += [f"**{_md_keep_code(block['title'])}**", ""]
            cols = [_md_keep_code(c) for c in block.get("columns", [])]
            percent = list(block.get("percent") or [])
            percent += [False] * (len(cols) - len(percent))
            rows = []
            for r in block.get("rows", []):
                cells = []
                for j, c in enumerate(r):
                    pc = percent[j] if j < len(percent) else False
                    if isinstance(c, dict):
                        cells.append(cell(c, "percent" if pc else "number"))
                    elif isinstance(c, float) and pc:
                        cells.append(_minus(f"{100 * c:.1f}%"))
                    elif isinstance(c, str):
                        cells.append(_md_keep_code(c))
                    else:
                        cells.append(_plain_number(c))
                rows.append(cells)
            lines += _table(cols, rows)
            if block.get("caption"):
                lines += ["", f"*{_md_keep_code(block['caption'])}*"]
            lines.append("")
        elif kind == "figure":
            name = f"{slug}-{_safe_id(block.get('id') or f'figure-{k + 1}')}.svg"
            figs.append(FigureSpec(name, _block_recipe(block)))
            caption = block.get("caption", "")
            if "synthetic" not in caption.lower():
                caption = (caption + " " + SYNTHETIC).strip()
            lines += _figure(ctx, name, block.get("alt") or block.get("title", ""), caption)
    return lines, figs


def _block_recipe(block):
    def make():
        from ._figures import block_figure

        return block_figure(block)

    return make


def _label_vs_truth(record: dict, ctx: Context) -> list[str]:
    lvt = record.get("label_vs_truth")
    if not lvt:
        return []
    a, b = lvt["vs_label"], lvt["vs_truth"]
    m = a["metric"]
    kind, dkind = metric_kind(m), diff_kind(m)
    lab, tru = _code(lvt["label"]), _code(lvt["truth"])
    lines = [
        "## Label versus truth",
        "",
        f"A real auditor only has the label {lab}, which carries the biases of whoever, or "
        f"whatever, recorded it. Our synthetic world also knows the truth, {tru}, so we can "
        "audit the same decisions twice. " + _cap(b["meaning"]) + ":",
        "",
    ]
    rows = [
        [f"{_cap(metric_label(m))}, {_md(a['group'])}", cell(a["group_value"], kind),
         cell(b["group_value"], kind)],
        [f"{_cap(metric_label(m))}, {_md(a['reference'])} (reference)",
         cell(a["reference_value"], kind), cell(b["reference_value"], kind)],
        ["Difference" + (" (percentage points)" if dkind == "points" else ""),
         cell(a["difference"], dkind), cell(b["difference"], dkind)],
        ["Ratio", cell(a["ratio"]), cell(b["ratio"])],
    ]
    lines += _table(["", f"against the label {lab}", f"against the truth {tru}"], rows,
                    ["---", "--:", "--:"])
    pa, pb = lvt.get("performance_vs_label") or {}, lvt.get("performance_vs_truth") or {}
    if pa and pb:
        lines += ["", "**The model's performance**, judged against each (synthetic data):", ""]
        rows = [[_gloss(ctx, k), cell(pa[k], metric_kind(k)), cell(pb.get(k), metric_kind(k))]
                for k in pa]
        lines += _table(["Metric", f"against {lab}", f"against {tru}"], rows,
                        ["---", "--:", "--:"])
    return lines + [""]


def _mitigations(record: dict, ctx: Context, slug: str) -> tuple[list[str], list[FigureSpec]]:
    mit = record.get("mitigations")
    if not mit:
        return [], []
    h = record["headline"]
    m = h["metric"]
    dkind = diff_kind(m)
    attr = mit.get("attribute", h["attribute"])
    ref = mit.get("reference", h["reference"])
    everything = [mit["baseline"], *mit["entries"]]
    ran = [e for e in everything if not e.get("error")]
    failed = [e for e in everything if e.get("error")]
    lines = [
        "## Mitigations",
        "",
        f"Each bias mitigation below is fitted on the same training rows and judged on the same "
        f"test rows as the model, against the label, for {_md(attr)} (reference "
        f"{_md(ref)}); synthetic data. The headline column is the {_gloss(ctx, m)} difference "
        f"for {_md(h['group'])}. A mitigation is on the *Pareto front* when no other is both at "
        "least as accurate and at most as unequal. Several need the sensitive attribute when "
        "they decide, which the law may forbid: each row says whether it does.",
        "",
    ]
    header = ["#", "Mitigation", "Pareto", "Stage", _gloss(ctx, "accuracy", "Accuracy"),
              f"{_cap(metric_label(m))} difference" + (" (points)" if dkind == "points" else ""),
              "Ratio", _gloss(ctx, "demographic_parity_difference", "DP difference"),
              _gloss(ctx, "equalized_odds_difference", "EO difference")]
    rows = []
    numbers = []
    for i, e in enumerate(ran):
        numbers.append(i)
        needs = ("**needs** the sensitive attribute at prediction time"
                 if e.get("needs_sensitive_at_prediction")
                 else "does not need the sensitive attribute at prediction time")
        rows.append([
            str(i), f"{_breakable(_md(e['name']))}<br><small>{needs}</small>",
            "**yes**" if e.get("pareto") else "no", _md(e.get("stage", "")),
            cell(e.get("accuracy"), "percent"),
            cell(e["headline"]["difference"], dkind), cell(e["headline"]["ratio"]),
            cell(e.get("demographic_parity_difference"), "points"),
            cell(e.get("equalized_odds_difference"), "points"),
        ])
    lines += _table(header, rows, ["--:", "---", "---", "---", "--:", "--:", "--:", "--:",
                                   "--:"])
    lines.append("")
    figs: list[FigureSpec] = []
    if ran:
        name = f"{slug}-mitigations.svg"
        title = f"Accuracy against the {metric_label(m)} gap, by mitigation"
        figs.append(FigureSpec(name, _tradeoff_recipe(ran, numbers, metric_label(m),
                                                      dkind == "points", title)))
        front = [f"{i} {e['name']}" for i, e in zip(numbers, ran, strict=True) if e.get("pareto")]
        alt = (f"Scatter plot of test accuracy against the size of the {metric_label(m)} gap "
               f"for {len(ran)} models (0 is the unmitigated baseline), with 95% error bars; "
               "a dashed line joins the Pareto front: " + ", ".join(front) + ".")
        caption = (f"Each point is a model, numbered as in the table: accuracy (up is better) "
                   f"against the size of the {metric_label(m)} difference between "
                   f"{h['group']} and {h['reference']} (left is more equal), with 95% intervals. "
                   f"The dashed line joins the Pareto front. {SYNTHETIC}")
        lines += _figure(ctx, name, alt, caption)
    lines += ['??? info "What each mitigation does"', ""]
    desc = []
    for i, e in zip(numbers, ran, strict=True):
        text = (f"- **{i}. {_md(e['name'])}** ({_md(e.get('library', ''))}, "
                f"{_md(e.get('stage', ''))}-processing; targets {_md(e.get('constraint', ''))})"
                f": {_md(e.get('description', ''))}")
        desc.append(text)
        desc += [f"    - {_md(n)}" for n in e.get("notes") or []]
    lines += _indent(desc) + [""]
    if failed:
        lines += ["**Mitigations that failed** (listed, not hidden):", ""]
        for e in failed:
            error = str(e["error"])
            if error.startswith(f"{e['name']}: "):
                error = error[len(e["name"]) + 2:]
            lines.append(f"- **{_md(e['name'])}** ({_md(e.get('library', ''))}): {_md(error)}")
        lines.append("")
    return lines, figs


def _tradeoff_recipe(entries, numbers, label, points, title):
    def make():
        from ._figures import tradeoff_figure

        return tradeoff_figure(entries, numbers, label, points, title)

    return make


def _flat_extras(points: list[dict]) -> dict[str, list]:
    """Extras that every point has as a number or an estimate: one series each."""
    keys: list[str] = []
    for p in points:
        for k in (p.get("extras") or {}):
            if k not in keys:
                keys.append(k)
    out = {}
    for k in keys:
        vals = [(p.get("extras") or {}).get(k) for p in points]
        if all(isinstance(v, int | float) and not isinstance(v, bool)
               or (isinstance(v, dict) and "value" in v) for v in vals):
            out[k] = vals
    return out


def _what_if(case, record: dict, ctx: Context, slug: str) -> tuple[list[str], list[FigureSpec]]:
    sweeps = record.get("sweeps")
    if not sweeps:
        return [], []
    h = record["headline"]
    m = h["metric"]
    dkind = diff_kind(m)
    four_fifths = record["audit"]["settings"].get("four_fifths")
    lines = [
        "## What if",
        "",
        "Each knob is swept over a range of values with everything else left as on this page. "
        "Every point is a full re-run: a new synthetic world, a new model, a new audit. The "
        "shaded bands are 95% bootstrap intervals.",
        "",
    ]
    figs: list[FigureSpec] = []
    for knob, points in sweeps.items():
        try:
            k = case.knob(knob)
            default, description = k.default, k.description
        except CaseError:  # a knob renamed since the record was made
            default, description = None, ""
        lines += [f"### {_md(knob)}", ""]
        if description:
            lines += [_md(description), ""]
        panels = [
            {"title": f"{_cap(metric_label(m))} difference",
             "ylabel": "difference" + (" (percentage points)" if dkind == "points" else ""),
             "values": [p["headline"]["difference"] for p in points],
             "kind": "points" if dkind == "points" else "number",
             "reference_line": 0.0, "reference_label": "no difference"},
            {"title": f"{_cap(metric_label(m))} ratio",
             "ylabel": "ratio",
             "values": [p["headline"]["ratio"] for p in points], "kind": "number",
             "reference_line": four_fifths if m == "selection_rate" else 1.0,
             "reference_label": "four-fifths rule" if m == "selection_rate" else "equal"},
        ]
        extras = _flat_extras(points)
        for ek, vals in list(extras.items())[:2]:
            panels.append({"title": _cap(ek.replace("_", " ")), "ylabel": "",
                           "values": vals, "kind": "number", "reference_line": None})
        name = f"{slug}-sweep-{_safe_id(knob)}.svg"
        title = f"{h['group']} against {h['reference']} as {knob} changes"
        figs.append(FigureSpec(name, _sweep_recipe(knob, points, default, panels, title)))
        parts = [f"{_plain_number(p['value'])}: {cell(p['headline']['difference'], dkind)}"
                 for p in points]
        alt = (f"Line charts with 95% bands of the {metric_label(m)} difference and ratio "
               f"between {h['group']} and {h['reference']} as {knob} goes from "
               f"{_plain_number(points[0]['value'])} to {_plain_number(points[-1]['value'])}. "
               "Difference at each value: " + "; ".join(parts) + ".")
        caption = (f"The {metric_label(m)} difference (left) and ratio (right) between "
                   f"{h['group']} and {h['reference']} for each value of {knob}; the dotted "
                   f"line marks the default. Bands: 95% intervals. {SYNTHETIC}")
        lines += _figure(ctx, name, alt, caption)
        kind = metric_kind(m)
        header = [_md(knob), f"{_md(h['group'])}", f"{_md(h['reference'])}",
                  "difference" + (" (points)" if dkind == "points" else ""), "ratio"]
        header += [_md(ek) for ek in extras]
        rows = []
        for j, p in enumerate(points):
            hp = p["headline"]
            r = [_plain_number(p["value"]) + (" (default)" if p["value"] == default else ""),
                 cell(hp["group_value"], kind), cell(hp["reference_value"], kind),
                 cell(hp["difference"], dkind), cell(hp["ratio"])]
            r += [cell(vals[j]) for vals in extras.values()]
            rows.append(r)
        lines += [f'??? note "The numbers behind the {html.escape(knob)} figure"', ""]
        lines += _indent(_table(header, rows, ["--:"] * len(header))) + [""]
    return lines, figs


def _sweep_recipe(knob, points, default, panels, title):
    def make():
        from ._figures import sweep_figure

        return sweep_figure(knob, points, default, panels, title)

    return make


def _rerun(case, record: dict, record_sha: str, ctx: Context) -> list[str]:
    man = record["manifest"]
    slug = record["case"]
    knob_text = ", ".join(f"{_code(k)} = {_md(v)}" for k, v in man["knobs"].items()) or "none"
    example = case.knobs[0].name if case.knobs else None
    lines = [
        "## Re-run it",
        "",
        "Every number on this page comes from one record, "
        f"`{RECORDS_DIR}/{slug}.json`, made by this command (in the project folder, after "
        "`make install`):",
        "",
        "```sh",
        man["command"],
        "```",
        "",
        f"`casebook verify {slug}` re-runs it from the record's manifest and compares every "
        "number with the record (absolute tolerance 10⁻⁹); "
        "`casebook run` without `--out` rewrites the published record.",
    ]
    if example:
        k = case.knob(example)
        other = k.low if k.low is not None and k.low != k.default else k.high
        if k.choices:
            other = next((c for c in k.choices if c != k.default), k.default)
        if isinstance(other, float):
            other = f"{other:g}"
        lines += ["", "To change a knob and keep your run apart:", "", "```sh",
                  f"casebook run {slug} --set {k.name}={other} --out my-run",
                  "```"]
    lines += [
        "",
        *_table(["", ""], [
            ["Record", f"`{RECORDS_DIR}/{slug}.json`"],
            ["Record SHA-256", f"`{record_sha}`"],
            ["Data SHA-256 (the generated world as CSV)", f"`{man['data_sha256']}`"],
            ["Inputs SHA-256 (engine, case code and text, lock file)",
             f"`{man['inputs_sha256']}`"],
            ["Seed", str(man["seed"])],
            ["Rows", f"{man['n_samples']:,} ({man['n_train']:,} train, {man['n_test']:,} test)"],
            ["Bootstrap replicates", f"{man['bootstrap']:,}"],
            ["Knobs", knob_text],
        ]),
        "",
        "**Package versions** (all pinned in `requirements.lock`):",
        "",
        *_table(["Package", "Version"],
                [[_md(p), f"`{v}`"] for p, v in man["versions"].items()]),
        "",
    ]
    return lines


def render_case(case: Case, record: dict, record_sha: str, narrative: dict[str, str],
                ctx: Context | None = None) -> Page:
    """Render a case's page from its record, its metadata and its narrative.

    Parameters
    ----------
    case : cases.Case
        The case (its metadata and ``display`` hook).
    record : dict
        Its record (``reports/records/<slug>.json``).
    record_sha : str
        SHA-256 of the record file's bytes.
    narrative : dict
        ``cases/text/<slug>.md`` split by :func:`read_narrative`.
    ctx : Context, optional
        Where the page goes (default: ``docs/cases/<slug>.md``).

    Returns
    -------
    Page
        The markdown and the figures it refers to.
    """
    ctx = ctx or Context()
    slug = case.slug
    labels = _footnote_labels(narrative.get("Sources", ""))
    numbers = {lab: i + 1 for i, lab in enumerate(labels)}

    def text(section: str) -> str:
        body = _ADJACENT_REFS.sub(r"\1<sup>,</sup>", narrative.get(section, ""))
        return _print_footnotes(body, slug, numbers) if ctx.print_mode else body

    lines = [f"# {case.title}", ""]
    lines += _at_a_glance(case, record, ctx)
    lines += ["## The real system", "", f"*Stands for: {_md(case.real_system)}.*", ""]
    if text("The real system"):
        lines += [text("The real system"), ""]
    pitfalls = ", ".join(_md(p) for p in case.pitfalls)
    lines += [f"**Pitfalls this case shows:** {pitfalls}.", ""]
    lines += _datasheet(case, record, ctx)
    lines += _model_card(case, record, ctx)
    audit_lines, figs = _audit(case, record, ctx, slug)
    lines += audit_lines
    shows, shows_figs = _display(case, record, ctx, slug)
    lines += shows
    figs += shows_figs
    lines += _label_vs_truth(record, ctx)
    for part in (_mitigations(record, ctx, slug), _what_if(case, record, ctx, slug)):
        lines += part[0]
        figs += part[1]
    lines += ["## Regulation", "", '!!! info "In short"', "", *_indent([_md(case.regulation)]),
              ""]
    if text("Regulation"):
        lines += [text("Regulation"), ""]
    lines += ["## Limitations", ""]
    if text("Limitations"):
        lines += [text("Limitations"), ""]
    lines += [
        "Limits of the method itself: the intervals describe the sampling noise of the test "
        "set for one trained model and one generated world (seed "
        f"{record['manifest']['seed']}); they do not include the variation from re-training "
        "or from drawing another world. A synthetic world shows that a mechanism *can* produce "
        "a harm and how large it is under stated assumptions, not how often it does in practice.",
        "",
        "## Discussion questions",
        "",
    ]
    if text("Discussion questions"):
        lines += [text("Discussion questions"), ""]
    lines += _rerun(case, record, record_sha, ctx)
    sources = narrative.get("Sources", "")
    if sources:
        lines += ["## Sources", ""]
        if ctx.print_mode:
            lines += _print_sources(sources, slug, numbers)
        else:
            lines += [sources]
        lines.append("")
    markdown = "\n".join(lines).rstrip() + "\n"
    if ctx.print_mode:
        markdown = shift_headings(markdown)
    return Page(markdown, figs)


def shift_headings(markdown: str, by: int = 1) -> str:
    r"""Push every ATX heading (outside code fences) ``by`` levels down.

    Parameters
    ----------
    markdown : str
        A page.
    by : int
        Levels to add.

    Returns
    -------
    str

    Examples
    --------
    >>> shift_headings("# A\n## B\n")
    '## A\n### B\n'
    """
    out, fence = [], False
    for line in markdown.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fence = not fence
        if not fence and re.match(r"#{1,6} ", line):
            line = "#" * by + line
        out.append(line)
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- site-wide


def short_title(case: Case) -> str:
    """The part of a case's title before the colon, for navigation.

    Parameters
    ----------
    case : cases.Case
        The case.

    Returns
    -------
    str
    """
    return case.title.split(":")[0].strip()


def cases_table(cases: list[Case], records: dict[str, dict]) -> str:
    """The home page's table of cases: what each stands for and its headline.

    Parameters
    ----------
    cases : list of cases.Case
        The cases, in the casebook's order.
    records : dict
        Their records by slug.

    Returns
    -------
    str
        A markdown table (links relative to the docs folder).
    """
    rows = []
    for c in cases:
        r = records.get(c.slug)
        finding = "—"
        if r:
            h = r["headline"]
            finding = (f"{_cap(h['meaning'])}: {cell(h['difference'], diff_kind(h['metric']))}"
                       + (" points" if diff_kind(h["metric"]) == "points" else ""))
        rows.append([f"[{_md(short_title(c))}](cases/{c.slug}.md)", _md(c.real_system),
                     _md(c.summary), finding])
    lines = _table(["Case", "Stands for", "What it shows", "Headline (synthetic data)"], rows)
    return "\n".join(lines) + "\n"


def pitfalls_table(cases: list[Case]) -> str:
    """The home page's matrix: each pitfall against the cases that show it.

    Parameters
    ----------
    cases : list of cases.Case
        The cases, in the casebook's order.

    Returns
    -------
    str
        A markdown table.
    """
    from cases._framework import PITFALLS

    shown = {p for c in cases for p in c.pitfalls}
    pitfalls = [p for p in PITFALLS if p in shown]
    header = ["Pitfall", *[f"[{_md(short_title(c))}](cases/{c.slug}.md)" for c in cases]]
    rows = [[_cap(_md(p)), *["✓" if p in c.pitfalls else "" for c in cases]] for p in pitfalls]
    lines = _table(header, rows, ["---"] + [":-:"] * len(cases))
    return "\n".join(lines) + "\n"


def print_page(parts: list[str], methodology: str | None) -> str:
    """The print page: every case, then the methodology, one after the other.

    Parameters
    ----------
    parts : list of str
        The case pages rendered with ``Context(print_mode=True)``.
    methodology : str or None
        ``docs/methodology.md``, appended with its headings shifted.

    Returns
    -------
    str
        ``docs/print.md``.
    """
    lines = [
        "# The whole casebook",
        "",
        '!!! tip "For a PDF"',
        "",
        "    This page holds every case of the casebook and the methodology, one after the "
        "other. Use your browser's *Print* command and choose *Save as PDF*; each case starts "
        "on a new page. All case data are synthetic.",
        "",
    ]
    for p in parts:
        first, _, rest = p.partition("\n")
        lines += [first + " { .casebook-case }", rest, ""]
    if methodology:
        text = shift_headings(methodology)
        first, _, rest = text.partition("\n")
        lines += [first + " { .casebook-case }", rest, ""]
    return "\n".join(lines).rstrip() + "\n"
