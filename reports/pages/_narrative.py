"""A case's text file: its sections, and its footnotes for the print page."""

from __future__ import annotations

import re
from pathlib import Path

_ADJACENT_REFS = re.compile(r"(\[\^[^\]\s]+\])(?=\[\^)")  # [^7][^8] reads 7,8 not 78
_FOOTREF = re.compile(r"\[\^([^\]\s]+)\](?!:)")
_FOOTDEF = re.compile(r"^\[\^([^\]\s]+)\]:\s*(.*)$")


def read_narrative(path: str | Path) -> dict[str, str]:
    """A case's text file split at its ``## `` headings (a missing file gives ``{}``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.md"
    >>> _ = p.write_text("## Regulation\\nText.\\n## Sources\\n[^1]: A.\\n")
    >>> read_narrative(p)
    {'Regulation': 'Text.', 'Sources': '[^1]: A.'}
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
    return {k: "\n".join(v).strip() for k, v in sections.items() if k != "_preamble"}


def footnote_numbers(sources: str) -> dict[str, int]:
    labels = [m.group(1) for line in sources.splitlines() if (m := _FOOTDEF.match(line))]
    return {lab: i + 1 for i, lab in enumerate(labels)}


def section_text(narrative: dict[str, str], section: str, slug: str, print_mode: bool) -> str:
    """A section's markdown; on the print page, footnotes become links to a numbered list."""
    body = _ADJACENT_REFS.sub(r"\1<sup>,</sup>", narrative.get(section, ""))
    if not print_mode:
        return body
    numbers = footnote_numbers(narrative.get("Sources", ""))

    def ref(m: re.Match) -> str:
        n = numbers.get(m.group(1))
        return m.group(0) if n is None else f'<sup><a href="#{slug}-source-{n}">{n}</a></sup>'

    return _FOOTREF.sub(ref, body)


def print_sources(narrative: dict[str, str], slug: str) -> list[str]:
    """The Sources section as a numbered list with anchors (the print page has one
    footnote namespace for every case, so each case keeps its own list)."""
    numbers = footnote_numbers(narrative.get("Sources", ""))
    items: list[tuple[int, str]] = []
    for line in narrative.get("Sources", "").splitlines():
        m = _FOOTDEF.match(line)
        if m:
            items.append((numbers[m.group(1)], m.group(2).strip()))
        elif line.strip() and items:
            n, text = items[-1]
            items[-1] = (n, text + " " + line.strip())
    return [f'{n}. <a id="{slug}-source-{n}"></a>{text}' for n, text in items]


def shift_headings(markdown: str, by: int = 1) -> str:
    r"""Push every ATX heading (outside code fences) ``by`` levels down.

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
