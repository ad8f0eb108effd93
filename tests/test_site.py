"""The published casebook: case pages, figures, site-wide pages and the mkdocs build.

The pages are rendered from a small hiring record made here (2,000 rows) plus a
hand-made mitigations section, so these tests do not depend on the committed
records; the strict build runs in a scratch copy, never in the working tree.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from pathlib import Path

import pytest

from cases import get_case
from cases.blocks import Col, Figure, Series, Table, Text
from fairness import format_estimate, format_prose
from reports import pages
from reports._example import GROUPS, example_csv, make_loan_decisions
from reports._figures import OKABE_ITO, save_svg
from reports._io import write_json
from reports._paths import ROOT
from reports.build import build_site

WEIRD = "a|b <i>*x*</i> [y](z)"
SECTIONS = ["At a glance", "The real system", "The synthetic world", "The model", "The audit",
            "Explore the threshold", "What this case shows", "Label versus truth",
            "Variants: the same world, other choices", "Mitigations", "What if", "Regulation",
            "Limitations", "Discussion questions", "Re-run it", "Sources"]


def _est(v, lo, hi):
    return {"value": v, "ci_low": lo, "ci_high": hi}


def _entry(name, acc, diff, pareto, needs, stage="post", error=None):
    e = {"name": name, "library": name.split(".")[0], "stage": stage,
         "constraint": "demographic parity", "needs_sensitive_at_prediction": needs,
         "description": f"{name} does things.", "notes": ["a note with a | pipe"],
         "error": error, "pareto": pareto}
    if error is None:
        judged = {"accuracy": _est(acc, acc - 0.01, acc + 0.01),
                  "balanced_accuracy": _est(acc, acc - 0.01, acc + 0.01),
                  "headline": {"difference": _est(diff, diff - 0.02, diff + 0.02),
                               "ratio": _est(0.8, 0.7, 0.9)},
                  "demographic_parity_difference": _est(abs(diff), 0.01, 0.2),
                  "equalized_odds_difference": _est(0.1, 0.05, 0.2)}
        e.update(judged, vs_truth=copy.deepcopy(judged))
    return e


@pytest.fixture(scope="module")
def record(hiring_record):
    rec = copy.deepcopy(hiring_record)
    rec["mitigations"] = {
        "attribute": "sex", "reference": "male",
        "baseline": _entry("baseline (no mitigation)", 0.78, -0.1, True, False, "none"),
        "entries": [_entry("fairlearn.ThresholdOptimizer(DP)", 0.76, -0.01, True, True),
                    _entry("aif360.Reweighing", 0.77, -0.05, False, False, "pre"),
                    _entry("aif360.Broken", 0, 0, False, True, error="ValueError: <boom> | x")]}
    return rec


def _render(record, ctx=None):
    narrative = pages.read_narrative(ROOT / "cases" / "text" / "hiring.md")
    return pages.render_case(get_case("hiring"), record, "0" * 64, narrative, ctx)


def _headings(markdown: str, level: int = 2) -> list[str]:
    return [m.group(1) for m in re.finditer(rf"^{'#' * level} (.+)$", markdown, re.M)]


def test_sections_in_order(record):
    page = _render(record)
    assert ["At a glance"] + _headings(page.markdown) == SECTIONS
    assert page.markdown.index('!!! abstract "At a glance"') < page.markdown.index("## The real")


def test_every_number_block_says_synthetic(record):
    md = _render(record).markdown
    assert "data are synthetic" in md.split("## The real system")[0]
    assert "synthetic" in md.split("## The audit")[1].split("\n### ")[0]
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", md)
    assert captions and all("ynthetic" in c for c in captions)
    assert "synthetic" in md.split("## Mitigations")[1].split("\n\n")[1]


def test_headline_numbers_come_from_the_record(record):
    md = _render(record).markdown
    h = record["headline"]
    assert format_prose(h["difference"], "points") in md
    assert format_prose(h["ratio"]) in md
    assert record["manifest"]["command"] in md
    for package, v in record["manifest"]["versions"].items():
        assert f"| {package} | `{v}` |" in md


def test_four_fifths_on_the_favourable_outcome(record):
    """Hiring: being shortlisted is favourable; the sentence follows the impact ratio."""
    for value, words in ((0.6, "under the four-fifths (0.8) line"),
                         (0.9, "above the four-fifths (0.8) line")):
        rec = copy.deepcopy(record)
        female = next(g for g in rec["audit"]["groups"]
                      if g["attribute"] == "sex" and g["group"] == "female")
        female["impact_ratio"] = _est(value, value - 0.05, value + 0.05)
        assert words in _render(rec).markdown.split("## The real system")[0]
    burden = copy.deepcopy(record)
    burden["audit"]["favorable_prediction"] = 0
    case = get_case("hiring")
    narrative = pages.read_narrative(ROOT / "cases" / "text" / "hiring.md")
    import dataclasses

    md = pages.render_case(dataclasses.replace(case, favorable_prediction=0), burden, "0" * 64,
                           narrative).markdown.split("## The real system")[0]
    assert "is a burden" in md and "*not* being shortlisted" in md
    assert "rule of thumb for adverse impact" not in md


def test_user_strings_are_escaped(record):
    rec = copy.deepcopy(record)
    g = rec["audit"]["groups"][0]
    old = g["group"]
    g["group"] = WEIRD
    for d in rec["audit"]["disparities"]:
        if d["attribute"] == g["attribute"] and d["group"] == old:
            d["group"] = WEIRD
    rec["mitigations"]["attribute"] = WEIRD
    md = _render(rec).markdown
    assert WEIRD not in md
    assert r"a\|b &lt;i&gt;\*x\*&lt;/i&gt; \[y\]\(z\)" in md
    for alt in re.findall(r"!\[(.*?)\]\(figures/", md):
        assert "<i>" not in alt
    assert "<boom>" not in md and "&lt;boom&gt;" in md


def test_a_number_cannot_reach_a_page_unformatted():
    env = pages.environment()
    with pytest.raises(TypeError, match="unformatted"):
        env.from_string("{{ x }}").render(x=0.123)
    assert env.from_string("{{ x|number }}").render(x=0.123) == "0.123"


def test_impact_ratios_keep_two_decimals_on_every_page(record):
    """0.827 against the 0.8 line must not read "0.8", wherever an impact ratio is printed."""
    rec = copy.deepcopy(record)
    g = next(g for g in rec["audit"]["groups"] if not g["is_reference"])
    g["impact_ratio"] = _est(0.827, 0.645, 1.0)
    md = _render(rec).markdown.replace("\u00a0", " ")
    assert "0.83 [0.65, 1.00]" in md and "0.8 [0.6, 1.0]" not in md
    assert format_estimate(g["impact_ratio"]) == "0.8 [0.6, 1.0]"  # a plain number would


def test_mitigations_table_and_failures(record):
    section = _render(record).markdown.split("## Mitigations")[1].split("\n## ")[0]
    rows = [line for line in section.splitlines() if re.match(r"\| \d+ \|", line)]
    assert len(rows) == 3  # the baseline and two that ran
    assert sum("**needs** the sensitive attribute" in r for r in rows) == 1
    assert "against the truth `qualified`" in section and "Difference vs truth" in section
    assert "aif360.Broken" in section.split("failed")[1]
    assert "a note with a \\| pipe" in section


def test_case_blocks_are_rendered(record, monkeypatch):
    def blocks(rec):
        return [Text("**Own words** with a number."),
                Table("A `code` title", [Col("What"), Col("Value", "percent")],
                      [["share <b>", _est(0.5, 0.4, 0.6)], ["count", 1234]], "A caption."),
                Figure("My Figure!", "T", "Cap.", "Alt text",
                       [Series("s", [1, 2, 3], [0.1, 0.5, 0.9], [0.0, 0.4, 0.8],
                               [0.2, 0.6, 1.0])], xlabel="x", ylabel="y", y_kind="percent",
                       reference_line=0.5)]

    monkeypatch.setattr("reports.pages._case.blocks_for", lambda module, rec: blocks(rec))
    page = _render(record)
    section = page.markdown.split("## What this case shows")[1].split("\n## ")[0]
    assert "**Own words** with a number." in section
    assert "A `code` title" in section and "share &lt;b&gt;" in section
    assert "50% [40%,\u00a060%]" in section and "1,234" in section
    assert "figures/hiring-my-figure.svg" in section and "Cap. Synthetic data." in section
    spec = next(f for f in page.figures if f.name == "hiring-my-figure.svg")
    assert spec.make() is not None


def test_figures_are_deterministic_svg(record, tmp_path):
    page = _render(record)
    names = [f.name for f in page.figures]
    assert "hiring-mitigations.svg" in names and "hiring-importance.svg" in names
    assert any(n.startswith("hiring-sweep-") for n in names)
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
    ctx = pages.Context(root="", figures="cases/figures/", print_mode=True)
    md = _render(record, ctx=ctx).markdown
    assert md.startswith("## Hiring automation")
    assert "\n### The audit" in md and "\n#### By sex" in md
    assert "[^" not in md  # footnotes became the case's own numbered list
    assert '<a id="hiring-source-1"></a>' in md and 'href="#hiring-source-1"' in md
    assert "](cases/figures/hiring-audit-1.svg)" in md and "](glossary.md#selection_rate)" in md
    whole = pages.print_page([md], "# Methodology\n\n## Counts\n")
    assert whole.startswith("# The whole casebook")
    assert "## Hiring automation" in whole and "## Methodology { .casebook-case }" in whole


def test_home_tables(record):
    case = get_case("hiring")
    pit = pages.pitfalls_table([case])
    assert "(cases/hiring.md)" in pit and "✓" in pit
    assert "A model that can hardly be interpreted" in pit
    assert "Would users accept a system they cannot interpret?" in pit
    cases = pages.cases_table([case], {"hiring": record})
    assert "being shortlisted" in cases and "−" in cases


def test_example_file_is_deterministic_and_has_the_tricky_group():
    assert example_csv() == example_csv()
    assert {r["group"] for r in make_loan_decisions()} == set(GROUPS)
    assert any("|" in g and "<" in g for g in GROUPS)
    shipped = ROOT / "docs" / "examples" / "loan_decisions.csv"
    assert shipped.read_bytes() == example_csv(), "run `casebook build` to refresh it"


@pytest.mark.slow
def test_strict_site_build_in_a_scratch_folder(record, tmp_path, scratch_site):
    cfg, rec_dir = scratch_site(tmp_path, {"hiring": record})
    site = tmp_path / "site"
    logs: list[str] = []
    assert build_site(site, logs.append, config=cfg, records=rec_dir) == 0, "\n".join(logs)
    html = (site / "cases" / "hiring.html").read_text(encoding="utf-8")
    for section in SECTIONS[1:]:
        assert f">{section}<" in html, section
    assert 'class="admonition abstract"' in html
    for name in re.findall(r'src="figures/([^"]+)"', html):
        assert (site / "cases" / "figures" / name).exists()
    for page in ("index.html", "audit-your-own-model.html", "methodology.html",
                 "teaching.html", "print.html", "glossary.html"):
        assert (site / page).exists(), page
    assert 'href="cases/hiring.html"' in (site / "index.html").read_text(encoding="utf-8")
    example = (site / "audit-your-own-model.html").read_text(encoding="utf-8")
    assert "loan_decisions.csv" in example and "Audited 2,000 rows" in example
    assert "&lt;25 | student" in example  # the tricky group name, escaped, in the table
    # The auditor's features, each shown on the example file by a run at build time.
    assert "casebook:example-" not in example
    for part in ("NYC Local Law 144 table", "casebook compare", "--suppress-below"):
        assert part in example
    assert "suppressed (n &lt; 30)" in example and "may be excluded" in example
    assert "narrowed by" in example  # the comparison's summary in words
    for report in ("examples/my-audit/audit.html", "examples/before-vs-after/compare.html"):
        assert f'"{report}"' in example and (site / report).exists(), report
    methodology = (site / "methodology.html").read_text(encoding="utf-8")
    assert "Rate: coverage" in methodology and "casebook:coverage" not in methodology
    _no_third_party(site)
    assert not (ROOT / "docs" / "cases").exists(), "the build wrote into the working tree"
    assert build_site(site, logs.append, config=cfg, records=rec_dir) == 0
    assert logs[-1] == "site: up to date"


def _no_third_party(site: Path) -> None:
    """No page loads a script, style sheet, font or image from another host."""
    pattern = re.compile(r'<(?:script|link|img|iframe|source)\b[^>]*?(?:src|href)="(https?:)?//',
                         re.I)
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        bad = [m.group(0) for m in pattern.finditer(text) if 'rel="canonical"' not in m.group(0)]
        assert not bad, (page, bad[:3])
    for css in site.rglob("*.css"):
        assert not re.search(r"@import\s+url\(\s*['\"]?https?:", css.read_text()), css
        assert "fonts.googleapis" not in css.read_text()


def test_record_sha_on_page_is_file_sha(tmp_path, record):
    path = tmp_path / "r.json"
    sha = write_json(path, record)
    assert sha == hashlib.sha256(path.read_bytes()).hexdigest()
    page = pages.render_case(get_case("hiring"), json.loads(path.read_text()), sha,
                             pages.read_narrative(ROOT / "cases" / "text" / "hiring.md"))
    assert sha in page.markdown
