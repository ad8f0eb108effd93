"""``casebook build`` (= ``make site``): records up to date, then the site.

1. **Records.** A case is re-run (seed 0, its defaults, sweeps and mitigations)
   only when ``reports/records/<slug>.json`` is missing, was made from other
   inputs (``manifest.inputs_sha256``: the engine, the runner, the case's own
   module, the lock file: not its prose or page), with other package
   versions or other settings, or when ``force`` is set. The coverage record
   of the methodology page is re-made the same way.
2. **Site.** ``mkdocs build --strict`` into ``site/``; the mkdocs hooks
   (``reports/_mkdocs_hooks.py``) render every case page, its figures and the
   generated tables from the records during the build, writing nothing into
   ``docs/``. Skipped when nothing it reads changed since the last build.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from cases import all_cases, inputs_sha256, run_case, versions

from ._io import write_json
from ._paths import CACHE, CONFIG, COVERAGE, DOCS, RECORDS, ROOT, SITE

if TYPE_CHECKING:
    from ._progress import Progress, Reporter

Log = Callable[[str], None]
STAMP = ".casebook-stamp"
# What the site is made of: a change to any of these rebuilds it.
SITE_INPUTS = ("docs", "reports/records", "reports/pages", "reports/_figures.py",
               "reports/_mkdocs_hooks.py", "reports/_example.py", "cases/text", "cases/pages",
               "cases/blocks.py", "benchmarks/results", "mkdocs.yml",
               # the worked examples' commands write the reports the site serves
               "reports/cli.py", "reports/_report.py")


def stale_reason(case, path: Path, force: bool = False) -> str | None:
    """Why the case's record must be re-made, or ``None`` when it is up to date.

    Parameters
    ----------
    case : cases.Case
    path : pathlib.Path
        Its record file.
    force : bool
        Re-make it whatever its state.

    Returns
    -------
    str or None
        The reason, in words.

    Examples
    --------
    >>> from cases import get_case
    >>> stale_reason(get_case("hiring"), Path("/nonexistent.json"))
    'no record yet'
    """
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
        return "its code, the engine, the runner or the lock file changed"
    if man.get("versions") != versions():
        diff = [k for k in versions() if man.get("versions", {}).get(k) != versions()[k]]
        return "installed versions differ: " + ", ".join(diff)
    if (man.get("seed"), man.get("n_samples"), man.get("knobs")) != (
            0, case.default_n_samples, case.resolve_knobs()):
        return "not made with the default seed, size and knobs"
    if case.sweeps and "sweeps" not in record:
        return "made without its sweeps"
    if case.model is not None and "mitigations" not in record:
        return "made without its mitigations"
    return None


_PROGRESS_QUEUE = None  # in a worker process: where its progress and log lines go


def _init_worker(queue) -> None:
    global _PROGRESS_QUEUE
    _PROGRESS_QUEUE = queue


def _run_one(slug: str, log: Log | None = None, progress: Progress | None = None
             ) -> tuple[str, dict, float]:
    """Run one case with the defaults (in a worker process, or here with ``log``/``progress``).

    In a worker started with a progress queue, the log lines and each step's
    progress go to the queue, for the main process to show.
    """
    from cases import get_case

    from ._progress import queue_callbacks

    if _PROGRESS_QUEUE is not None:
        log, progress = queue_callbacks(_PROGRESS_QUEUE, slug)
    if log is None:
        def log(msg: str) -> None:
            print(f"[{slug}] {msg}", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    record = run_case(get_case(slug), seed=0, log=log,
                      progress=progress or (lambda done, total, what: None))
    return slug, record, time.perf_counter() - t0


def update_records(cases: dict, records: Path, force: bool, log: Log, jobs: int | None = None,
                   reporter: Reporter | None = None) -> tuple[list[str], list[str]]:
    """Re-run the cases whose records are stale, in parallel processes.

    ``reporter`` (a :class:`reports._progress.Reporter`) shows each case's
    progress, step by step: worker processes send it through a queue that a
    thread of this process reads.

    Returns
    -------
    (list of str, list of str)
        The slugs re-run and written, and those whose run failed (their old
        record, if any, is left as it was).
    """
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
        queue = ctx.Queue() if reporter is not None else None
        listener = reporter.listen(queue) if reporter is not None else None
        try:
            with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init_worker,
                                     initargs=(queue,)) as pool:
                futures = {pool.submit(_run_one, slug): slug for slug in stale}
                for fut in as_completed(futures):
                    finish(futures[fut], fut.result)
        finally:
            if listener is not None:  # the workers have exited: their lines are all queued
                queue.put(None)
                listener.join()
    else:
        for slug in stale:
            here = ((lambda msg, slug=slug: log(f"[{slug}] {msg}")), reporter.task(slug)) \
                if reporter is not None else (None, None)
            finish(slug, lambda slug=slug, here=here: _run_one(slug, *here))
    return done, failed


def update_coverage(path: Path = COVERAGE, force: bool = False, log: Log = print) -> bool:
    """Re-make the coverage record when the engine changed; return whether it was re-made."""
    from .coverage import coverage_record
    from .coverage import inputs_sha256 as coverage_inputs

    if not force and path.exists():
        old = json.loads(path.read_text(encoding="utf-8"))
        if old.get("inputs_sha256") == coverage_inputs() and old.get("versions") == versions():
            return False
    t0 = time.perf_counter()
    write_json(path, coverage_record())
    log(f"coverage: simulated and written in {time.perf_counter() - t0:.0f} s")
    return True


def _fingerprint(paths: Iterable[Path]) -> str:
    from importlib.metadata import version

    h = hashlib.sha256()
    for top in paths:
        files = sorted(p for p in top.rglob("*") if p.is_file()) if top.is_dir() else [top]
        for p in files:
            if p.exists() and "__pycache__" not in p.parts:
                h.update(str(p).encode() + b"\0" + p.read_bytes())
    for pkg in ("mkdocs", "mkdocs-material", "matplotlib", "Jinja2"):
        h.update(version(pkg).encode())
    return h.hexdigest()


def build_site(site: Path = SITE, log: Log = print, force: bool = False, *,
               config: Path = CONFIG, records: Path = RECORDS) -> int:
    """``mkdocs build --strict`` into ``site``, unless nothing it reads changed.

    Parameters
    ----------
    site : pathlib.Path
        The output folder.
    log : callable
        Receives progress lines (and mkdocs' messages on failure).
    force : bool
        Build even when nothing changed.
    config : pathlib.Path
        The mkdocs configuration.
    records : pathlib.Path
        The records the pages are rendered from (read by the mkdocs hooks).

    Returns
    -------
    int
        0 on success, 1 when mkdocs fails (warnings count: ``--strict``).
    """
    inputs = [ROOT / p for p in SITE_INPUTS] + [config, Path(records)]
    fingerprint = _fingerprint(inputs)
    stamp = site / STAMP
    if (not force and stamp.exists() and (site / "index.html").exists()
            and stamp.read_text().strip() == fingerprint):
        log("site: up to date")
        return 0
    t0 = time.perf_counter()
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "CASEBOOK_RECORDS": str(records),
           "CASEBOOK_CACHE": str(CACHE)}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--clean", "--quiet",
         "-f", str(config), "-d", str(site)],
        cwd=ROOT, capture_output=True, text=True, env=env,
    )
    if proc.returncode != 0:
        log("mkdocs build --strict failed:")
        log((proc.stdout + proc.stderr).strip())
        return 1
    stamp.write_text(fingerprint + "\n")
    log(f"site: built in {time.perf_counter() - t0:.1f} s into {site}")
    return 0


def build(force: bool = False, log: Log = print, *, records: Path = RECORDS,
          site: Path = SITE, jobs: int | None = None, reporter: Reporter | None = None) -> int:
    """Bring records up to date and build the site.

    Parameters
    ----------
    force : bool
        Re-run every case and rebuild the site.
    log : callable
        Receives one line of progress at a time.
    records, site : pathlib.Path
        The records folder and the site folder.
    jobs : int, optional
        Cases re-run in parallel (default: as many as CPUs, up to the number
        of stale cases).
    reporter : reports._progress.Reporter, optional
        Shows each re-run case's progress (default: none).

    Returns
    -------
    int
        The exit status: 0 on success.
    """
    from ._example import write_example

    t0 = time.perf_counter()
    _, failed = update_records(all_cases(), Path(records), force, log, jobs, reporter)
    if failed:
        log(f"build: stopped; the run of {', '.join(failed)} failed (see above), so its "
            "record would not match its code")
        return 1
    update_coverage(Path(records) / COVERAGE.name, force, log)
    if write_example(DOCS / "examples" / "loan_decisions.csv"):
        log("wrote docs/examples/loan_decisions.csv")
    status = build_site(site, log, force, records=Path(records))
    if status == 0:
        log(f"build: done in {time.perf_counter() - t0:.1f} s; open {site / 'index.html'}")
    return status
