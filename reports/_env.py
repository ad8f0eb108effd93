"""The Jinja2 environment of pages and reports: filters that format numbers, escape strings.

Every sentence a page shows is in a template (``templates/``); Python hands the
templates numbers, estimates and names, never words. ``finalize`` refuses any
value that is not a string, so a number cannot reach a page unformatted: it
must pass through ``est``, ``prose``, ``number``, ``pct`` or ``count``. Strings
from users' data (group, column and knob names) go through ``md`` (markdown)
or ``html`` (inside HTML tags).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import jinja2

from fairness import (
    METRICS,
    difference_kind,
    escape_html,
    escape_markdown,
    format_estimate,
    format_number,
    format_prose,
    format_share,
    metric_kind,
)

TEMPLATES = Path(__file__).resolve().parent / "pages" / "templates"
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")


def _finalize(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise TypeError(f"a {type(value).__name__} reached a page unformatted ({value!r:.60}); "
                    "pass it through a filter (est, prose, number, pct, count)")


def md_keep_code(text: Any) -> str:
    """Escape a case's own short text but keep its `code` spans (which are inert)."""
    s, out, pos = str(text), [], 0
    for m in _CODE_SPAN.finditer(s):
        out.append(escape_markdown(s[pos:m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(escape_markdown(s[pos:]))
    return "".join(out)


def code(text: Any) -> str:
    """Inline code that survives backticks in the text."""
    s = " ".join(str(text).splitlines())
    ticks = "``" if "`" in s else "`"
    pad = " " if "`" in s else ""
    return f"{ticks}{pad}{s}{pad}{ticks}"


def html_with_code(text: Any) -> str:
    """Escaped HTML, with a case's `code` spans shown as code."""
    text, out, pos = str(text), [], 0
    for m in _CODE_SPAN.finditer(text):
        out.append(escape_html(text[pos:m.start()]))
        out.append(f"<code>{escape_html(m.group(2).strip())}</code>")
        pos = m.end()
    out.append(escape_html(text[pos:]))
    return "".join(out)


def metric_label(metric: str) -> str:
    """A metric's name in a sentence: ``true positive rate``, ``precision (PPV)``."""
    label = METRICS[metric].label if metric in METRICS else metric.replace("_", " ")
    return label[:1].lower() + label[1:]


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def safe_id(text: Any) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "x"


def cell(value: Any, kind: str = "number") -> str:
    """A table cell: an estimate with its interval on one line, a number, or escaped text."""
    if isinstance(value, dict) or hasattr(value, "ci_low"):
        return format_estimate(value, kind if kind != "text" else "number", nbsp=True)
    if isinstance(value, float) and kind == "percent":
        return format_share(value)
    if isinstance(value, float) and kind == "points":
        return format_estimate({"value": value}, "points")
    if isinstance(value, str):
        return md_keep_code(value)
    return escape_markdown(format_number(value))


def new_environment(autoescape: bool) -> jinja2.Environment:
    """An environment over the templates that refuses unformatted numbers (no filters yet)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=autoescape,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined, finalize=_finalize,
    )


@functools.cache
def environment() -> jinja2.Environment:
    env = new_environment(autoescape=False)
    env.filters.update({
        "md": escape_markdown, "md_keep_code": md_keep_code, "html": escape_html,
        "html_code": html_with_code, "code": code, "cap": cap, "safe_id": safe_id,
        "est": lambda e, kind="number": format_estimate(e, kind, nbsp=True),
        "prose": format_prose, "number": format_number, "pct": format_share,
        "count": lambda e: format_estimate(e, "count", nbsp=True),
        "cell": cell, "metric_label": metric_label, "kind": metric_kind,
        "dkind": difference_kind, "oneline": lambda s: " ".join(str(s).split()),
    })
    return env
