"""Reading a user's predictions file and writing JSON records deterministically."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pyarrow as pa

from fairness import read_arrow, require_columns, resolve, schema


def read_table(path: str | Path, columns: list[str]) -> pa.Table:
    """Read only ``columns`` of a CSV or Parquet file, a folder of Parquet files or a glob.

    The same reader as ``fairness.audit(path, engine="pandas")``; problems are
    one-line ``AuditInputError`` messages.
    """
    source = resolve(path)
    require_columns([("", c) for c in columns], schema(source).names)
    return read_arrow(source, columns)


def dumps(data: Any) -> str:
    """Canonical JSON: sorted keys, fixed indentation, no NaN; the same data give the same bytes."""
    return json.dumps(data, indent=1, sort_keys=True, allow_nan=False, ensure_ascii=False) + "\n"


def write_json(path: str | Path, data: Any) -> str:
    """Write canonical JSON; return its SHA-256."""
    text = dumps(data)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(text, encoding="utf-8")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
