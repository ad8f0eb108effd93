"""Apache Spark: the same GROUP BYs on a cluster (or on local cores).

A Spark DataFrame is audited where it lives: ``_sql``'s queries run through
``spark.sql`` on a temporary view, and only their aggregated results come to
the driver (``toArrow``). Given a path, the audit reads it with the active
SparkSession, or starts one on ``spark_master`` (default ``local[*]``).
"""

from __future__ import annotations

import os
import shutil
import uuid
import warnings
from contextlib import contextmanager
from typing import Any

import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)

from .._prepare import AuditInputError
from ._files import FileSource, is_remote

DEFAULT_MASTER = "local[*]"
# Local mode has few cores: Spark's default of 200 shuffle partitions would be
# 200 tiny tasks per GROUP BY.
LOCAL_SHUFFLE_PARTITIONS = 4


def _first(exc: Exception) -> str:
    lines = [line for line in str(exc).strip().splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


@contextmanager
def _quiet():
    # pyspark 4.x warns that it "does not yet fully support pandas >= 3.0.0" on
    # every conversion; the audit converts only through Arrow, which it does support.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas",
                                category=FutureWarning)
        yield


def java_missing() -> str | None:
    """Why Spark cannot start here (no Java), or None when ``java`` is found."""
    home = os.environ.get("JAVA_HOME")
    if home and os.path.exists(os.path.join(home, "bin", "java")):
        return None
    if shutil.which("java"):
        return None
    return ("the spark engine needs Java 17 or later, and java was not found; install it "
            "(Debian: apt-get install openjdk-17-jre-headless) or set JAVA_HOME")


def session(master: str | None = None):
    """The active SparkSession, or a new one on ``master`` (default ``local[*]``).

    A session this starts has Spark's web UI and console progress bars off and,
    in local mode, :data:`LOCAL_SHUFFLE_PARTITIONS` shuffle partitions.
    """
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    why = java_missing()
    if why:
        raise AuditInputError(why)
    master = master or DEFAULT_MASTER
    builder = (SparkSession.builder.master(master).appName("casebook audit")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false"))
    if master.startswith("local"):
        builder = builder.config("spark.sql.shuffle.partitions", LOCAL_SHUFFLE_PARTITIONS)
    try:
        with _quiet():  # starting a session checks pandas' version too
            spark = builder.getOrCreate()
    except Exception as exc:  # py4j/JVM start-up failures have no common base class
        raise AuditInputError(f"Spark could not start on {master!r} ({_first(exc)})") from None
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def read(data: str, source: FileSource | None, master: str | None):
    """A Spark DataFrame over a file, a folder, a glob or a remote URI (s3a://, hdfs://)."""
    spark = session(master)
    fmt = source.format if source is not None else (
        "csv" if data.lower().endswith((".csv", ".tsv", ".txt")) else "parquet")
    # A folder goes to Spark whole, so that it finds Hive partitions itself.
    paths = ([data] if source is None or source.kind != "glob" else list(source.files))
    if not is_remote(data):
        paths = [os.path.abspath(p) for p in paths]
    try:
        with _quiet():
            if fmt == "csv":
                sep = "\t" if data.lower().endswith(".tsv") else ","
                return spark.read.csv(paths, header=True, inferSchema=True, sep=sep,
                                      multiLine=True)
            return spark.read.parquet(*paths)
    except Exception as exc:  # AnalysisException and friends: a missing path, a bad file
        raise AuditInputError(f"Spark could not read {data} ({_first(exc)})") from None


def is_spark_frame(data: Any) -> bool:
    """A pyspark DataFrame (classic or Spark Connect), without importing pyspark."""
    module = type(data).__module__ or ""
    return module.startswith("pyspark.sql") and type(data).__name__ == "DataFrame"


def _kind(data_type: Any) -> str:
    name = type(data_type).__name__
    if name in ("DoubleType", "FloatType"):
        return "float"
    if name in ("ByteType", "ShortType", "IntegerType", "LongType"):
        return "int"
    if name == "BooleanType":
        return "bool"
    if name in ("StringType", "VarcharType", "CharType"):
        return "string"
    if name == "DecimalType":
        return "decimal"
    return "other"


class SparkBackend:
    """The ``_sql.Backend`` for Spark: a temporary view over the DataFrame."""

    name = "spark"

    def __init__(self, frame: Any):
        self.spark = frame.sparkSession
        self.view = f"casebook_rows_{uuid.uuid4().hex}"
        self.table = f"`{self.view}`"
        self._columns = {f.name: _kind(f.dataType) for f in frame.schema.fields}
        frame.createOrReplaceTempView(self.view)

    def columns(self) -> dict[str, str]:
        return dict(self._columns)

    def fetch(self, sql: str) -> pa.Table:
        try:
            with _quiet():
                return self.spark.sql(sql).toArrow()
        except Exception as exc:  # a bad file surfaces only when a job reads it
            if type(exc).__module__.startswith(("pyspark", "py4j")):
                raise AuditInputError(f"Spark could not run the audit ({_first(exc)})") from None
            raise

    def rows(self, columns: list[str]) -> pa.Table:
        """Rows in their files' order (Spark packs files into partitions largest first)."""
        cols = ", ".join(self.quote(c) for c in columns)
        table = self.fetch(f"SELECT {cols}, input_file_name() AS casebook_file, "
                           f"monotonically_increasing_id() AS casebook_row FROM {self.table}")
        order = pa.compute.sort_indices(table, [("casebook_file", "ascending"),
                                                ("casebook_row", "ascending")])
        return table.take(order).drop_columns(["casebook_file", "casebook_row"])

    @staticmethod
    def quote(name: str) -> str:
        return "`" + name.replace("`", "``") + "`"

    @staticmethod
    def fixed_sum(expr: str) -> str:
        # Spark's sum(BIGINT) is a BIGINT that would overflow; DECIMAL(38, 0) holds 10**38.
        return f"sum(CAST({expr} AS DECIMAL(38, 0)))"

    @staticmethod
    def try_double(expr: str) -> str:
        return f"try_cast({expr} AS DOUBLE)"

    @staticmethod
    def literal(value: Any) -> None:
        return None  # group by the raw values; Spark's hash aggregate takes them as they are

    def close(self) -> None:
        try:
            self.spark.catalog.dropTempView(self.view)
        except Exception:  # the session may already be gone; the view went with it
            pass
