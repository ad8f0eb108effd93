"""The built site in a real browser: Playwright driving Debian's chromium.

Every case page loads without a console error and without a request to any
host but the local server; every figure has a rendered size; the site search
finds a case by a word from its title; the navigation reaches every case.
Skipped, with the reason shown, where ``/usr/bin/chromium`` is absent
(``.ci/run`` installs it).
"""

from __future__ import annotations

import functools
import re
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="/usr/bin/chromium is not installed (apt-get install chromium; "
                              ".ci/run installs it)"),
]


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory, scratch_site) -> Path:
    """The site built from the committed records into a scratch folder (never the working
    tree: the records there are what CI verifies)."""
    import json

    from reports._paths import RECORDS
    from reports.build import build_site

    tmp = tmp_path_factory.mktemp("browser")
    records = {p.stem: json.loads(p.read_text(encoding="utf-8"))
               for p in RECORDS.glob("*.json") if p.name != "coverage.json"}
    cfg, rec_dir = scratch_site(tmp, records)
    messages: list[str] = []
    assert build_site(tmp / "site", messages.append, config=cfg, records=rec_dir) == 0, \
        "\n".join(messages)
    return tmp / "site"


@pytest.fixture(scope="module")
def server(site):
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A page that records every request and every console error."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.requests, pg.errors = [], []
    context.on("request", lambda r: pg.requests.append(r.url))
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    yield pg
    context.close()


def _cases():
    from cases import all_cases

    return list(all_cases().values())


def _h1(pg) -> str:
    return pg.locator("h1").first.inner_text().replace("\u00b6", "").strip()  # no permalink


def _foreign(urls: list[str]) -> list[str]:
    out = []
    for u in urls:
        parsed = urlparse(u)
        if parsed.scheme in {"data", "blob", "about"}:
            continue
        if parsed.hostname != "127.0.0.1":
            out.append(u)
    return out


def test_case_pages_load_cleanly_with_their_figures(page, server):
    for case in _cases():
        page.errors.clear()
        response = page.goto(f"{server}/cases/{case.slug}.html", wait_until="load")
        assert response is not None and response.ok, case.slug
        assert _h1(page) == case.title
        images = page.locator("article img")
        assert images.count() > 0, f"{case.slug}: no figures"
        for i in range(images.count()):
            img = images.nth(i)
            img.scroll_into_view_if_needed()
            size = img.evaluate("e => [e.complete, e.naturalWidth, e.getBoundingClientRect()"
                                ".width, e.getBoundingClientRect().height]")
            assert size[0] and size[1] > 0 and size[2] > 0 and size[3] > 0, (
                case.slug, img.get_attribute("src"), size)
            assert img.get_attribute("alt"), (case.slug, img.get_attribute("src"))
        assert not page.errors, (case.slug, page.errors)
    assert not _foreign(page.requests), _foreign(page.requests)


def test_site_pages_call_no_other_host(page, server):
    for name in ("index.html", "audit-your-own-model.html", "methodology.html", "teaching.html",
                 "glossary.html", "print.html"):
        page.errors.clear()
        response = page.goto(f"{server}/{name}", wait_until="load")
        assert response is not None and response.ok, name
        assert not page.errors, (name, page.errors)
    assert not _foreign(page.requests), _foreign(page.requests)


def test_search_finds_each_case_by_a_word_of_its_title(page, server):
    page.goto(f"{server}/index.html", wait_until="load")
    for case in _cases():
        word = max(re.findall(r"[A-Za-z]{4,}", case.title.split(":")[0]), key=len)
        box = page.locator("input.md-search__input")
        box.click()  # the header's search box (visible at desktop width)
        box.fill("")
        box.type(word, delay=20)
        hit = page.locator(f".md-search-result__item a[href*='cases/{case.slug}.html']")
        hit.first.wait_for(state="attached", timeout=10_000)
        assert hit.count() > 0, (case.slug, word)
        page.keyboard.press("Escape")
    assert not page.errors, page.errors


def test_navigation_reaches_every_case(page, server):
    page.goto(f"{server}/index.html", wait_until="load")
    for case in _cases():
        links = page.locator("nav.md-nav--primary a.md-nav__link")
        index = links.evaluate_all("(els, s) => els.findIndex(e => e.href.endsWith(s))",
                                   f"/cases/{case.slug}.html")  # hrefs are relative
        assert index >= 0, f"{case.slug} is not in the navigation"
        links.nth(index).click()
        page.wait_for_url(f"**/cases/{case.slug}.html")
        assert _h1(page) == case.title
    assert not page.errors, page.errors
    assert not _foreign(page.requests), _foreign(page.requests)


# --------------------------------------------------------------------------- the explorer

def _explorer_cases():
    import json

    from reports._paths import RECORDS

    out = []
    for case in _cases():
        record = json.loads((RECORDS / f"{case.slug}.json").read_text(encoding="utf-8"))
        if "explorer" in record:
            out.append((case, record))
    return out


def _displayed(page) -> dict:
    rows = page.eval_on_selector_all(
        "[data-explorer] [data-metric]",
        "els => els.map(e => [e.dataset.against, e.dataset.group, e.dataset.metric,"
        " e.dataset.value])")
    return {(a, g, m): (float(v) if v != "" else None) for a, g, m, v in rows}


