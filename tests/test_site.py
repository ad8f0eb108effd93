"""The published casebook: case pages, figures, site-wide pages and the mkdocs build.

The pages are rendered from a small hiring record made here (2,000 rows, no
mitigations) plus a hand-made mitigations section, so the tests do not depend
on the committed records being up to date.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from cases import get_case
from cases._runner import run_case
from reports import _pages
from reports._example import GROUPS, example_csv, make_loan_decisions
from reports._figures import OKABE_ITO, save_svg
from reports._io import write_json
from reports.build import ROOT, build_site, render_example, render_pages

WEIRD = "a|b <i>*x*</i> [y](z)"
SECTIONS = ["At a glance", "The real system", "The synthetic world", "The model", "The audit",
            "What the simulation shows", "Label versus truth", "Mitigations", "What if",
            "Regulation", "Limitations", "Discussion questions", "Re-run it", "Sources"]


def _est(v, lo, hi):
    return {"value": v, "ci_low": lo, "ci_high": hi}


def _entry(name, acc, diff, pareto, needs, stage="post", error=None):
    e = {"name": name, "library": name.split(".")[0], "stage": stage, "constraint": "demographic "
         "parity", "needs_sensitive_at_prediction": needs, "description": f"{name} does things.",
         "notes": ["a note with a | pipe"], "error": error, "pareto": pareto}
    if error is None:
        e.update({"accuracy": _est(acc, acc - 0.01, acc + 0.01),
                  "balanced_accuracy": _est(acc, acc - 0.01, acc + 0.01),
                  "headline": {"difference": _est(diff, diff - 0.02, diff + 0.02),
                               "ratio": _est(0.8, 0.7, 0.9)},
                  "demographic_parity_difference": _est(abs(diff), 0.01, 0.2),
                  "equalized_odds_difference": _est(0.1, 0.05, 0.2)})
    return e


@pytest.fixture(scope="module")
def record():
    rec = run_case(get_case("hiring"), seed=0, n_samples=2000, mitigations=False)
    rec["mitigations"] = {
        "attribute": "sex", "reference": "male",
        "baseline": _entry("baseline (no mitigation)", 0.78, -0.1, True, False, "none"),
        "entries": [_entry("fairlearn.ThresholdOptimizer(DP)", 0.76, -0.01, True, True),
                    _entry("aif360.Reweighing", 0.77, -0.05, False, False, "pre"),
                    _entry("aif360.Broken", 0, 0, False, True, error="ValueError: <boom> | x")]}
    return json.loads(json.dumps(rec))


def _render(record, case=None, ctx=None):
    case = case or get_case("hiring")
    narrative = _pages.read_narrative(ROOT / "cases" / "text" / "hiring.md")
    return _pages.render_case(case, record, "0" * 64, narrative, ctx)


def _headings(markdown: str, level: int = 2) -> list[str]:
    return [m.group(1) for m in re.finditer(rf"^{'#' * level} (.+)$", markdown, re.M)]


def test_sections_in_the_issues_order(record):
    page = _render(record)
    found = ["At a glance"] + _headings(page.markdown)
    assert found == SECTIONS
    assert page.markdown.index('!!! abstract "At a glance"') < page.markdown.index("## The real")


def test_every_number_block_says_synthetic(record):
    md = _render(record).markdown
    glance = md.split("## The real system")[0]
    assert "data are synthetic" in glance
    audit = md.split("## The audit")[1].split("\n### ")[0]
    assert "synthetic" in audit
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", md)
    assert captions and all("Synthetic data" in c for c in captions)
    assert "synthetic" in md.split("## Mitigations")[1].split("\n\n")[1]


def test_headline_numbers_come_from_the_record(record):
    md = _render(record).markdown
    h = record["headline"]
    assert _pages.prose(h["difference"], "points") in md
    assert _pages.cell(h["ratio"]) in md
    assert record["manifest"]["command"] in md
    assert record["manifest"]["data_sha256"] in md
    for package, v in record["manifest"]["versions"].items():
        assert f"| {package} | `{v}` |" in md


def test_user_strings_are_escaped(record):
    rec = copy.deepcopy(record)
    g = rec["audit"]["groups"][0]
    old = g["group"]
    g["group"] = WEIRD
    for d in rec["audit"]["disparities"]:
        if d["attribute"] == g["attribute"] and d["group"] == old:
            d["group"] = WEIRD
    rec["audit"]["attributes"][0] = rec["audit"]["attributes"][0]
    md = _render(rec).markdown
    assert WEIRD not in md
    assert r"a\|b &lt;i&gt;\*x\*&lt;/i&gt; \[y\]\(z\)" in md
    # the figure's alt text and caption hold no raw tag either
    for alt in re.findall(r"!\[(.*?)\]\(figures/", md):
        assert "<i>" not in alt
    assert "<boom>" not in md and "&lt;boom&gt;" in md


def test_mitigations_table_and_failures(record):
    md = _render(record).markdown
    section = md.split("## Mitigations")[1].split("\n## ")[0]
    rows = [line for line in section.splitlines() if re.match(r"\| \d+ \|", line)]
    assert len(rows) == 3  # the baseline and two that ran
    assert all("the sensitive attribute at prediction time" in line for line in rows)
    assert sum("**needs** the sensitive attribute at prediction time" in r for r in rows) == 1
    assert "aif360.Broken" in section.split("failed")[1]
    assert "a note with a \\| pipe" in section


def test_display_blocks_are_rendered(record):
    def display(rec):
        return [
            {"kind": "text", "markdown": "**Own words** with a number."},
            {"kind": "table", "title": "A `code` title", "columns": ["What", "Value"],
             "rows": [["share <b>", _est(0.5, 0.4, 0.6)], ["count", 1234]],
             "caption": "A caption.", "percent": [False, True]},
            {"kind": "figure", "id": "My Figure!", "title": "T", "caption": "Cap.",
             "alt": "Alt text", "chart": "line", "xlabel": "x", "ylabel": "y",
             "percent_y": True, "xscale": "linear", "reference_line": 0.5,
             "series": [{"label": "s", "x": [1, 2, 3], "y": [0.1, 0.5, 0.9],
                         "low": [0.0, 0.4, 0.8], "high": [0.2, 0.6, 1.0]}]},
        ]

    case = dataclasses.replace(get_case("hiring"), display=display)
    page = _render(record, case)
    section = page.markdown.split("## What the simulation shows")[1].split("\n## ")[0]
    assert "**Own words** with a number." in section
    assert "A `code` title" in section
    assert "share &lt;b&gt;" in section
    assert "50% [40%,\u00a060%]" in section
    assert "1,234" in section
    assert "figures/hiring-my-figure.svg" in section
    assert "Cap. Synthetic data." in section
    spec = next(f for f in page.figures if f.name == "hiring-my-figure.svg")
    assert spec.make() is not None


def test_figures_are_deterministic_svg(record, tmp_path):
    page = _render(record)
    names = [f.name for f in page.figures]
    assert "hiring-mitigations.svg" in names
    assert any(n.startswith("hiring-sweep-") for n in names)
    assert any(n.startswith("hiring-audit-") for n in names)
    for spec in page.figures:
        a, b = tmp_path / "a" / spec.name, tmp_path / "b" / spec.name
        save_svg(spec.make(), a)
        save_svg(spec.make(), b)
        data = a.read_bytes()
        assert data == b.read_bytes(), spec.name
        text = data.decode()
        assert text.lstrip().startswith("<?xml") and "<svg" in text
        assert "<dc:date>" not in text and "Matplotlib v" not in text
        colours = {c.lower() for c in re.findall(r"#[0-9A-Fa-f]{6}", text)}
        assert colours & {c.lower() for c in OKABE_ITO.values()}
    alts = re.findall(r"!\[(.+?)\]\(figures/", page.markdown)
    assert len(alts) == len(page.figures) and all(len(a) > 40 for a in alts)


def test_print_page(record):
    ctx = _pages.Context(root="", figures="cases/figures/", print_mode=True)
    md = _render(record, ctx=ctx).markdown
    assert md.startswith("## Hiring automation")
    assert "\n### The audit" in md and "\n#### By sex" in md
    assert "[^" not in md  # footnotes became the case's own numbered list
    assert '<a id="hiring-source-1"></a>' in md and 'href="#hiring-source-1"' in md
    assert "](cases/figures/hiring-audit-1.svg)" in md
    assert "](glossary.md#selection_rate)" in md
    whole = _pages.print_page([md], "# Methodology\n\n## Counts\n")
    assert whole.startswith("# The whole casebook")
    assert "## Hiring automation" in whole and "## Methodology { .casebook-case }" in whole


def test_home_tables():
    case = get_case("hiring")
    pit = _pages.pitfalls_table([case])
    assert "(cases/hiring.md)" in pit and "✓" in pit
    for p in case.pitfalls:
        assert _pages.escape_markdown(p)[1:] in pit


def test_example_file_is_deterministic_and_has_the_tricky_group():
    assert example_csv() == example_csv()
    rows = make_loan_decisions()
    assert {r["group"] for r in rows} == set(GROUPS)
    assert any("|" in g and "<" in g for g in GROUPS)
    shipped = ROOT / "docs" / "examples" / "loan_decisions.csv"
    if shipped.exists():
        assert shipped.read_bytes() == example_csv(), "run `casebook build` to refresh it"


@pytest.mark.slow
def test_strict_site_build_from_a_record(record, tmp_path):
    """Pages, home tables, the example audit and `mkdocs build --strict` in a scratch folder."""
    records, docs, site = tmp_path / "records", tmp_path / "docs", tmp_path / "site"
    write_json(records / "hiring.json", record)
    docs.mkdir()
    for p in (ROOT / "docs").iterdir():
        if p.name in {"cases", "_generated", "print.md"}:
            continue
        (shutil.copytree if p.is_dir() else shutil.copy)(p, docs / p.name)
    logs: list[str] = []
    result = render_pages({"hiring": get_case("hiring")}, records, docs, logs.append)
    assert result["pages"] == ["hiring"] and result["figures"] >= 4
    again = render_pages({"hiring": get_case("hiring")}, records, docs, logs.append)
    assert again == {"pages": [], "figures": 0}  # nothing changed: nothing drawn
    render_example(docs, logs.append)
    snippet = (docs / "_generated" / "example_audit.md").read_text(encoding="utf-8")
    assert "casebook audit docs/examples/loan_decisions.csv" in snippet
    assert r"&lt;25 \| student" in snippet  # the tricky group name, escaped, in the table
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    config["docs_dir"] = str(docs)
    config["site_dir"] = str(site)
    config["hooks"] = [str(ROOT / "reports" / "_mkdocs_hooks.py")]
    for ext in config["markdown_extensions"]:
        if isinstance(ext, dict) and "pymdownx.snippets" in ext:
            ext["pymdownx.snippets"]["base_path"] = [str(docs / "_generated")]
    cfg = tmp_path / "mkdocs.yml"
    cfg.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    assert build_site(docs, site, logs.append, config=cfg) == 0, "\n".join(logs)
    html = (site / "cases" / "hiring.html").read_text(encoding="utf-8")
    for section in SECTIONS[1:]:
        assert f">{section}<" in html or f">{section}</h2>" in html, section
    assert 'class="admonition abstract"' in html
    assert html.count("<figure") == len(list((docs / "cases" / "figures").glob("*.svg")))
    for name in re.findall(r'src="figures/([^"]+)"', html):
        assert (site / "cases" / "figures" / name).exists()
    for page in ("index.html", "audit-your-own-model.html", "methodology.html",
                 "teaching.html", "print.html", "glossary.html"):
        assert (site / page).exists(), page
    index = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="cases/hiring.html"' in index
    _no_third_party(site)
    assert build_site(docs, site, logs.append, config=cfg) == 0
    assert logs[-1] == "site: up to date"


def _no_third_party(site: Path) -> None:
    """No page loads a script, style sheet, font or image from another host."""
    pattern = re.compile(r'<(?:script|link|img|iframe|source)\b[^>]*?(?:src|href)="(https?:)?//',
                         re.I)
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        bad = [m.group(0) for m in pattern.finditer(text)
               if 'rel="canonical"' not in m.group(0)]
        assert not bad, (page, bad[:3])
    for css in site.rglob("*.css"):
        assert not re.search(r"@import\s+url\(\s*['\"]?https?:", css.read_text()), css
        assert "fonts.googleapis" not in css.read_text()


def test_record_sha_on_page_is_file_sha(tmp_path, record):
    path = tmp_path / "r.json"
    sha = write_json(path, record)
    assert sha == hashlib.sha256(path.read_bytes()).hexdigest()
    page = _pages.render_case(get_case("hiring"), record, sha,
                              _pages.read_narrative(ROOT / "cases" / "text" / "hiring.md"))
    assert sha in page.markdown
