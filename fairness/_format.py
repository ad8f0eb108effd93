"""Numbers and user strings for people: the one formatting module of pages, cases and the CLI.

Every estimate is printed with no more digits than its interval supports,
with a true minus sign (U+2212) and no "−0"; a rate as a percentage, a
difference of rates in percentage points. Strings from users' data (group
and column names) are escaped wherever they reach markdown or HTML.
"""

from __future__ import annotations

import html
import math
import re
from typing import Any

MINUS = "\u2212"
NBSP = "\u00a0"
KINDS = ("number", "percent", "points", "count", "ratio")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")
_NEG_ZERO = re.compile(r"-(0(?:\.0+)?)(?![\d.])")


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
    """A user's string made inert in HTML (quotes included)."""
    return html.escape(str(text), quote=True)


def minus(text: str) -> str:
    """Hyphen-minus to a true minus sign, and no "−0" (a rounded tiny negative)."""
    return _NEG_ZERO.sub(r"\1", text).replace("-", MINUS)


def _decimals(width: float | None, kind: str) -> int:
    """Digits that the interval supports: one significant digit of its width
    (two when that digit is 1 or 2, where one would round away too much)."""
    percent = kind in ("percent", "points")
    if kind == "count":
        return 0
    if kind == "ratio":  # read against a line (0.8): 0.827 must not print as 0.8
        return max(2, _decimals(width, "number"))
    if width is None or not math.isfinite(width):
        return 1 if percent else 3
    if width <= 0:
        return 0 if percent else 2
    scale = width * (100 if percent else 1)
    d = -math.floor(math.log10(scale))
    if scale * 10.0**d < 3:
        d += 1
    return int(min(max(d, 0), 4))


def _get(est: Any, key: str) -> Any:
    """A field of an estimate given as a dict or as a :class:`fairness.Estimate`."""
    return est.get(key) if isinstance(est, dict) else getattr(est, key, None)


def _fmt(x: float, kind: str, d: int) -> str:
    if kind == "percent":
        return f"{100 * x:.{d}f}%"
    if kind == "points":
        return f"{100 * x:.{d}f}"
    if kind == "count":
        return f"{x:,.0f}"
    return f"{x:.{d}f}"


def format_estimate(est: Any, kind: str = "number", *, percent: bool = False,
                    nbsp: bool = False) -> str:
    """``0.52 [0.49, 0.55]``; ``—`` with no value. Digits follow the interval's width.

    Parameters
    ----------
    est : dict or fairness.Estimate or None
        ``{"value", "ci_low", "ci_high"}``.
    kind : {"number", "percent", "points", "count", "ratio"}
        A rate (``percent``), a difference of rates in percentage points
        without the sign (``points``), a count (``count``: whole numbers with
        thousands separators), a ratio read against a threshold such as the
        four-fifths line (``ratio``: at least two decimals), or anything else.
    percent : bool
        Shorthand for ``kind="percent"``.
    nbsp : bool
        Keep an interval on one line (a no-break space inside the brackets).

    Examples
    --------
    >>> format_estimate({"value": -0.0966, "ci_low": -0.117, "ci_high": -0.0746}, "points")
    '−10 [−12, −7]'
    >>> format_estimate({"value": 0.52, "ci_low": 0.49, "ci_high": 0.55}, percent=True)
    '52% [49%, 55%]'
    >>> format_estimate({"value": 0.827, "ci_low": 0.645, "ci_high": 1.0}, "ratio")
    '0.83 [0.65, 1.00]'
    """
    if percent:
        kind = "percent"
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    value = _get(est, "value") if est is not None else None
    if value is None:
        return "—"
    lo, hi = _get(est, "ci_low"), _get(est, "ci_high")
    width = (hi - lo) if lo is not None and hi is not None else None
    d = _decimals(width, kind)
    if lo is None or hi is None:
        return minus(_fmt(value, kind, d))
    space = NBSP if nbsp else " "
    return minus(f"{_fmt(value, kind, d)} [{_fmt(lo, kind, d)},{space}{_fmt(hi, kind, d)}]")


def format_prose(est: Any, kind: str = "number") -> str:
    """An estimate in a sentence: ``17.3% (95% interval 15.8% to 18.7%)``.

    ``points`` adds the unit "percentage points".

    Examples
    --------
    >>> format_prose({"value": 0.173, "ci_low": 0.158, "ci_high": 0.187}, "percent")
    '17.3% (95% interval 15.8% to 18.7%)'
    """
    if est is None or _get(est, "value") is None:
        return "—"
    lo, hi = _get(est, "ci_low"), _get(est, "ci_high")
    unit = " percentage points" if kind == "points" else ""
    width = (hi - lo) if lo is not None and hi is not None else None
    d = _decimals(width, kind)
    value = minus(_fmt(_get(est, "value"), kind, d)) + unit
    if lo is None or hi is None:
        return value
    return f"{value} (95% interval {minus(_fmt(lo, kind, d))} to {minus(_fmt(hi, kind, d))})"


def format_number(x: Any) -> str:
    """A plain number for people: ``1,234``, ``0.125``, ``—`` for nothing, yes/no for booleans.

    Examples
    --------
    >>> format_number(-12345), format_number(0.0012345), format_number(None)
    ('−12,345', '0.00123', '—')
    """
    if x is None:
        return "—"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return minus(f"{x:,}")
    if isinstance(x, float):
        if x == 0:
            return "0"
        if abs(x) >= 1000:
            return minus(f"{x:,.0f}")
        return minus(f"{x:.3g}")
    return str(x)


def format_share(x: float | None, digits: int = 1) -> str:
    """A share without an interval: ``12.5%``."""
    return "—" if x is None else minus(f"{100 * x:.{digits}f}%")


def format_rate_in(p: float) -> str:
    """A small share as natural frequency: 0.001 as ``1 in 1,000``, 0.2 as ``1 in 5``."""
    return f"1 in {1 / p:,.0f}"