def _expected(ex: dict, attr: str, thresholds: dict[str, int]) -> dict:
    """The explorer's numbers recomputed here from the record's histograms."""
    out = {}
    a = ex["attributes"][attr]
    for against, per_group in a["counts"].items():
        fav, eligible = {}, []
        for g in a["groups"]:
            k = thresholds[g]
            pos, neg = per_group[g]["pos"], per_group[g]["neg"]
            tp, fp = sum(pos[k + 1:]), sum(neg[k + 1:])
            fn, tn = sum(pos) - tp, sum(neg) - fp
            n = tp + fp + fn + tn

            def r(x, y):
                return x / y if y else None

            sr = r(tp + fp, n)
            out[(against, g, "selection_rate")] = sr
            out[(against, g, "tpr")] = r(tp, tp + fn)
            out[(against, g, "fpr")] = r(fp, fp + tn)
            out[(against, g, "ppv")] = r(tp, tp + fp)
            fav[g] = sr if ex["favorable_prediction"] == 1 else 1 - sr
            if n >= ex["min_group_size"] and n / ex["rows"] >= ex["min_group_share"]:
                eligible.append(fav[g])
        top = max(eligible or fav.values())
        for g in a["groups"]:
            out[(against, g, "favorable_rate")] = fav[g]
            out[(against, g, "impact_ratio")] = fav[g] / top if top > 0 else None
    return out


def _close(got: dict, want: dict) -> None:
    assert set(want) <= set(got), set(want) - set(got)
    for key, value in want.items():
        if value is None:
            assert got[key] is None, key
        else:
            assert got[key] == pytest.approx(value, abs=1e-9), key


def test_the_explorer_starts_at_the_records_numbers(page, server):
    cases = _explorer_cases()
    assert len(cases) >= 3
    for case, record in cases:
        page.errors.clear()
        page.goto(f"{server}/cases/{case.slug}.html", wait_until="load")
        ex = record["explorer"]
        attr = ex["headline_attribute"]
        got = _displayed(page)
        audits = {"label": record["audit"], **record.get("audits", {})}
        for g in record["audit"]["groups"]:
            if g["attribute"] != attr:
                continue
            for against, audit in audits.items():
                if (against, g["group"], "tpr") not in got:
                    continue
                mine = next(x for x in audit["groups"]
                            if x["attribute"] == attr and x["group"] == g["group"])
                for m in ("selection_rate", "tpr", "fpr", "ppv"):
                    want = mine["metrics"][m]["value"]
                    assert (got[(against, g["group"], m)] is None) == (want is None), (case, m)
                    if want is not None:
                        assert got[(against, g["group"], m)] == pytest.approx(want, abs=1e-9)
                assert got[(against, g["group"], "impact_ratio")] == pytest.approx(
                    mine["impact_ratio"]["value"], abs=1e-9), (case.slug, g["group"])
        _close(got, _expected(ex, attr, {g: ex["threshold_index"]
                                         for g in ex["attributes"][attr]["groups"]}))
        assert not page.errors, (case.slug, page.errors)
    assert not _foreign(page.requests), _foreign(page.requests)


def test_moving_a_slider_recomputes_from_the_histograms(page, server):
    case, record = _explorer_cases()[0]
    ex = record["explorer"]
    attr = ex["headline_attribute"]
    groups = ex["attributes"][attr]["groups"]
    page.goto(f"{server}/cases/{case.slug}.html", wait_until="load")
    thresholds = {g: ex["threshold_index"] for g in groups}
    # The keyboard moves one group's threshold: the slider is labelled with its name.
    one = page.locator(f'[data-explorer] input[type=range][aria-label="{groups[0]}"]')
    one.focus()
    for _ in range(7):
        page.keyboard.press("ArrowRight")
    thresholds[groups[0]] += 7
    before = _displayed(page)
    _close(before, _expected(ex, attr, thresholds))
    # The "all groups" slider moves every group.
    every = page.locator('[data-explorer] input[type=range][aria-label="all groups"]')
    every.focus()
    page.keyboard.press("Home")
    _close(_displayed(page), _expected(ex, attr, {g: 0 for g in groups}))
    page.keyboard.press("End")
    last = len(ex["edges"]) - 1
    _close(_displayed(page), _expected(ex, attr, {g: last for g in groups}))
    assert not page.errors, page.errors


def test_the_equalising_buttons_trade_one_rate_for_another(page, server):
    case, record = _explorer_cases()[0]
    ex = record["explorer"]
    attr = ex["headline_attribute"]
    ref = ex["attributes"][attr]["reference"]
    page.goto(f"{server}/cases/{case.slug}.html", wait_until="load")
    page.locator('[data-explorer] button[data-equalise="selection_rate"]').click()
    got = _displayed(page)
    target = got[("label", ref, "selection_rate")]
    spread = {g: abs(got[("label", g, "selection_rate")] - target)
              for g in ex["attributes"][attr]["groups"]}
    assert max(spread.values()) < 0.02, spread
    assert page.locator("[data-explorer] [role=status]").inner_text().strip()
    page.locator("[data-explorer] button[data-reset]").click()
    _close(_displayed(page), _expected(ex, attr, {g: ex["threshold_index"]
                                                  for g in ex["attributes"][attr]["groups"]}))
    assert not page.errors, page.errors


def test_the_explorer_and_search_work_from_file(browser, site):
    """A seminar room may have no server: the page opened from disk still works."""
    case, _ = _explorer_cases()[0]
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    errors, requests = [], []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("request", lambda r: requests.append(r.url))
    pg.goto((site / "cases" / f"{case.slug}.html").as_uri(), wait_until="load")
    assert pg.locator("[data-explorer] input[type=range]").count() >= 3
    assert pg.locator("[data-explorer] [data-metric=tpr]").count() >= 2
    pg.locator("input.md-search__input").click()
    pg.keyboard.type("casebook", delay=20)
    pg.locator(".md-search-result__item a").first.wait_for(state="attached", timeout=10_000)
    assert not errors, errors
    assert all(u.startswith(("file:", "data:", "blob:", "about:")) for u in requests), requests
    context.close()
