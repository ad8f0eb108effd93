"""Where an audit's rows live: one file, a folder of Parquet files, or a glob.

Every engine reads the same :class:`FileSource`; pandas reads it into an Arrow
table (:func:`read_arrow`), DuckDB and Spark scan it where it lies. Errors are
one line naming the problem and the fix.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from .._prepare import AuditInputError

CSV_SUFFIXES = {".csv", ".tsv", ".txt"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
GLOB_CHARS = "*?["


@dataclass(frozen=True)
class FileSource:
    """Files to audit, all of one format.

    ``kind`` is ``"file"``, ``"folder"`` (its Parquet files, any depth; a
    ``key=value`` folder name is a Hive partition column) or ``"glob"``.
    """

    given: str
    files: tuple[str, ...]
    format: str  # "parquet" or "csv"
    kind: str
    root: str | None = None  # the folder of a "folder" source
    hive: bool = False

    @property
    def delimiter(self) -> str:
        return "\t" if self.files[0].lower().endswith(".tsv") else ","

    @property
    def n_bytes(self) -> int:
        return sum(os.path.getsize(f) for f in self.files)


def is_path(data: object) -> bool:
    """Whether ``data`` names files (a string or a path) rather than holding rows."""
    return isinstance(data, str | os.PathLike)


def is_remote(text: str) -> bool:
    """A URI such as ``s3a://bucket/logs`` or ``hdfs:///logs``: only Spark reads those."""
    return "://" in text and not text.startswith("file://")


def _format(path: str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    if suffix in CSV_SUFFIXES:
        return "csv"
    raise AuditInputError(
        f"unknown file format {suffix or '(no extension)'!r} for {path}; "
        "pass a .csv, .tsv or .parquet file, a folder of Parquet files or a glob"
    )


def _hidden(parts: tuple[str, ...]) -> bool:
    # Spark and Hive leave _SUCCESS, _metadata and .crc files beside the data.
    return any(p.startswith((".", "_")) for p in parts)


def resolve(data: str | os.PathLike) -> FileSource:
    """The files that ``data`` names, checked to exist and to share one format.

    Examples
    --------
    >>> resolve("no/such/file.parquet")
    Traceback (most recent call last):
    ...
    fairness._prepare.AuditInputError: file not found: no/such/file.parquet; check the path
    """
    text = os.fspath(data)
    path = Path(text)
    if any(c in text for c in GLOB_CHARS) and not path.exists():
        files = sorted(f for f in glob.glob(text, recursive=True) if os.path.isfile(f))
        if not files:
            raise AuditInputError(f"no file matches {text!r}; check the pattern")
        formats = {_format(f) for f in files}
        if len(formats) > 1:
            raise AuditInputError(
                f"{text!r} matches both CSV and Parquet files; narrow the pattern to one format"
            )
        return FileSource(text, tuple(files), formats.pop(), "glob")
    if not path.exists():
        raise AuditInputError(f"file not found: {path}; check the path")
    if path.is_dir():
        files, hive = [], False
        for f in sorted(path.rglob("*")):
            rel = f.relative_to(path).parts
            if f.is_file() and f.suffix.lower() in PARQUET_SUFFIXES and not _hidden(rel):
                files.append(str(f))
                hive |= any("=" in part for part in rel[:-1])
        if not files:
            raise AuditInputError(
                f"{path} is a folder without Parquet files (*.parquet); pass a folder of "
                "Parquet files, a CSV or Parquet file, or a glob"
            )
        return FileSource(text, tuple(files), "parquet", "folder", root=str(path), hive=hive)
    return FileSource(text, (str(path),), _format(str(path)), "file")


def require_columns(wanted: list[tuple[str, str]], columns: list[str]) -> None:
    """The one-line error of ``prepare`` for the first (role, name) not in ``columns``."""
    for role, name in wanted:
        if name not in columns:
            shown = ", ".join(columns[:30]) + (", ..." if len(columns) > 30 else "")
            what = f"{role} column" if role else "column"
            raise AuditInputError(f"{what} {name!r} not found; the columns are: {shown}")


def parquet_rows(source: FileSource) -> int:
    """Rows of a Parquet source, from the files' footers (no data is read)."""
    return sum(pq.ParquetFile(f).metadata.num_rows for f in source.files)


def _first(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _csv_parse(source: FileSource) -> pacsv.ParseOptions:
    return pacsv.ParseOptions(delimiter=source.delimiter, newlines_in_values=True)


def _dataset(source: FileSource) -> ds.Dataset:
    try:
        if source.format == "parquet":
            if source.hive:
                return ds.dataset(list(source.files), format="parquet", partitioning="hive",
                                  partition_base_dir=source.root)
            return ds.dataset(list(source.files), format="parquet")
        return ds.dataset(list(source.files), format=ds.CsvFileFormat(
            parse_options=_csv_parse(source)))
    except (pa.ArrowInvalid, OSError) as exc:
        kind = "Parquet" if source.format == "parquet" else "CSV"
        raise AuditInputError(
            f"{source.given} is not readable as {kind} ({_first(exc)})"
        ) from None


def schema(source: FileSource) -> pa.Schema:
    """The columns and types of a source (from the first CSV block or the Parquet footers)."""
    if source.format == "csv":
        try:
            with pacsv.open_csv(source.files[0], parse_options=_csv_parse(source)) as reader:
                return reader.schema
        except (pa.ArrowInvalid, OSError) as exc:
            raise AuditInputError(
                f"{source.files[0]} is not a readable CSV file ({_first(exc)})"
            ) from None
    if source.kind == "file":
        try:
            return pq.read_schema(source.files[0])
        except (pa.ArrowInvalid, OSError) as exc:
            raise AuditInputError(
                f"{source.files[0]} is not a readable Parquet file ({_first(exc)})"
            ) from None
    return _dataset(source).schema


def read_arrow(source: FileSource, columns: list[str]) -> pa.Table:
    """Read only ``columns`` (which exist: check them first) into one Arrow table."""
    columns = list(dict.fromkeys(columns))
    if source.format == "csv":
        convert = pacsv.ConvertOptions(include_columns=columns, strings_can_be_null=True)
        parts = []
        for f in source.files:
            try:
                parts.append(pacsv.read_csv(f, parse_options=_csv_parse(source),
                                            convert_options=convert))
            except pa.ArrowInvalid as exc:
                raise AuditInputError(f"{f} could not be parsed as CSV ({_first(exc)})") from None
        return parts[0] if len(parts) == 1 else pa.concat_tables(parts, promote_options="default")
    if source.kind == "file":
        return pq.read_table(source.files[0], columns=columns)
    return _dataset(source).to_table(columns=columns)
