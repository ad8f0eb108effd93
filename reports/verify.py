"""``casebook verify``: re-run each case from its committed record and compare every number.

A record is the publication of record: the same code, seed, knobs and lock
file must give the same numbers. :func:`verify` re-runs each case from its
record's manifest (seed, size, knobs; sweeps and mitigations when the record
has them) and compares the two documents field by field: numbers with an
absolute tolerance of 1e-9, strings, booleans and ``null`` exactly, and the
shape (keys, list lengths) exactly.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reports.build import RECORDS

TOLERANCE = 1e-9
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
        if not diff <= tolerance:
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


def verify_case(case, committed: dict, log: Callable[[str], None] = lambda m: None
                ) -> tuple[Comparison, float]:
    """Re-run one case from its record's manifest and compare.

    Returns
    -------
    (Comparison, float)
        The comparison and the re-run's wall time in seconds.
    """
    from cases._runner import run_case
    from reports._io import dumps

    man = committed["manifest"]
    t0 = time.perf_counter()
    fresh = run_case(case, seed=man["seed"], n_samples=man["n_samples"], knobs=man["knobs"],
                     sweeps="sweeps" in committed, mitigations="mitigations" in committed,
                     log=log)
    seconds = time.perf_counter() - t0
    fresh = json.loads(dumps(fresh))  # the same normal form as the file on disk
    return compare(committed, fresh), seconds


def verify(slugs: Iterable[str] | None = None, log: Callable[[str], None] = print, *,
           records: Path = RECORDS) -> int:
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

    Returns
    -------
    int
        0 when every record is reproduced, 1 otherwise.

    Examples
    --------
    >>> verify(["hiring"])  # doctest: +SKIP
    case    fields compared  mismatches  max abs diff  time
    hiring           61,853           0       1.1e-16  98 s
    0
    """
    from cases import all_cases, get_case

    if slugs:
        chosen = {s: get_case(s) for s in slugs}  # CaseError on an unknown name
    else:
        chosen = all_cases()
    rows, failures = [], {}
    for slug, case in chosen.items():
        path = Path(records) / f"{slug}.json"
        if not path.exists():
            rows.append((slug, "—", "no record", "—", "—"))
            failures[slug] = [Mismatch("$", f"no file {path}", "run `casebook build`")]
            continue
        committed = json.loads(path.read_text(encoding="utf-8"))
        log(f"{slug}: re-running from {path.name} (seed {committed['manifest']['seed']}, "
            f"{committed['manifest']['n_samples']:,} rows)")
        result, seconds = verify_case(case, committed)
        rows.append((slug, f"{result.compared:,}", f"{len(result.mismatches):,}",
                     f"{result.max_abs_diff:.1e}", f"{seconds:.0f} s"))
        if result.mismatches:
            failures[slug] = result.mismatches
    header = ("case", "fields compared", "mismatches", "max abs diff", "time")
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(header)]
    print("  ".join(h.ljust(w) if i == 0 else h.rjust(w)
                    for i, (h, w) in enumerate(zip(header, widths, strict=True))))
    for r in rows:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                        for i, (c, w) in enumerate(zip(r, widths, strict=True))))
    if not failures:
        print(f"verify: every record reproduced (absolute tolerance {TOLERANCE:g})")
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
