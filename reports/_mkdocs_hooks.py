"""mkdocs hooks (``hooks:`` in ``mkdocs.yml``): the case pages are made inside the build.

- ``on_config``: the navigation, from the registered cases that have a record;
- ``on_files``: every case page, its figures, its notebook and its seminar
  worksheet, and the print page, rendered from the records and declarations
  as generated files (nothing is written into ``docs/``), and the reports the
  worked examples wrote (``audit.html``, ``compare.html``);
- ``on_page_markdown``: the generated parts of hand-written pages, in place
  of ``<!-- casebook:NAME -->`` markers (the home page's tables, the example
  audit, the coverage table).

Figures and the example audit are cached by fingerprint in
``.cache/casebook`` (``CASEBOOK_CACHE``), so a warm build draws nothing. The
records are read from ``CASEBOOK_RECORDS`` (default ``reports/records``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import subprocess
import sys
import tempfile
from functools import cache
from importlib.metadata import version
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

from cases import all_cases
from reports import pages
from reports._paths import CACHE, RECORDS, ROOT
from reports.pages._examples import EXAMPLE_FILES, EXAMPLE_PARTS, example_part

SITE_PAGES = [
    {"Audit your own model": "audit-your-own-model.md"},
    {"Audit at scale": "audit-at-scale.md"},
    {"Glossary": "glossary.md"},
    {"Methodology": "methodology.md"},
]


def _records_dir() -> Path:
    return Path(os.environ.get("CASEBOOK_RECORDS", RECORDS))


def _cache_dir() -> Path:
    return Path(os.environ.get("CASEBOOK_CACHE", CACHE))


@cache
def _loaded() -> dict[str, tuple]:
    """Each case with a record: (case, record, record's SHA-256), in the casebook's order."""
    out = {}
    for slug, case in all_cases().items():
        path = _records_dir() / f"{slug}.json"
        if path.exists():
            data = path.read_bytes()
            out[slug] = (case, json.loads(data), hashlib.sha256(data).hexdigest())
    return out


def on_config(config):
    """Home, every case with a record, then the site-wide pages."""
    _loaded.cache_clear()
    _example_run.cache_clear()
    cases = _loaded()
    if not cases:
        raise PluginError(f"no case record in {_records_dir()}: run `casebook build`")
    config["nav"] = [
        {"Home": "index.md"},
        {"Cases": [{pages.short_title(c): f"cases/{slug}.md"}
                   for slug, (c, _, _) in cases.items()]},
        *SITE_PAGES,
        {"Teaching": [{"Teaching guide": "teaching.md"},
                      {"Seminar worksheets": [{pages.short_title(c): f"worksheets/{slug}.md"}
                                              for slug, (c, _, _) in cases.items()]}]},
        {"Print the casebook": "print.md"},
    ]
    return config


def _renderer_sha() -> str:
    figures = ROOT / "reports" / "_figures.py"
    return hashlib.sha256(figures.read_bytes() + version("matplotlib").encode()).hexdigest()


def _svg(spec: pages.FigureSpec, renderer: str) -> bytes:
    """A figure's SVG, drawn only when its data or the renderer changed."""
    key = hashlib.sha256((renderer + spec.fingerprint).encode()).hexdigest()[:32]
    path = _cache_dir() / "figures" / f"{key}.svg"
    if not path.exists():
        from reports._figures import save_svg

        save_svg(spec.make(), path)
    return path.read_bytes()


def on_files(files, config):
    """Add every case page, its figures and the print page to the build."""
    renderer = _renderer_sha()
    text_dir = ROOT / "cases" / "text"
    print_parts = []
    for slug, (case, record, sha) in _loaded().items():
        narrative = pages.read_narrative(text_dir / f"{slug}.md")
        page = pages.render_case(case, record, sha, narrative)
        files.append(File.generated(config, f"cases/{slug}.md", content=page.markdown))
        for spec in page.figures:
            files.append(File.generated(config, f"cases/figures/{spec.name}",
                                        content=_svg(spec, renderer)))
        files.append(File.generated(config, f"notebooks/{slug}.ipynb",
                                    content=_notebook(case)))
        files.append(File.generated(config, f"worksheets/{slug}.md",
                                    content=pages.worksheet(case, record)))
        print_parts.append(pages.render_case(
            case, record, sha, narrative,
            pages.Context(root="", figures="cases/figures/", print_mode=True)).markdown)
    methodology = Path(config["docs_dir"]) / "methodology.md"
    text = _fill(methodology.read_text(encoding="utf-8")) if methodology.exists() else None
    files.append(File.generated(config, "print.md", content=pages.print_page(print_parts, text)))
    for name, path in EXAMPLE_FILES.items():  # the reports the example commands wrote
        files.append(File.generated(config, path, content=_example_run()["files"][name]))
    return files


def _notebook(case) -> str:
    import nbformat

    from reports.notebook import make_notebook

    return nbformat.writes(make_notebook(case)) + "\n"


@cache
def _example_run() -> dict:
    """The worked examples, run as the page shows them (cached by their inputs).

    ``stdout`` and ``audit`` are the main command's; ``extra`` holds each of
    :data:`reports._example.EXTRA_COMMANDS`' output and files.
    """
    from reports import _example
    from reports.pages._examples import collect

    csv_path = ROOT / "docs" / "examples" / "loan_decisions.csv"
    engine = sorted((ROOT / "fairness").rglob("*.py"))
    templates = sorted((ROOT / "reports" / "pages" / "templates").glob("*.j2"))
    h = hashlib.sha256(json.dumps([_example.COMMAND, _example.EXTRA_COMMANDS]).encode())
    for p in [csv_path, ROOT / "reports" / "cli.py", ROOT / "reports" / "_io.py",
              ROOT / "reports" / "_report.py", ROOT / "reports" / "_figures.py",
              ROOT / "reports" / "pages" / "_examples.py", *templates, *engine]:
        h.update(p.read_bytes())
    cached = _cache_dir() / "example" / f"{h.hexdigest()[:32]}.json"
    if not cached.exists():
        commands = {"audit": _example.COMMAND, **_example.EXTRA_COMMANDS}
        outputs = {}
        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp) / _example.EXAMPLE_REL
            target.parent.mkdir(parents=True)
            target.write_bytes(csv_path.read_bytes())
            for name, command in commands.items():
                proc = subprocess.run([sys.executable, "-m", "reports.cli",
                                       *shlex.split(command)[1:]], cwd=tmp,
                                      capture_output=True, text=True,
                                      env={**os.environ, "PYTHONPATH": str(ROOT)})
                if proc.returncode != 0:
                    raise PluginError(f"the example {name!r} failed: {proc.stderr.strip()}")
                outputs[name] = proc.stdout.rstrip()
            run = collect(Path(tmp), outputs)
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_text(json.dumps(run))
    return json.loads(cached.read_text())


def _example_audit() -> str:
    from reports import _example

    return pages.example_audit(_example_run(), _example.display_command())


def _fill(markdown: str) -> str:
    """Replace the ``<!-- casebook:NAME -->`` markers of a hand-written page."""
    if "<!-- casebook:" not in markdown:
        return markdown
    loaded = _loaded()
    cases = [c for c, _, _ in loaded.values()]
    parts = {
        "cases-table": lambda: pages.cases_table(cases, {s: r for s, (_, r, _) in
                                                         loaded.items()}),
        "pitfalls-table": lambda: pages.pitfalls_table(cases),
        "example-audit": _example_audit,
        **{f"example-{k}": (lambda k=k: example_part(k, _example_run()))
           for k in EXAMPLE_PARTS},
        "coverage-table": lambda: pages.coverage_table(
            json.loads((_records_dir() / "coverage.json").read_text(encoding="utf-8"))),
    }
    for name, make in parts.items():
        marker = f"<!-- casebook:{name} -->"
        if marker in markdown:
            markdown = markdown.replace(marker, make())
    return markdown


def on_page_markdown(markdown, page, config, files):
    return _fill(markdown)
