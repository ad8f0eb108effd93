"""``casebook verify``: re-run each case from its committed record and compare every number.

A record is the publication of record: the same code, seed, knobs and lock
file must give the same numbers, on any machine. :func:`verify` re-runs each
case from its record's manifest (seed, size, knobs; sweeps and mitigations
when the record has them), and the coverage simulation of the methodology
page, and compares the documents field by field: numbers within an absolute
tolerance of 1e-9 or a relative one of 1e-12 (a float's last bits depend on
the CPU), strings, booleans and ``null`` exactly, and the shape (keys, list
lengths) exactly. The data fingerprint is numbers too (float columns are
summarised, not hashed), so it is compared the same way.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fairness import TOLERANCE

from ._paths import COVERAGE, RECORDS
from ._terminal import text_table

if TYPE_CHECKING:
    from ._progress import Reporter

REL_TOLERANCE = 1e-12  # for large numbers (a sum of a block of data, a count per 100,000)
SHOW = 20  # differing fields printed per case


@dataclass
class Mismatch:
    """One field that differs: its JSON path and both values."""

    path: str
    committed: Any
    rerun: Any
    abs_diff: float | None = None


@dataclass
class Comparison:
    """The outcome of comparing two documents."""

    compared: int = 0
    max_abs_diff: float = 0.0
    mismatches: list[Mismatch] = field(default_factory=list)


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def close(a: float, b: float, tolerance: float = TOLERANCE) -> bool:
    """Equal within the absolute tolerance, or within 1e-12 of the larger magnitude."""
    return math.isclose(float(a), float(b), rel_tol=REL_TOLERANCE, abs_tol=tolerance)


def compare(committed: Any, rerun: Any, tolerance: float = TOLERANCE, path: str = "$",
            out: Comparison | None = None) -> Comparison:
    """Compare two JSON documents recursively.

    Parameters
    ----------
    committed, rerun : Any
        The documents (dicts, lists and JSON scalars).
    tolerance : float
        Absolute tolerance for numbers.
    path : str
        The JSON path of the documents' root (``$``).
    out : Comparison, optional
        Accumulates the result (used by the recursion).

    Returns
    -------
    Comparison
        Leaf values compared, the largest absolute difference between two
        numbers, and every mismatch.

    Examples
    --------
    >>> c = compare({"a": [1.0, "x"]}, {"a": [1.0 + 1e-12, "y"]})
    >>> c.compared, [m.path for m in c.mismatches]
    (2, ['$.a[1]'])
    """
    out = out if out is not None else Comparison()
    if isinstance(committed, dict) and isinstance(rerun, dict):
        for key in committed:
            sub = f"{path}.{key}" if _plain_key(key) else f"{path}[{json.dumps(key)}]"
            if key not in rerun:
                out.compared += 1
                out.mismatches.append(Mismatch(sub, committed[key], "<missing>"))
            else:
                compare(committed[key], rerun[key], tolerance, sub, out)
        for key in rerun:
            if key not in committed:
                sub = f"{path}.{key}" if _plain_key(key) else f"{path}[{json.dumps(key)}]"
                out.compared += 1
                out.mismatches.append(Mismatch(sub, "<missing>", rerun[key]))
        return out
    if isinstance(committed, list) and isinstance(rerun, list):
        if len(committed) != len(rerun):
            out.compared += 1
            out.mismatches.append(Mismatch(f"{path}.length", len(committed), len(rerun)))
        for i, (a, b) in enumerate(zip(committed, rerun, strict=False)):
            compare(a, b, tolerance, f"{path}[{i}]", out)
        return out
    out.compared += 1
    if _is_number(committed) and _is_number(rerun):
        if math.isnan(committed) and math.isnan(rerun):
            return out
        diff = abs(float(committed) - float(rerun))
        out.max_abs_diff = max(out.max_abs_diff, diff) if not math.isnan(diff) else math.inf
        if not close(committed, rerun, tolerance):
            out.mismatches.append(Mismatch(path, committed, rerun, diff))
        return out
    if type(committed) is not type(rerun) or committed != rerun:
        out.mismatches.append(Mismatch(path, committed, rerun))
    return out


def _plain_key(key: str) -> bool:
    return key.isidentifier()


def _short(x: Any, width: int = 80) -> str:
    text = json.dumps(x, ensure_ascii=False) if not isinstance(x, str) or x != "<missing>" else x
    return text if len(text) <= width else text[: width - 1] + "…"


def verify_case(case, committed: dict, log: Callable[[str], None] = lambda m: None,
                progress: Callable[[int, int, str], None] | None = None
                ) -> tuple[Comparison, float]:
    """Re-run one case from its record's manifest and compare.

    ``progress(done, total, what)`` is called before each step of the re-run.

    Returns
    -------
    (Comparison, float)
        The comparison and the re-run's wall time in seconds.
    """
    from cases import run_case

    from ._io import dumps

    man = committed["manifest"]
    t0 = time.perf_counter()
    fresh = run_case(case, seed=man["seed"], n_samples=man["n_samples"], knobs=man["knobs"],
                     sweeps="sweeps" in committed, mitigations="mitigations" in committed,
                     log=log, progress=progress or (lambda done, total, what: None))
    seconds = time.perf_counter() - t0
    fresh = json.loads(dumps(fresh))  # the same normal form as the file on disk
    return compare(committed, fresh), seconds


def verify(slugs: Iterable[str] | None = None, log: Callable[[str], None] = print, *,
           records: Path = RECORDS, reporter: Reporter | None = None) -> int:
    """Re-run every case (or those named) and compare it with its committed record.

    Parameters
    ----------
    slugs : iterable of str, optional
        The cases to verify (default: all). An unknown name raises
        :class:`cases.CaseError` before anything runs.
    log : callable
        Receives progress lines.
    records : pathlib.Path
        The folder holding ``<slug>.json``.
    reporter : reports._progress.Reporter, optional
        Shows each case's progress, step by step (default: none).

    Returns
    -------
    int
        0 when every record is reproduced, 1 otherwise.

    """
    from cases import all_cases, get_case

    if slugs:
        chosen = {s: get_case(s) for s in slugs if s != "coverage"}  # CaseError if unknown
    else:
        chosen = all_cases()
    rows, failures = [], {}
    if not slugs or "coverage" in slugs:
        _verify_coverage(Path(records) / COVERAGE.name, rows, failures, log)
    for slug, case in chosen.items():
        path = Path(records) / f"{slug}.json"
        if not path.exists():
            rows.append((slug, "—", "no record", "—", "—"))
            failures[slug] = [Mismatch("$", f"no file {path}", "run `casebook build`")]
            continue
        committed = json.loads(path.read_text(encoding="utf-8"))
        log(f"{slug}: re-running from {path.name} (seed {committed['manifest']['seed']}, "
            f"{committed['manifest']['n_samples']:,} rows)")
        result, seconds = verify_case(
            case, committed, progress=reporter.task(slug) if reporter is not None else None)
        rows.append((slug, f"{result.compared:,}", f"{len(result.mismatches):,}",
                     f"{result.max_abs_diff:.1e}", f"{seconds:.0f} s"))
        if result.mismatches:
            failures[slug] = result.mismatches
    print(text_table(("case", "fields compared", "mismatches", "max abs diff", "time"), rows))
    if not failures:
        print(f"verify: every record reproduced (tolerance {TOLERANCE:g} absolute, "
              f"{REL_TOLERANCE:g} relative)")
        return 0
    for slug, mismatches in failures.items():
        print(f"\n{slug}: {len(mismatches)} field(s) differ (committed -> re-run):")
        for m in mismatches[:SHOW]:
            extra = f"  (|diff| {m.abs_diff:.3g})" if m.abs_diff is not None else ""
            print(f"  {m.path}: {_short(m.committed)} -> {_short(m.rerun)}{extra}")
        if len(mismatches) > SHOW:
            print(f"  ... and {len(mismatches) - SHOW} more")
    print(f"\nverify: FAILED for {', '.join(failures)}; if the change is intended, re-run the "
          "case (`casebook build`) and commit the record")
    return 1


def _verify_coverage(path: Path, rows: list, failures: dict, log) -> None:
    """Re-run the coverage simulation of the methodology page and compare."""
    from .coverage import coverage_record

    if not path.exists():
        rows.append(("coverage", "—", "no record", "—", "—"))
        failures["coverage"] = [Mismatch("$", f"no file {path}", "run `casebook coverage`")]
        return
    log("coverage: re-running the simulation")
    t0 = time.perf_counter()
    committed = json.loads(path.read_text(encoding="utf-8"))
    result = compare(committed, json.loads(json.dumps(coverage_record(
        committed["settings"]["repetitions"]))))
    rows.append(("coverage", f"{result.compared:,}", f"{len(result.mismatches):,}",
                 f"{result.max_abs_diff:.1e}", f"{time.perf_counter() - t0:.0f} s"))
    if result.mismatches:
        failures["coverage"] = result.mismatches
