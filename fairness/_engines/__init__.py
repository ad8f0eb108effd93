"""Which engine makes the counts: pandas (rows in memory), DuckDB or Spark (a GROUP BY).

Counts per (groups, label, prediction), and per score bin, are the
sufficient statistic of an audit; everything after them is the same code
whatever made them. ``auto`` keeps small files in memory and sends big ones,
folders and globs to DuckDB (:func:`choose_engine`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pyarrow as pa

from .._prepare import AuditInputError
from ._files import (
    FileSource,
    is_path,
    is_remote,
    parquet_rows,
    read_arrow,
    require_columns,
    resolve,
    schema,
)
from ._spark import is_spark_frame
from ._sql import Backend, SqlAudit, fetch_rows, sql_audit

ENGINES = ("auto", "pandas", "duckdb", "spark")
# auto: DuckDB for a Parquet file of more rows than this (the pandas path holds
# about 60 bytes a row with a score: 5M rows is some 300 MB) ...
AUTO_PARQUET_ROWS = 5_000_000
# ... or any file bigger than this on disk (a CSV of 5M rows is about 150 MB),
# and always for folders and globs.
AUTO_FILE_BYTES = 256 * 2**20

__all__ = ["AUTO_FILE_BYTES", "AUTO_PARQUET_ROWS", "ENGINES", "Backend", "FileSource",
           "SqlAudit", "choose_engine", "fetch_rows", "in_memory", "open_backend",
           "require_columns", "resolve", "sql_audit"]


def _is_relation(data: Any) -> bool:
    return type(data).__name__ == "DuckDBPyRelation" and (
        type(data).__module__ or "").startswith(("duckdb", "_duckdb"))


def choose_engine(data: Any, engine: str = "auto") -> str:
    """The engine that will audit ``data``: ``"pandas"``, ``"duckdb"`` or ``"spark"``.

    ``auto`` picks Spark for a Spark DataFrame, DuckDB for a DuckDB relation, a
    folder, a glob, a Parquet file of more than :data:`AUTO_PARQUET_ROWS` rows
    or a file bigger than :data:`AUTO_FILE_BYTES`, and pandas otherwise.

    Examples
    --------
    >>> import pandas as pd
    >>> choose_engine(pd.DataFrame({"y": [1]}))
    'pandas'
    >>> choose_engine(pd.DataFrame({"y": [1]}), "duckdb")
    'duckdb'
    """
    if engine not in ENGINES:
        raise AuditInputError(
            f"engine must be one of {', '.join(ENGINES)}, got {engine!r}"
        )
    if engine != "auto":
        return engine
    if is_spark_frame(data):
        return "spark"
    if _is_relation(data):
        return "duckdb"
    if not is_path(data):
        return "pandas"
    text = os.fspath(data)
    if is_remote(text):
        return "spark"
    source = resolve(text)
    if source.kind != "file" or source.n_bytes > AUTO_FILE_BYTES:
        return "duckdb"
    if source.format == "parquet" and parquet_rows(source) > AUTO_PARQUET_ROWS:
        return "duckdb"
    return "pandas"


def in_memory(data: Any, wanted: list[tuple[str, str]]) -> Any:
    """``data`` as rows for the pandas engine: a file read, a relation or DataFrame collected."""
    names = [name for _, name in wanted]
    if isinstance(data, pd.DataFrame | pa.Table):
        return data
    if is_path(data):
        if is_remote(os.fspath(data)):
            raise AuditInputError(f"{os.fspath(data)} is remote: only the spark engine reads it; "
                                  "pass engine='spark' (--engine spark)")
        source = resolve(data)
        require_columns(wanted, schema(source).names)
        return read_arrow(source, names)
    if _is_relation(data):
        require_columns(wanted, list(data.columns))
        cols = ", ".join('"' + n.replace('"', '""') + '"' for n in dict.fromkeys(names))
        return data.project(cols).to_arrow_table()
    if is_spark_frame(data):
        require_columns(wanted, list(data.columns))
        return data.select(*dict.fromkeys(names)).toArrow()
    return data  # prepare() names what it accepts


@contextlib.contextmanager
def open_backend(engine: str, data: Any, spark_master: str | None = None) -> Iterator[Backend]:
    """The SQL backend of ``engine`` over ``data``; closed (temporary files removed) after."""
    if engine == "duckdb":
        from ._duckdb import DuckDBBackend

        if is_spark_frame(data):
            raise AuditInputError("a Spark DataFrame is audited by the spark engine; pass "
                                  "engine='spark' or 'auto'")
        source = None
        if is_path(data):
            if is_remote(os.fspath(data)):
                raise AuditInputError(f"{os.fspath(data)} is remote: only the spark engine "
                                      "reads it; pass engine='spark' (--engine spark)")
            source = resolve(data)
        elif not (_is_relation(data) or isinstance(data, pd.DataFrame | pa.Table)):
            raise AuditInputError(_unknown(data))
        backend = DuckDBBackend(data, source)
    elif engine == "spark":
        from . import _spark

        if is_path(data):
            text = os.fspath(data)
            source = None if is_remote(text) else resolve(text)
            data = _spark.read(text, source, spark_master)
        elif _is_relation(data):
            raise AuditInputError("a DuckDB relation is audited by the duckdb engine; pass "
                                  "engine='duckdb' or 'auto'")
        elif isinstance(data, pd.DataFrame | pa.Table):
            spark = _spark.session(spark_master)
            table = data if isinstance(data, pa.Table) else pa.Table.from_pandas(
                data, preserve_index=False)
            with _spark._quiet():
                data = spark.createDataFrame(table)
        elif not is_spark_frame(data):
            raise AuditInputError(_unknown(data))
        backend = _spark.SparkBackend(data)
    else:
        raise AssertionError(engine)
    try:
        yield backend
    finally:
        backend.close()


def _unknown(data: Any) -> str:
    return (f"cannot audit a {type(data).__name__}: pass a pandas DataFrame, a pyarrow Table, "
            "a path (file, folder or glob), a DuckDB relation or a Spark DataFrame")

