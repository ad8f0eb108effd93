"""One answer from every engine: pandas, DuckDB and Spark (local mode) give the same audit.

The same files go through the three engines, and ``audit.json`` must be the
same bytes: the counts are the same, the bootstrap draws from them with the
same seed, and the Brier and calibration sums are exact integers (see
``fairness._scores.fixed_point_sums``), so no tolerance is needed anywhere.
Bad input gives the same one-line error from each engine (and from the CLI:
exit status 2, no traceback).

Spark needs Java; without it the Spark tests are skipped (CI installs it, see
``.ci/run``). One SparkSession serves the module: local[2], 2 shuffle partitions.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fairness import AuditInputError, audit
from fairness._engines import choose_engine
from fairness._engines._spark import java_missing
from reports._io import dumps
from reports.cli import main

N = 3000
ENGINES = ["pandas", "duckdb", "spark"]


def make_frame(n: int = N, seed: int = 7) -> pd.DataFrame:
    """Two attributes (one with missing values), a 0/1 label, scores of two scales."""
    rng = np.random.default_rng(seed)
    race = rng.choice(np.array(["Asian", "Black", "White", "Other"], dtype=object), n,
                      p=[0.15, 0.3, 0.5, 0.05])
    race[rng.random(n) < 0.03] = None
    sex = rng.choice(np.array(["female", "male"], dtype=object), n)
    y = (rng.random(n) < 0.35 + 0.1 * (sex == "male")).astype(np.int64)
    score = np.clip(0.4 * y + 0.6 * rng.random(n) - 0.05 * (race == "Black"), 0, 1)
    score[: n // 2] = np.round(score[: n // 2], 4)  # half on the 1e-4 grid, half not
    return pd.DataFrame({
        "race": race, "sex": sex, "y": y, "pred": (score >= 0.5).astype(np.int64),
        "score": score, "decile": np.clip(np.ceil(score * 10), 1, 10).astype(np.int64),
    })


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return make_frame()


@pytest.fixture(scope="module")
def files(tmp_path_factory, frame) -> dict[str, str]:
    """The same rows as one Parquet file, a folder of three, a glob, and a CSV."""
    root = tmp_path_factory.mktemp("engines")
    table = pa.Table.from_pandas(frame, preserve_index=False)
    single = root / "all.parquet"
    pq.write_table(table, single)
    folder = root / "parts"
    folder.mkdir()
    for i, start in enumerate(range(0, N, N // 3)):
        pq.write_table(table.slice(start, N // 3), folder / f"part-{i}.parquet")
    (folder / "_SUCCESS").write_text("")  # what Spark leaves beside its output: ignored
    csv = root / "all.csv"
    frame.to_csv(csv, index=False)
    return {"file": str(single), "folder": str(folder), "glob": str(folder / "part-*.parquet"),
            "csv": str(csv)}


@pytest.fixture(scope="module")
def spark():
    why = java_missing()
    if why:
        pytest.skip(f"Spark tests need Java: {why}")
    from pyspark.sql import SparkSession

    builder = (SparkSession.builder.master("local[2]").appName("casebook tests")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.session.timeZone", "UTC"))
    with warnings.catch_warnings():  # pyspark 4 on pandas 3: the audit converts through Arrow
        warnings.simplefilter("ignore", FutureWarning)
        session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def engine_param(name: str):
    return pytest.param(name, id=name)


def run(data, engine: str, spark=None, **kw) -> str:
    """audit.json of one audit, as the canonical bytes the CLI writes."""
    kw.setdefault("bootstrap", 200)
    kw = {"label": "y", "prediction": "pred", **kw}
    return dumps(audit(data, engine=engine, **kw).to_dict())


CONFIGS = {
    "probability, intersection, missing groups": dict(
        sensitive=["race", "sex"], score="score", intersectional=True),
    "1-10 scores, burden outcome": dict(
        sensitive=["race"], score="decile", favorable_prediction=0),
    "no score, reference, no cross-check": dict(
        sensitive=["sex", "race"], reference={"race": "White"}, cross_check=False),
}


@pytest.mark.parametrize("config", list(CONFIGS))
@pytest.mark.parametrize("engine", [engine_param("duckdb"), engine_param("spark")])
def test_every_engine_writes_the_same_audit_json(files, frame, config, engine, request):
    if engine == "spark":
        request.getfixturevalue("spark")
    kw = CONFIGS[config]
    expected = run(frame, "pandas", **kw)
    assert run(files["file"], "pandas", **kw) == expected  # the path, read into memory
    got = run(files["file"], engine, **kw)
    assert got == expected
    data = json.loads(got)
    assert data["n_rows"] == N
    if "race" in kw["sensitive"] and kw.get("score") == "score":
        assert "(missing)" in {g["group"] for g in data["groups"]}
        assert data["cross_check"]["all_agree"]
        assert data["score_scale"]["kind"] == "probability"
    if kw.get("score") == "decile":
        assert data["score_scale"]["kind"] == "integer"
        assert data["favorable_prediction"] == 0


@pytest.mark.parametrize("where", ["folder", "glob"])
@pytest.mark.parametrize("engine", ["pandas", "duckdb", "spark"])
def test_folders_and_globs_of_parquet_files(files, where, engine, request):
    if engine == "spark":
        request.getfixturevalue("spark")
    kw = dict(sensitive=["race", "sex"], score="score", intersectional=True)
    assert run(files[where], engine, **kw) == run(files["file"], "pandas", **kw)


def test_a_duckdb_relation_and_a_csv_through_duckdb(files):
    kw = dict(sensitive=["race", "sex"], score="score", intersectional=True)
    expected = run(files["file"], "pandas", **kw)
    con = duckdb.connect()
    relation = con.sql(f"SELECT * FROM read_parquet('{files['file']}')")
    assert choose_engine(relation) == "duckdb"
    assert run(relation, "auto", **kw) == expected
    # A CSV: DuckDB reads it with the types pyarrow infers, so the values agree.
    assert run(files["csv"], "duckdb", **kw) == run(files["csv"], "pandas", **kw)


def test_a_spark_dataframe_passed_directly(spark, files, frame):
    kw = dict(sensitive=["race", "sex"], score="score", intersectional=True,
              drop_missing=True)
    df = spark.read.parquet(files["file"])
    assert choose_engine(df) == "spark"
    assert run(df, "auto", **kw) == run(frame, "pandas", **kw)


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_dropped_rows_and_string_labels(frame, engine, request):
    """Missing labels and scores dropped (and counted) alike; a yes/no label with positive_label."""
    if engine == "spark":
        request.getfixturevalue("spark")
    df = frame.copy()
    df["y"] = np.where(df["y"] == 1, "yes", "no").astype(object)
    df["pred"] = np.where(df["pred"] == 1, "yes", "no").astype(object)
    df.loc[::97, "y"] = None
    df.loc[5::89, "score"] = np.nan
    kw = dict(sensitive=["race"], score="score", positive_label="yes", drop_missing=True)
    table = pa.Table.from_pandas(df, preserve_index=False)
    data = spark_or_table(engine, table, request)
    expected = run(table, "pandas", **kw)
    assert json.loads(expected)["n_dropped"] > 0
    assert run(data, engine, **kw) == expected


def spark_or_table(engine, table, request):
    if engine != "spark":
        return table
    with warnings.catch_warnings():  # pyspark 4 on pandas 3: converting through Arrow is fine
        warnings.simplefilter("ignore", FutureWarning)
        return request.getfixturevalue("spark").createDataFrame(table)


def bad_inputs() -> dict[str, tuple[pd.DataFrame, dict, str]]:
    base = make_frame(400, seed=3)
    ids = base.assign(person=[f"p{i}" for i in range(len(base))])
    three = base.assign(y=np.arange(len(base)) % 3)
    missing = base.astype({"y": float})
    missing.loc[[3, 8], "y"] = np.nan
    words = base.assign(score=np.where(np.arange(len(base)) == 5, "high", "0.5"))
    infinite = base.assign(score=np.where(np.arange(len(base)) == 7, np.inf, base["score"]))
    return {
        "missing column": (base, dict(sensitive=["gender"]), "sensitive column 'gender' not found"),
        "missing values": (missing, {}, "2 rows have a missing label"),
        "non-binary label": (three, {}, "must hold two values, found 3 (0, 1, 2)"),
        "ID-like sensitive column": (ids, dict(sensitive=["person"]),
                                     "has 400 distinct values, more than 100"),
        "non-numeric score": (words, dict(score="score"), "must be numeric"),
        "infinite score": (infinite, dict(score="score"), "has 1 infinite values"),
        "favourable prediction": (base, dict(favorable_prediction="maybe"),
                                  "favorable_prediction 'maybe' is neither"),
    }


@pytest.mark.parametrize("case", list(bad_inputs()))
def test_bad_input_gives_the_same_one_line_error_from_every_engine(case, request):
    df, extra, expected = bad_inputs()[case]
    kw = {"label": "y", "prediction": "pred", "sensitive": ["race"], "max_groups": 100,
          "bootstrap": 0, **extra}
    table = pa.Table.from_pandas(df, preserve_index=False)
    messages = {}
    for engine in ENGINES:
        if engine == "spark" and java_missing():
            continue
        data = spark_or_table(engine, table, request)
        with pytest.raises(AuditInputError) as err:
            audit(data, engine=engine, **kw)
        messages[engine] = str(err.value)
    assert "\n" not in messages["pandas"] and expected in messages["pandas"]
    for engine, message in messages.items():
        assert message == messages["pandas"], engine


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "reports.cli", *args], capture_output=True,
                          text=True, timeout=300)


def cli_cases() -> dict[str, tuple[pd.DataFrame, list[str], str]]:
    base = make_frame(1200, seed=5)
    missing = base.astype({"y": float})
    missing.loc[[3, 8], "y"] = np.nan
    return {
        "missing column": (base, ["--sensitive", "gender"], "sensitive column 'gender' not found"),
        "non-binary label": (base.assign(y=np.arange(1200) % 3), ["--sensitive", "race"],
                             "must hold two values, found 3"),
        "ID-like sensitive column": (base.assign(person=[f"p{i}" for i in range(1200)]),
                                     ["--sensitive", "person"],
                                     "has 1200 distinct values, more than 1000"),
        "missing values": (missing, ["--sensitive", "race"], "2 rows have a missing label"),
    }


@pytest.mark.parametrize("case", list(cli_cases()))
def test_cli_errors_from_duckdb_are_one_line_exit_2(tmp_path, case):
    df, extra, expected = cli_cases()[case]
    path = tmp_path / "bad.parquet"
    df.to_parquet(path, index=False)
    r = _cli("audit", str(path), "--label", "y", "--prediction", "pred", *extra,
             "--engine", "duckdb", "--out", str(tmp_path / "o"))
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    errors = [line for line in r.stderr.splitlines() if line.startswith("casebook: error:")]
    assert len(errors) == 1 and expected in errors[0], r.stderr


def test_cli_spark_in_a_fresh_process_prints_no_python_warning(files, tmp_path):
    if why := java_missing():
        pytest.skip(f"Spark tests need Java: {why}")
    r = _cli("audit", files["glob"], "--label", "y", "--prediction", "pred", "--sensitive",
             "race", "--score", "score", "--bootstrap", "50", "--engine", "spark",
             "--out", str(tmp_path / "o"))
    assert r.returncode == 0, r.stderr
    # Spark's own JVM start-up lines may remain; Python's warnings and tracebacks may not.
    assert "Warning" not in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert (tmp_path / "o" / "audit.json").exists()


def test_cli_engines_write_the_same_files(files, tmp_path, capsys):
    outs = {}
    for engine in ("pandas", "duckdb"):
        out = tmp_path / engine
        assert main(["audit", files["glob"], "--label", "y", "--prediction", "pred",
                     "--sensitive", "race", "--sensitive", "sex", "--score", "score",
                     "--intersectional", "--bootstrap", "100", "--engine", engine,
                     "--out", str(out)]) == 0
        assert f"with the {engine} engine" in capsys.readouterr().out
        outs[engine] = ((out / "audit.json").read_bytes(), (out / "audit.md").read_bytes())
    assert outs["pandas"] == outs["duckdb"]


def test_auto_picks_duckdb_for_folders_globs_and_big_files(files, frame, monkeypatch):
    import fairness._engines as engines

    assert choose_engine(frame) == "pandas"
    assert choose_engine(files["file"]) == "pandas"
    assert choose_engine(files["folder"]) == "duckdb"
    assert choose_engine(files["glob"]) == "duckdb"
    monkeypatch.setattr(engines, "AUTO_PARQUET_ROWS", N - 1)
    assert choose_engine(files["file"]) == "duckdb"
    assert choose_engine(files["csv"]) == "pandas"
    monkeypatch.setattr(engines, "AUTO_FILE_BYTES", 10)
    assert choose_engine(files["csv"]) == "duckdb"
    with pytest.raises(AuditInputError, match="engine must be one of auto, pandas"):
        choose_engine(frame, "polars")


def test_path_errors(tmp_path):
    with pytest.raises(AuditInputError, match="no file matches"):
        audit(str(tmp_path / "*.parquet"), label="y", prediction="pred", sensitive="race")
    with pytest.raises(AuditInputError, match="folder without Parquet files"):
        audit(str(tmp_path), label="y", prediction="pred", sensitive="race")


def test_cross_check_on_big_sql_data_is_an_error_naming_the_fix(frame, monkeypatch):
    import fairness._audit as audit_module

    monkeypatch.setattr(audit_module, "CROSS_CHECK_MAX_ROWS", 100)
    kw = dict(label="y", prediction="pred", sensitive="sex", bootstrap=0)
    with pytest.raises(AuditInputError, match="pass cross_check=False"):
        audit(frame, engine="duckdb", cross_check=True, **kw)
    assert audit(frame, engine="duckdb", **kw).to_dict()["cross_check"] is None
