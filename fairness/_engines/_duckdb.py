"""DuckDB: the embedded engine for files bigger than memory.

DuckDB scans Parquet (and CSV) where it lies, on every core, and runs the
GROUP BYs of ``_sql``; only their results (one row per combination of groups,
label and score bin) come back to Python. Its memory is capped
(:data:`MEMORY_LIMIT`); an aggregation that needs more spills to a temporary
folder, removed afterwards.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

from .._prepare import AuditInputError
from ._files import FileSource, schema

# DuckDB's cap for its buffers and hash tables. The audit's own aggregates are
# per group, not per row, and stay far below it; it bounds a pathological
# aggregation (which then spills to disk) and DuckDB's caching of file data.
MEMORY_LIMIT = "1GB"
# Room for a direct-indexed ("perfect") hash table over the histogram's small
# integer keys (group codes, label, score bin: 20 bits for 5 x 2 groups and
# 10,000 bins) instead of hashing each row. It holds every slot of the keys'
# range per thread, so only counts go there (2**22 slots: ~64 MB a thread).
PERFECT_HASH_BITS = 22
VIEW = "casebook_rows"

_ARROW_TO_DUCKDB = {
    "int8": "TINYINT", "int16": "SMALLINT", "int32": "INTEGER", "int64": "BIGINT",
    "uint8": "UTINYINT", "uint16": "USMALLINT", "uint32": "UINTEGER", "uint64": "UBIGINT",
    "float": "FLOAT", "double": "DOUBLE", "bool": "BOOLEAN", "date32[day]": "DATE",
    "string": "VARCHAR", "large_string": "VARCHAR", "null": "VARCHAR",
}


def _kind(type_name: str) -> str:
    t = type_name.upper()
    if t in ("FLOAT", "DOUBLE", "REAL"):
        return "float"
    if t in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
             "UINTEGER", "UBIGINT", "UHUGEINT"):
        return "int"
    if t == "BOOLEAN":
        return "bool"
    if t == "VARCHAR" or t.startswith("ENUM"):
        return "string"
    if t.startswith("DECIMAL"):
        return "decimal"
    return "other"


def _string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _first(exc: Exception) -> str:
    lines = [line for line in str(exc).strip().splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _csv_reader(source: FileSource) -> str:
    """read_csv with the column types pyarrow infers, so both engines see the same values."""
    types = {}
    for f in schema(source):
        types[f.name] = _ARROW_TO_DUCKDB.get(str(f.type), "VARCHAR")
        if str(f.type).startswith("timestamp"):
            types[f.name] = "TIMESTAMP"
    cols = "{" + ", ".join(f"{_string(k)}: {_string(v)}" for k, v in types.items()) + "}"
    nulls = "[" + ", ".join(_string(v) for v in pacsv.ConvertOptions().null_values) + "]"
    files = "[" + ", ".join(_string(f) for f in source.files) + "]"
    return (f"read_csv({files}, header = true, delim = {_string(source.delimiter)}, "
            f"quote = '\"', escape = '\"', columns = {cols}, nullstr = {nulls}, "
            "auto_detect = false)")


def _parquet_reader(source: FileSource) -> str:
    files = "[" + ", ".join(_string(f) for f in source.files) + "]"
    hive = "true" if source.hive else "false"
    return f"read_parquet({files}, hive_partitioning = {hive}, union_by_name = true)"


class DuckDBBackend:
    """The ``_sql.Backend`` for DuckDB: files, Arrow tables or a user's relation."""

    name = "duckdb"
    table = f'"{VIEW}"'

    def __init__(self, data: Any, source: FileSource | None = None):
        import duckdb

        self._duckdb = duckdb
        self._tmp = None
        self.con = None
        self.rel = None
        self.what = source.given if source is not None else type(data).__name__
        if isinstance(data, duckdb.DuckDBPyRelation):
            # The user's relation runs on the user's connection, with its settings.
            self.rel = data
            self._columns = dict(zip(data.columns, (str(t) for t in data.types), strict=True))
            return
        self._tmp = tempfile.mkdtemp(prefix="casebook-duckdb-")
        self.con = duckdb.connect(config={
            "threads": os.cpu_count() or 1,
            "memory_limit": MEMORY_LIMIT,
            "temp_directory": self._tmp,
            "preserve_insertion_order": False,  # no ORDER BY here: lets DuckDB stream
        })
        self.con.execute(f"SET perfect_ht_threshold = {PERFECT_HASH_BITS}")
        self.con.execute("SET enable_progress_bar = false")  # the CLI has its own
        try:
            if source is not None:
                reader = _csv_reader(source) if source.format == "csv" else _parquet_reader(source)
                self.con.execute(f"CREATE VIEW {self.table} AS SELECT * FROM {reader}")
            else:
                if not isinstance(data, pa.Table):
                    data = pa.Table.from_pandas(data, preserve_index=False)
                self.con.register(VIEW, data)
            rel = self.con.sql(f"SELECT * FROM {self.table}")
            self._columns = dict(zip(rel.columns, (str(t) for t in rel.types), strict=True))
        except duckdb.Error as exc:
            self.close()
            raise AuditInputError(f"DuckDB could not read {self.what} ({_first(exc)})") from None

    def rows(self, columns: list[str]) -> pa.Table:
        """Rows in the order they are stored (only ever for small data: the cross-check)."""
        sql = f"SELECT {', '.join(self.quote(c) for c in columns)} FROM {self.table}"
        if self.con is None:
            return self.fetch(sql)
        self.con.execute("SET preserve_insertion_order = true")
        try:
            return self.fetch(sql)
        finally:
            self.con.execute("SET preserve_insertion_order = false")

    def columns(self) -> dict[str, str]:
        return {name: _kind(t) for name, t in self._columns.items()}

    def fetch(self, sql: str) -> pa.Table:
        try:
            if self.rel is not None:
                return self.rel.query(VIEW, sql).to_arrow_table()
            return self.con.sql(sql).to_arrow_table()
        except self._duckdb.Error as exc:
            raise AuditInputError(f"DuckDB could not read {self.what} ({_first(exc)})") from None

    @staticmethod
    def quote(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    @staticmethod
    def fixed_sum(expr: str) -> str:
        # sum(BIGINT) is a 128-bit HUGEINT in DuckDB: exact for 2**67 rows of 2**60.
        return f"CAST(sum({expr}) AS DECIMAL(38, 0))"

    @staticmethod
    def try_double(expr: str) -> str:
        return f"TRY_CAST({expr} AS DOUBLE)"

    @staticmethod
    def literal(value: Any) -> str | None:
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, int):
            return str(value)
        if isinstance(value, str):
            return _string(value)
        return None

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
