"""The worked examples of "Audit your own model" beyond the first: what each command wrote.

The mkdocs hook runs :data:`reports._example.EXTRA_COMMANDS` after the main
command, in one scratch folder, at build time; :func:`collect` keeps what the
page shows of their output (cached with the run), :func:`example_part` renders
one ``<!-- casebook:example-NAME -->`` marker, and :data:`EXAMPLE_FILES` are
the reports the site serves as they were written.
"""

from __future__ import annotations

import json
from pathlib import Path

from .._env import environment
from ._case import Context

EXAMPLE_PARTS = ("html", "ll144", "suppress", "compare")
EXAMPLE_FILES = {"audit.html": "examples/my-audit/audit.html",
                 "compare.html": "examples/before-vs-after/compare.html"}


def collect(folder: Path, stdout: dict[str, str]) -> dict:
    """What the page needs from the example commands run in ``folder``.

    Parameters
    ----------
    folder : pathlib.Path
        Where the commands ran (their ``--out`` folders are in it).
    stdout : dict
        Each command's standard output, by name (``audit`` and the extra ones).

    Returns
    -------
    dict
        ``stdout`` and ``audit`` of the main command (as before), ``extra``
        per extra command, and ``files``: the reports' text.
    """
    def read(*parts: str) -> str:
        return folder.joinpath(*parts).read_text(encoding="utf-8")

    ll144 = json.loads(read("ll144-audit", "audit.json"))
    published = json.loads(read("published-audit", "audit.json"))
    return {
        "stdout": stdout["audit"], "audit": json.loads(read("my-audit", "audit.json")),
        "extra": {
            "ll144": {"stdout": stdout["ll144"], "ll144": ll144["ll144"]},
            "suppress": {"stdout": stdout["suppress"],
                         "markdown": read("published-audit", "audit.md"),
                         "suppression": published["suppression"]},
            "after": {"stdout": stdout["after"]},
            "compare": {"stdout": stdout["compare"],
                        "compare": json.loads(read("before-vs-after", "compare.json"))},
        },
        "files": {"audit.html": read("my-audit", "audit.html"),
                  "compare.html": read("before-vs-after", "compare.html")},
    }


def _section(markdown: str, heading: str) -> str:
    """The table under ``heading`` in an ``audit.md`` (up to the first blank line after it)."""
    lines = markdown.splitlines()
    start = lines.index(heading) + 2
    end = lines.index("", start)
    return "\n".join(lines[start:end])


def example_part(name: str, run: dict) -> str:
    """One generated part of "Audit your own model" (``html``, ``ll144``, ``suppress``,
    ``compare``), from the cached example run."""
    from reports import _example

    extra = run["extra"]
    context = {"ctx": Context(root=""), "run": run, "extra": extra, "files": EXAMPLE_FILES,
               "commands": {k: _example.display_command(c)
                            for k, c in _example.EXTRA_COMMANDS.items()}}
    if name == "suppress":
        context["excerpt"] = _section(extra["suppress"]["markdown"], "## race\\_ethnicity")
        context["suppression_json"] = json.dumps(extra["suppress"]["suppression"], indent=1,
                                                 ensure_ascii=False)
    return environment().get_template(f"example_{name}.md.j2").render(**context).rstrip() + "\n"
