"""``casebook build`` (= ``make site``): records up to date, pages rendered, site built.

Three steps, each skipped when its inputs have not changed:

1. **Records.** A case is re-run (seed 0, its default size and knobs, sweeps
   and mitigations) only when ``reports/records/<slug>.json`` is missing, was
   made from other inputs (``manifest.inputs_sha256``: the engine, the case's
   code and text, the lock file), with other package versions, or with other
   settings than the defaults, or when ``force`` is set.
2. **Pages.** ``docs/cases/<slug>.md`` and its SVG figures are rendered from
   the record; a page whose record and renderer are unchanged keeps its
   figures (the page's first line holds the fingerprint). The print page,
   the home page's tables, the navigation and the worked example of "Audit
   your own model" are refreshed the same way.
3. **Site.** ``mkdocs build --strict`` into ``site/``, unless nothing under
   ``docs/`` (or ``mkdocs.yml``) changed since the last build.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECORDS = ROOT / "reports" / "records"
DOCS = ROOT / "docs"
SITE = ROOT / "site"
CONFIG = ROOT / "mkdocs.yml"
GENERATED = "_generated"  # docs/_generated: snippets included by hand-written pages
STAMP = ".casebook-stamp"
RENDERER = [ROOT / "reports" / f for f in ("_pages.py", "_figures.py", "build.py")] + [
    ROOT / "fairness" / "_text.py", ROOT / "fairness" / "_result.py"]
EXAMPLE_INPUTS = [ROOT / "reports" / f for f in ("_example.py", "cli.py", "_io.py", "_pages.py")]

Log = Callable[[str], None]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _files_sha(paths: list[Path], extra: str = "") -> str:
    h = hashlib.sha256(extra.encode())
    for p in paths:
        h.update(str(p.name).encode() + b"\0")
        if p.exists():
            h.update(p.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def _write_if_changed(path: Path, text: str) -> bool:
    data = text.encode("utf-8")
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


# --------------------------------------------------------------------------- records


def stale_reason(case, path: Path, force: bool = False) -> str | None:
    """Why the case's record must be re-made, or ``None`` when it is up to date.

    Parameters
    ----------
    case : cases.Case
        The case.
    path : pathlib.Path
        Its record file.
    force : bool
        Re-make it whatever its state.

    Returns
    -------
    str or None
        The reason, in words.
    """
    from cases._runner import inputs_sha256, versions

    if force:
        return "forced"
    if not path.exists():
        return "no record yet"
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        man = record["manifest"]
    except (ValueError, KeyError) as exc:
        return f"unreadable record ({exc})"
    if man.get("inputs_sha256") != inputs_sha256(case):
        return "its code, text, engine or lock file changed"
    if man.get("versions") != versions():
        diff = [k for k in versions() if man.get("versions", {}).get(k) != versions()[k]]
        return "installed versions differ: " + ", ".join(diff)
    if (man.get("seed"), man.get("n_samples"), man.get("knobs")) != (
            0, case.default_n_samples, case.resolve_knobs()):
        return "not made with the default seed, size and knobs"
    if case.sweeps and "sweeps" not in record:
        return "made without its sweeps"
    if case.decide is None and case.make_model is not None and "mitigations" not in record:
        return "made without its mitigations"
    return None


def _run_one(slug: str) -> tuple[str, dict, float]:
    """Run one case with the defaults (in a worker process)."""
    from cases import get_case
    from cases._runner import run_case

    t0 = time.perf_counter()
    record = run_case(get_case(slug), seed=0,
                      log=lambda msg: print(f"[{slug}] {msg}", file=sys.stderr, flush=True))
    return slug, record, time.perf_counter() - t0


def update_records(cases: dict, records: Path, force: bool, log: Log, jobs: int | None = None
                   ) -> tuple[list[str], list[str]]:
    """Re-run the cases whose records are stale.

    Returns
    -------
    (list of str, list of str)
        The slugs re-run and written, and those whose run failed (their old
        record, if any, is left as it was).
    """
    from reports._io import write_json

    stale = {}
    for slug, case in cases.items():
        reason = stale_reason(case, records / f"{slug}.json", force)
        if reason:
            stale[slug] = reason
            log(f"{slug}: re-running ({reason})")
    if not stale:
        log(f"records: all {len(cases)} up to date")
        return [], []
    done, failed = [], []

    def finish(slug: str, get) -> None:
        try:
            _, record, seconds = get()
        except Exception as exc:  # one broken case must not hide the others' results
            failed.append(slug)
            log(f"{slug}: run FAILED: {type(exc).__name__}: {exc}")
            return
        sha = write_json(records / f"{slug}.json", record)
        done.append(slug)
        log(f"{slug}: record written in {seconds:.0f} s (sha256 {sha[:12]})")

    jobs = jobs or min(len(stale), os.cpu_count() or 1)
    if jobs > 1 and len(stale) > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        ctx = multiprocessing.get_context("spawn")  # no fork after BLAS/OpenMP are loaded
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
            futures = {pool.submit(_run_one, slug): slug for slug in stale}
            for fut in as_completed(futures):
                finish(futures[fut], fut.result)
    else:
        for slug in stale:
            finish(slug, functools.partial(_run_one, slug))
    return done, failed


# --------------------------------------------------------------------------- pages


def _stamp_line(kind: str, fingerprint: str) -> str:
    return (f"<!-- generated by `casebook build` ({kind}); do not edit. "
            f"fingerprint {fingerprint} -->")


def _read_stamp(path: Path) -> str | None:
    if not path.exists():
        return None
    with path.open(encoding="utf-8") as f:
        first = f.readline()
    return first.rsplit("fingerprint ", 1)[-1].split(" ")[0] if "fingerprint" in first else None


def render_pages(cases: dict, records: Path, docs: Path, log: Log, force: bool = False) -> dict:
    """Write the case pages, their figures, the print page, the nav and the home tables.

    Returns
    -------
    dict
        ``{"pages": [slugs rendered], "figures": n_drawn}``.
    """
    from cases._runner import ROOT as CASES_ROOT
    from reports import _pages

    case_dir = docs / "cases"
    fig_dir = case_dir / "figures"
    renderer = _files_sha(RENDERER, extra=_matplotlib_version())
    loaded: dict[str, dict] = {}
    rendered, drawn, wanted = [], 0, set()
    print_parts = []
    for slug, case in cases.items():
        path = records / f"{slug}.json"
        if not path.exists():
            log(f"{slug}: no record, no page")
            continue
        data = path.read_bytes()
        record = json.loads(data)
        loaded[slug] = record
        record_sha = _sha(data)
        text_path = CASES_ROOT / "cases" / "text" / f"{slug}.md"
        narrative = _pages.read_narrative(text_path)
        fingerprint = _sha((record_sha + renderer + _files_sha([text_path])).encode())
        page = _pages.render_case(case, record, record_sha, narrative)
        print_parts.append(_pages.render_case(
            case, record, record_sha, narrative,
            _pages.Context(root="", figures="cases/figures/", print_mode=True)).markdown)
        page_path = case_dir / f"{slug}.md"
        names = [f.name for f in page.figures]
        wanted.update(names)
        fresh = (not force and _read_stamp(page_path) == fingerprint
                 and all((fig_dir / n).exists() for n in names))
        if fresh:
            continue
        from reports._figures import save_svg

        for spec in page.figures:
            save_svg(spec.make(), fig_dir / spec.name)
            drawn += 1
        _write_if_changed(page_path, _stamp_line(f"from reports/records/{slug}.json",
                                                 fingerprint) + "\n" + page.markdown)
        rendered.append(slug)
        log(f"{slug}: page rendered with {len(names)} figures")
    if fig_dir.exists():
        for old in fig_dir.glob("*.svg"):
            if old.name not in wanted:
                old.unlink()
    for old in case_dir.glob("*.md") if case_dir.exists() else []:
        if old.stem not in loaded:
            old.unlink()
    shown = [c for s, c in cases.items() if s in loaded]
    nav = [{"slug": c.slug, "title": _pages.short_title(c)} for c in shown]
    _write_if_changed(case_dir / ".nav.json", json.dumps(nav, indent=1, ensure_ascii=False) + "\n")
    gen = docs / GENERATED
    _write_if_changed(gen / "cases_table.md", _pages.cases_table(shown, loaded))
    _write_if_changed(gen / "pitfalls_table.md", _pages.pitfalls_table(shown))
    methodology = docs / "methodology.md"
    _write_if_changed(docs / "print.md", _stamp_line("the whole casebook", "-") + "\n"
                      + _pages.print_page(print_parts, methodology.read_text(encoding="utf-8")
                                          if methodology.exists() else None))
    return {"pages": rendered, "figures": drawn}


def _matplotlib_version() -> str:
    from importlib.metadata import version

    return "matplotlib " + version("matplotlib")


# --------------------------------------------------------------------------- the worked example


def render_example(docs: Path, log: Log) -> bool:
    """Refresh the example file and, if it or the audit changed, its audit on the page.

    The audit is run as the page shows it: the same command, in a scratch
    folder holding the same file at the same relative path.
    """
    from fairness import escape_markdown
    from reports import _example, _pages

    csv_path = docs / "examples" / "loan_decisions.csv"
    if _example.write_example(csv_path):
        log(f"wrote {csv_path.relative_to(docs.parent)}")
    snippet = docs / GENERATED / "example_audit.md"
    engine = sorted((ROOT / "fairness").rglob("*.py"))
    fingerprint = _files_sha([csv_path, *EXAMPLE_INPUTS, *engine], extra=_example.COMMAND)
    if _read_stamp(snippet) == fingerprint:
        return False
    import shlex

    args = shlex.split(_example.COMMAND)[1:]
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / _example.EXAMPLE_REL
        target.parent.mkdir(parents=True)
        target.write_bytes(csv_path.read_bytes())
        proc = subprocess.run([sys.executable, "-m", "reports.cli", *args], cwd=tmp,
                              capture_output=True, text=True, env={**os.environ,
                                                                   "PYTHONPATH": str(ROOT)})
        if proc.returncode != 0:
            raise RuntimeError(f"the example audit failed: {proc.stderr.strip()}")
        audit = json.loads((Path(tmp) / "my-audit" / "audit.json").read_text(encoding="utf-8"))
    out = proc.stdout.rstrip()
    lines = [
        _stamp_line("the example audit", fingerprint),
        "```sh",
        _example.display_command(),
        "```",
        "",
        "It prints:",
        "",
        "```text",
        out,
        "```",
        "",
        "and writes `my-audit/audit.json` (every number, with its interval) and "
        "`my-audit/audit.md` (the same as tables). The per-group tables of that audit, "
        "produced from the shipped file when this site was built:",
        "",
    ]
    for attr in audit["attributes"]:
        groups = [g for g in audit["groups"] if g["attribute"] == attr]
        ref = audit["summary"]["by_attribute"][attr]["reference"]
        lines += [f"**By {escape_markdown(attr)}** (reference: {escape_markdown(ref)})", ""]
        lines += _pages.group_table(groups, _pages.Context(root="")) + [""]
    _write_if_changed(snippet, "\n".join(lines) + "\n")
    log("example audit: re-run and rendered")
    return True


# --------------------------------------------------------------------------- the site


def _docs_fingerprint(docs: Path, config: Path = CONFIG) -> str:
    from importlib.metadata import version

    h = hashlib.sha256()
    for p in sorted(docs.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(docs).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    for p in (config, ROOT / "reports" / "_mkdocs_hooks.py"):
        h.update(p.read_bytes())
    h.update(version("mkdocs").encode() + version("mkdocs-material").encode())
    return h.hexdigest()


def build_site(docs: Path, site: Path, log: Log, force: bool = False,
               config: Path = CONFIG) -> int:
    """``mkdocs build --strict`` into ``site``, unless nothing changed since the last build.

    Parameters
    ----------
    docs, site : pathlib.Path
        The docs folder (fingerprinted) and the output folder.
    log : callable
        Receives progress lines (and mkdocs' messages on failure).
    force : bool
        Build even when nothing changed.
    config : pathlib.Path
        The mkdocs configuration.

    Returns
    -------
    int
        0 on success, 1 when mkdocs fails (warnings count: ``--strict``).
    """
    fingerprint = _docs_fingerprint(docs, config)
    stamp = site / STAMP
    if (not force and stamp.exists() and (site / "index.html").exists()
            and stamp.read_text().strip() == fingerprint):
        log("site: up to date")
        return 0
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--clean", "--quiet",
         "-f", str(config), "-d", str(site)],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    if proc.returncode != 0:
        log("mkdocs build --strict failed:")
        log((proc.stdout + proc.stderr).strip())
        return 1
    stamp.write_text(fingerprint + "\n")
    log(f"site: built in {time.perf_counter() - t0:.1f} s into {site}")
    return 0


def build(force: bool = False, log: Log = print, *, records: Path = RECORDS, docs: Path = DOCS,
          site: Path = SITE, jobs: int | None = None) -> int:
    """Bring records up to date, render the pages and build the site.

    Parameters
    ----------
    force : bool
        Re-run every case and re-render every page.
    log : callable
        Receives one line of progress at a time.
    records, docs, site : pathlib.Path
        The records folder, the docs folder and the site folder.
    jobs : int, optional
        Cases re-run in parallel (default: as many as CPUs, up to the number
        of stale cases).

    Returns
    -------
    int
        The exit status: 0 on success.

    Examples
    --------
    >>> build(log=lambda msg: None)  # doctest: +SKIP
    0
    """
    from cases import all_cases

    t0 = time.perf_counter()
    cases = all_cases()
    _, failed = update_records(cases, records, force, log, jobs)
    if failed:
        log(f"build: stopped; the run of {', '.join(failed)} failed (see above), so its "
            "record would not match its code")
        return 1
    result = render_pages(cases, records, docs, log, force)
    render_example(docs, log)
    status = build_site(docs, site, log, force)
    if status == 0:
        log(f"build: done in {time.perf_counter() - t0:.1f} s "
            f"({len(result['pages'])} pages rendered, {result['figures']} figures drawn); "
            f"open {site / 'index.html'}")
    return status
