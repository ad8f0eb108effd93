"""What a record is made of, and a fingerprint of the world that survives another CPU.

Two fingerprints go into a record's manifest:

- ``inputs_sha256``: the files that change numbers (the engine, the runner,
  the case's own module, the lock file). Prose, page blocks, templates and
  the formatting module are left out, so editing a caption re-renders a page
  and re-runs nothing.
- ``data_fingerprint``: the generated world. Integer, boolean and string
  columns are hashed exactly; a float column's last bit depends on the CPU's
  vector unit (``np.exp``, matrix products), so it is summarised instead, by
  numbers that ``casebook verify`` compares with a tolerance: count, missing,
  min, max, and the exactly rounded sum of every block of 4,096 rows (and of
  the same rows weighted by position, so that a swap is seen too). A one-ulp
  change of every value moves a block's sum by at most 4,096 ulps, far under
  the tolerance; a change of 1e-6 in one value moves it by 1e-6.
"""

from __future__ import annotations

import hashlib
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
BLOCK = 4096
# Presentation: excluded from a record's identity (they change no number).
PRESENTATION = {"fairness/_format.py"}


def identity_files(module_file: str | Path) -> list[Path]:
    """The files a case's record depends on, in a stable order."""
    engine = [p for p in sorted((ROOT / "fairness").rglob("*.py"))
              if p.relative_to(ROOT).as_posix() not in PRESENTATION]
    # The runner's modules; not the package's __init__, which only registers the cases.
    runner = sorted(p for p in (ROOT / "cases").glob("_*.py") if p.name != "__init__.py")
    return [*engine, *runner, Path(module_file).resolve(), ROOT / "requirements.lock"]


def inputs_sha256(case) -> str:
    """Fingerprint of everything a case's record depends on (see the module docstring)."""
    module = sys.modules[case.make_data.__module__]
    h = hashlib.sha256()
    for f in identity_files(module.__file__):
        if f.exists():
            h.update(f.relative_to(ROOT).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def _float_summary(values: np.ndarray) -> dict:
    x = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(x)
    finite = x[ok]
    blocks, weighted = [], []
    w = (np.arange(BLOCK) + 1.0) / BLOCK
    for start in range(0, len(x), BLOCK):
        part = np.where(ok[start:start + BLOCK], x[start:start + BLOCK], 0.0)
        blocks.append(math.fsum(part))
        weighted.append(math.fsum(part * w[:len(part)]))
    return {
        "kind": "float", "count": int(len(x)), "missing": int((~ok).sum()),
        "min": float(finite.min()) if len(finite) else None,
        "max": float(finite.max()) if len(finite) else None,
        "sum": math.fsum(finite), "block_rows": BLOCK,
        "block_sums": blocks, "block_weighted_sums": weighted,
    }


def _exact_hash(col: pd.Series) -> str:
    h = hashlib.sha256(str(col.dtype).encode() + b"\0")
    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_integer_dtype(col):
        values = np.asarray(col.to_numpy(), dtype=np.int64)
        h.update(np.ascontiguousarray(values, dtype="<i8").tobytes())
    else:
        h.update("\x1f".join(col.astype(str).tolist()).encode())
    return h.hexdigest()


def data_fingerprint(frame: pd.DataFrame) -> dict:
    """Per column: an exact SHA-256 (integers, booleans, strings) or a float summary.

    Examples
    --------
    >>> fp = data_fingerprint(pd.DataFrame({"a": [1, 2], "x": [0.5, 0.25]}))
    >>> fp["columns"]["x"]["sum"], fp["columns"]["a"]["kind"]
    (0.75, 'exact')
    """
    columns = {}
    for name in frame.columns:
        col = frame[name]
        if pd.api.types.is_float_dtype(col):
            columns[str(name)] = _float_summary(col.to_numpy())
        else:
            columns[str(name)] = {"kind": "exact", "sha256": _exact_hash(col)}
    return {"rows": int(len(frame)), "columns": columns}
