"""The record's JSON Schema (``reports/record.schema.json``) and a check against it."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

SCHEMA = Path(__file__).resolve().parent / "record.schema.json"


@cache
def _validator():
    from jsonschema import Draft202012Validator

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def record_errors(record: dict, limit: int = 20) -> list[str]:
    """Where a record departs from the schema: one line per error (none when valid).

    Examples
    --------
    >>> record_errors({"record_schema": 2})[0]
    "$: 'case' is a required property"
    """
    errors = sorted(_validator().iter_errors(record), key=lambda e: list(e.absolute_path))
    out = []
    for e in errors[:limit]:
        where = "$" + "".join(f"[{p!r}]" if isinstance(p, int) else f".{p}"
                              for p in e.absolute_path)
        out.append(f"{where}: {e.message[:200]}")
    return out
