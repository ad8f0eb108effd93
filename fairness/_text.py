"""Escaping and number formatting for text that reaches markdown or HTML."""

from __future__ import annotations

import html
import math
import re

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def escape_markdown(text: object) -> str:
    """Make a user's string (a group or column name) inert in markdown.

    Newlines become spaces (a table row is one line); markdown's special
    characters, ``|`` included, are backslash-escaped; ``<``/``>``/``&``
    become HTML entities so no tag can be smuggled into the page.

    >>> escape_markdown("a|b <i>*x*</i>")
    'a\\\\|b &lt;i&gt;\\\\*x\\\\*&lt;/i&gt;'
    """
    s = " ".join(str(text).splitlines())
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", s)


def escape_html(text: object) -> str:
    return html.escape(str(text), quote=True)


def _decimals(width: float | None, percent: bool) -> int:
    """Digits that the interval supports: one significant digit of its width
    (two when that digit is 1 or 2, where one would round away too much)."""
    if width is None or not math.isfinite(width):
        return 1 if percent else 3
    if width <= 0:
        return 0 if percent else 2
    scale = width * (100 if percent else 1)
    d = -math.floor(math.log10(scale))
    if scale * 10.0**d < 3:
        d += 1
    return int(min(max(d, 0), 4))


def format_estimate(est: dict | None, percent: bool = False) -> str:
    """``0.52 [0.49, 0.55]``; ``—`` with no value. Digits follow the interval's width."""
    if not est or est.get("value") is None:
        return "—"
    lo, hi = est.get("ci_low"), est.get("ci_high")
    width = (hi - lo) if lo is not None and hi is not None else None
    d = _decimals(width, percent)
    f = (lambda x: f"{100 * x:.{d}f}%") if percent else (lambda x: f"{x:.{d}f}")
    if lo is None or hi is None:
        return f(est["value"])
    return f"{f(est['value'])} [{f(lo)}, {f(hi)}]"
