"""audit.html and compare.html in a real browser, opened from file://.

No request leaves the page, no console error, a hostile group name stays
text, every figure is inline SVG with a title, and the page prints to PDF.
Skipped, with the reason, where ``/usr/bin/chromium`` is absent (``.ci/run``
installs it).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reports.cli import main

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
HOSTILE = "a|b <i>*x*</i>"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="/usr/bin/chromium is not installed (apt-get install chromium; "
                              ".ci/run installs it)"),
]


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Path]:
    """An audit (with the LL144 table and a suppressed group) and a comparison, of data
    whose group and column values include HOSTILE."""
    tmp = tmp_path_factory.mktemp("reports")
    paths = {}
    for name, shift in (("before", 0), ("after", 30)):
        rows = ["y,pred,sex,race,score"]
        for i in range(600):
            sex = HOSTILE if i % 3 == 0 else "male"
            race = "White" if i % 5 else "Black"
            if i >= 594:
                race = "<script>alert(1)</script>"  # 6 rows: suppressed below 10
            pred = int((i * 7) % 100 < 45 + (shift if sex == HOSTILE else 0))
            rows.append(f"{i % 2},{pred},\"{sex}\",\"{race}\",{(i * 37 % 100) / 100}")
        (tmp / f"{name}.csv").write_text("\n".join(rows) + "\n")
        assert main(["audit", str(tmp / f"{name}.csv"), "--label", "y", "--prediction", "pred",
                     "--sensitive", "sex", "--sensitive", "race", "--reference", "sex=male",
                     "--ll144", "--suppress-below", "10", "--bootstrap", "200",
                     "--no-cross-check", "--out", str(tmp / name)]) == 0
        paths[name] = tmp / name / "audit.html"
    assert main(["compare", str(tmp / "before"), str(tmp / "after"), "--bootstrap", "200",
                 "--out", str(tmp / "cmp")]) == 0
    paths["compare"] = tmp / "cmp" / "compare.html"
    return paths


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    pg = context.new_page()
    pg.requests, pg.errors = [], []
    context.on("request", lambda r: pg.requests.append(r.url))
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.on("dialog", lambda d: (pg.errors.append(f"dialog: {d.message}"), d.dismiss()))
    yield pg
    context.close()


def _open(page, path: Path) -> None:
    page.goto(path.as_uri(), wait_until="load")
    assert page.requests == [path.as_uri()], page.requests  # nothing but the file itself
    assert not page.errors, page.errors


def _figures_are_drawn_and_named(page) -> int:
    svgs = page.locator("figure svg[role=img]")
    for i in range(svgs.count()):
        svg = svgs.nth(i)
        svg.scroll_into_view_if_needed()
        box = svg.bounding_box()
        assert box and box["width"] > 200 and box["height"] > 50
        title = svg.locator("title").first.text_content()
        assert title and title.startswith("By ")
        labelled = svg.get_attribute("aria-labelledby").split()
        assert all(page.locator(f"[id='{i}']").count() == 1 for i in labelled)
        assert svg.locator("desc").first.text_content()
    return svgs.count()


def test_audit_html_is_self_contained_escaped_and_has_its_figures(page, reports):
    _open(page, reports["before"])
    body = page.locator("body").inner_text()
    assert body.index("Findings") < body.index("By sex")  # the findings come first
    assert page.locator("section#findings li").count() >= 2
    assert HOSTILE in body  # shown as text ...
    assert page.locator("i").count() == 0 and page.locator("script").count() == 0  # ... inert
    assert page.locator("svg i").count() == 0
    assert _figures_are_drawn_and_named(page) == 2  # one per attribute
    # The hostile name reached the figure as text, escaped by matplotlib.
    assert HOSTILE in page.locator("figure svg").first.text_content()
    # The LL144 table and the suppressed category.
    ll144 = page.locator("section#ll144")
    assert ll144.locator("table").count() == 3
    assert "suppressed (n < 10)" in ll144.inner_text()
    assert "suppressed (n < 10)" in page.locator("section#attribute-2").inner_text()
    assert "Prepared for publication" in body
    # Every id is unique, across the inline figures too.
    ids = page.evaluate("[...document.querySelectorAll('[id]')].map(e => e.id)")
    assert len(ids) == len(set(ids))


def test_audit_html_prints_to_pdf(page, reports):
    _open(page, reports["before"])
    page.emulate_media(media="print")
    assert page.locator("figure").first.evaluate(
        "e => getComputedStyle(e).breakInside") == "avoid"
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000


def test_compare_html_is_self_contained_and_escaped(page, reports):
    _open(page, reports["compare"])
    body = page.locator("body").inner_text()
    assert HOSTILE in body and page.locator("i").count() == 0
    assert "widened by" in page.locator("section#summary").inner_text()
    assert page.locator("tr.marked").count() > 0
    assert _figures_are_drawn_and_named(page) >= 1


def test_the_html_source_escapes_every_user_string(reports):
    for path in reports.values():
        text = path.read_text(encoding="utf-8")
        assert HOSTILE not in text and "<script>alert" not in text
        assert "a|b &lt;i&gt;*x*&lt;/i&gt;" in text
        assert "http://" not in text.replace("http://www.w3.org/", "")  # SVG namespaces only
        assert "https://" not in text
    data = json.loads((reports["before"].parent / "audit.json").read_text())
    assert data["suppression"]["groups"][0]["group"] == "<script>alert(1)</script>"
