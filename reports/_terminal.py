"""Plain-text tables for the terminal."""

from __future__ import annotations

from collections.abc import Sequence


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]], right: int = 1) -> str:
    """Columns padded to their widest cell; columns from ``right`` on are right-aligned.

    Examples
    --------
    >>> print(text_table(["case", "n"], [["hiring", "12"], ["border", "7"]]))
    case     n
    hiring  12
    border   7
    """
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h))
              for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(str(c).ljust(w) if i < right else str(c).rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    return "\n".join([line(header), *(line(r) for r in rows)])
