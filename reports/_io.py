"""Reading a user's predictions file and writing JSON records deterministically."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from fairness import AuditInputError

CSV_SUFFIXES = {".csv", ".tsv", ".txt"}
PARQUET_SUFFIXES = {".parquet", ".pq"}


def read_table(path: str | Path, columns: list[str]) -> pa.Table:
    """Read only ``columns`` of a CSV or Parquet file, naming the problem on failure."""
    path = Path(path)
    if not path.exists():
        raise AuditInputError(f"file not found: {path}; check the path")
    if path.is_dir():
        raise AuditInputError(f"{path} is a folder; pass a CSV or Parquet file")
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        try:
            names = pq.read_schema(path).names
        except (pa.ArrowInvalid, OSError) as exc:
            raise AuditInputError(
                f"{path} is not a readable Parquet file ({_first(exc)})"
            ) from None
        _require(columns, names)
        return pq.read_table(path, columns=list(dict.fromkeys(columns)))
    if suffix in CSV_SUFFIXES:
        parse = pacsv.ParseOptions(delimiter="\t" if suffix == ".tsv" else ",",
                                   newlines_in_values=True)
        try:
            names = pacsv.open_csv(path, parse_options=parse).schema.names
        except (pa.ArrowInvalid, OSError) as exc:
            raise AuditInputError(f"{path} is not a readable CSV file ({_first(exc)})") from None
        _require(columns, names)
        convert = pacsv.ConvertOptions(
            include_columns=list(dict.fromkeys(columns)),
            strings_can_be_null=True,
        )
        try:
            return pacsv.read_csv(path, parse_options=parse, convert_options=convert)
        except pa.ArrowInvalid as exc:
            raise AuditInputError(f"{path} could not be parsed as CSV ({_first(exc)})") from None
    raise AuditInputError(
        f"unknown file format {suffix or '(no extension)'!r} for {path}; "
        "pass a .csv, .tsv or .parquet file"
    )


def _first(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _require(columns: list[str], names: list[str]) -> None:
    for c in columns:
        if c not in names:
            shown = ", ".join(names[:30]) + (", ..." if len(names) > 30 else "")
            raise AuditInputError(f"column {c!r} not found; the columns are: {shown}")


def dumps(data: Any) -> str:
    """Canonical JSON: sorted keys, fixed indentation, no NaN; the same data give the same bytes."""
    return json.dumps(data, indent=1, sort_keys=True, allow_nan=False, ensure_ascii=False) + "\n"


def write_json(path: str | Path, data: Any) -> str:
    """Write canonical JSON; return its SHA-256."""
    text = dumps(data)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(text, encoding="utf-8")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
