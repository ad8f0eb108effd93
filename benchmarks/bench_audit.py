"""Time the audit engine against fairlearn and aif360 (run by hand, not by CI).

    .venv/bin/python benchmarks/bench_audit.py [--rows 1000000] [--big-rows 10000000]
                                                [--skip-fairlearn] [--skip-big]

(a) On ``--rows`` rows with two sensitive attributes: ``fairness.audit`` with
    1,000 bootstrap replicates (no cross-check), fairlearn's ``MetricFrame``
    with six metrics and no bootstrap (one frame per attribute, as the audit
    has one view per attribute), and aif360's ``ClassificationMetric`` for the
    same six metrics and one privileged/unprivileged pair.
(b) ``--big-rows`` rows written to Parquet in a temporary directory, then, in
    a fresh subprocess, ``pyarrow.parquet.read_table`` -> ``fairness.audit``
    with scores, 1,000 replicates and the intersection: wall time from the
    read to the result, and the subprocess's peak resident memory.

Targets: (a) ours at least 100x faster than MetricFrame; (b) under 3 s and
2 GB. Wall times depend on what else runs on the machine; CPU times are
printed beside them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np


@contextlib.contextmanager
def quiet():
    """Silence the libraries' warnings and log lines while they are timed."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            yield
    finally:
        root.setLevel(level)

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SPEEDUP_TARGET = 100.0
BIG_SECONDS_TARGET = 3.0
BIG_MEMORY_TARGET_MB = 2048.0

RACES = ["Asian", "Black", "Hispanic", "White", "Other"]
SEXES = ["female", "male"]


def make_rows(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Integer codes for two attributes, a label, a score and a thresholded prediction."""
    rng = np.random.default_rng(seed)
    race = rng.choice(len(RACES), size=n, p=[0.06, 0.13, 0.18, 0.6, 0.03]).astype(np.int8)
    sex = (rng.random(n) < 0.5).astype(np.int8)
    y = (rng.random(n) < 0.3 + 0.05 * sex).astype(np.int8)
    noise = rng.random(n, dtype=np.float32)
    score = np.clip(0.35 * y + 0.65 * noise - 0.03 * (race == 1), 0, 1).astype(np.float64)
    score = np.round(score, 4)
    y_hat = (score >= 0.5).astype(np.int8)
    return {"race": race, "sex": sex, "y": y, "y_hat": y_hat, "score": score}


def _clock():
    return time.perf_counter(), time.process_time()


def _since(start) -> tuple[float, float]:
    wall, cpu = _clock()
    return wall - start[0], cpu - start[1]


def part_a(n: int, skip_fairlearn: bool) -> dict:
    import pandas as pd

    import fairness

    with quiet():  # the libraries' import-time warnings are not the benchmark's
        import sklearn.metrics as skm
        from aif360.datasets import BinaryLabelDataset
        from aif360.metrics import ClassificationMetric
        from fairlearn import metrics as flm
    lib = {"flm": flm, "skm": skm, "BinaryLabelDataset": BinaryLabelDataset,
           "ClassificationMetric": ClassificationMetric}

    rows = make_rows(n)
    df = pd.DataFrame({
        "race": pd.Series(np.asarray(RACES, dtype=object)[rows["race"]], dtype="str"),
        "sex": pd.Series(np.asarray(SEXES, dtype=object)[rows["sex"]], dtype="str"),
        "y": rows["y"], "y_hat": rows["y_hat"],
    })
    out: dict = {"rows": n}

    fairness.audit(df.head(1000), label="y", prediction="y_hat", sensitive=["race", "sex"],
                   bootstrap=10, cross_check=False)  # warm up imports
    start = _clock()
    result = fairness.audit(df, label="y", prediction="y_hat", sensitive=["race", "sex"],
                            bootstrap=1000, cross_check=False)
    out["ours"] = _since(start)
    ours_tpr = result.group("race", "Black")["metrics"]["tpr"]["value"]

    six = {"selection_rate": flm.selection_rate, "tpr": flm.true_positive_rate,
           "fpr": flm.false_positive_rate, "tnr": flm.true_negative_rate,
           "fnr": flm.false_negative_rate, "accuracy": lib["skm"].accuracy_score}
    if not skip_fairlearn:
        with quiet():
            start = _clock()
            frames = [flm.MetricFrame(metrics=six, y_true=df["y"], y_pred=df["y_hat"],
                                      sensitive_features=df[col]) for col in ("race", "sex")]
            out["fairlearn"] = _since(start)
        fl_tpr = float(frames[0].by_group.loc["Black", "tpr"])
        assert abs(fl_tpr - ours_tpr) < 1e-12, (fl_tpr, ours_tpr)

    with quiet():
        logging.getLogger().setLevel(logging.ERROR)
        start = _clock()
        frame = pd.DataFrame({"race": rows["race"], "y": rows["y"]})
        truth = lib["BinaryLabelDataset"](df=frame, label_names=["y"],
                                          protected_attribute_names=["race"])
        pred = truth.copy()
        pred.labels = rows["y_hat"].astype(np.float64).reshape(-1, 1)
        out["aif360_datasets"] = _since(start)
        cm = lib["ClassificationMetric"](truth, pred, unprivileged_groups=[{"race": 1}],
                                         privileged_groups=[{"race": 3}])
        for privileged in (False, True):
            values = [cm.selection_rate(privileged=privileged),
                      cm.true_positive_rate(privileged=privileged),
                      cm.false_positive_rate(privileged=privileged),
                      cm.true_negative_rate(privileged=privileged),
                      cm.false_negative_rate(privileged=privileged),
                      cm.accuracy(privileged=privileged)]
            if not privileged:
                assert abs(values[1] - ours_tpr) < 1e-12
        out["aif360"] = _since(start)
    return out


_CHILD = """
import json, resource, sys, time
t0 = time.perf_counter(); c0 = time.process_time()
import pyarrow.parquet as pq
import fairness
t1 = time.perf_counter(); c1 = time.process_time()
table = pq.read_table(sys.argv[1])
t2 = time.perf_counter()
result = fairness.audit(table, label="y", prediction="y_hat", sensitive=["race", "sex"],
                        score="score", bootstrap=1000, intersectional=True, cross_check=False)
t3 = time.perf_counter(); c3 = time.process_time()
g = result.group("race × sex", "Black × female")
print(json.dumps({"import": t1 - t0, "read": t2 - t1, "audit": t3 - t2, "read_audit": t3 - t1,
                  "cpu_read_audit": c3 - c1, "n_rows": result.to_dict()["n_rows"],
                  "maxrss_self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "auc": g["score_metrics"]["auc"]["value"],
                  "tpr": g["metrics"]["tpr"]["value"]}))
"""


def write_parquet(path: Path, n: int, seed: int = 1, chunk: int = 2_000_000,
                  dictionary: bool = False) -> None:
    """Write n rows in row groups of ``chunk`` rows: string attributes, ints, floats.

    With ``dictionary`` the attributes are stored as Arrow dictionary arrays
    (what pandas writes for a ``category`` column), and ``read_table`` returns
    them as such; otherwise they come back as plain ``string`` columns.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    races = pa.array(RACES)
    sexes = pa.array(SEXES)
    writer = None
    for start in range(0, n, chunk):
        rows = make_rows(min(chunk, n - start), seed + start)
        if dictionary:
            race = pa.DictionaryArray.from_arrays(pa.array(rows["race"]), races)
            sex = pa.DictionaryArray.from_arrays(pa.array(rows["sex"]), sexes)
        else:
            race, sex = races.take(pa.array(rows["race"])), sexes.take(pa.array(rows["sex"]))
        table = pa.table({
            "race": race,
            "sex": sex,
            "y": pa.array(rows["y"]),
            "y_hat": pa.array(rows["y_hat"]),
            "score": pa.array(rows["score"]),
        })
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=chunk)
    writer.close()


def part_b(n: int, dictionary: bool = False) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "decisions.parquet"
        start = time.perf_counter()
        write_parquet(path, n, dictionary=dictionary)
        written = time.perf_counter() - start
        size_mb = path.stat().st_size / 2**20
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", _CHILD, str(path)], capture_output=True,
                              text=True, env=env, cwd=ROOT)
        total = time.perf_counter() - start
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr)
        after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        child = json.loads(proc.stdout.strip().splitlines()[-1])
    # RUSAGE_CHILDREN's ru_maxrss is the largest of all children waited for so far:
    # it is this child's peak only if it grew (or this is the first child).
    own = after / 1024 if after > before else None
    return {"rows": n, "write_s": written, "file_mb": size_mb, "subprocess_s": total,
            "peak_mb": own if own is not None else child["maxrss_self_mb"], **child}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--big-rows", type=int, default=10_000_000)
    parser.add_argument("--skip-fairlearn", action="store_true",
                        help="skip MetricFrame (the slow part of (a))")
    parser.add_argument("--skip-big", action="store_true", help="skip (b)")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    print(f"cores: {os.cpu_count()}; python {sys.version.split()[0]}")
    ok = True

    # (b) first, so the Parquet subprocess's peak memory is its own (ru_maxrss of
    # RUSAGE_CHILDREN is the largest child so far; the plain-string run, the
    # larger, goes first).
    for dictionary in ([] if args.skip_big else [False, True]):
        b = part_b(args.big_rows, dictionary)
        kind = "dictionary-encoded (category)" if dictionary else "plain string"
        print(f"\n(b) {b['rows']:,} rows from Parquet, {kind} attributes ({b['file_mb']:.0f} MB, "
              f"written in {b['write_s']:.1f} s), audit with score, 1,000 replicates, "
              "intersection:")
        print(f"    read {b['read']:.2f} s + audit {b['audit']:.2f} s = "
              f"{b['read_audit']:.2f} s wall ({b['cpu_read_audit']:.2f} s CPU); "
              f"imports {b['import']:.2f} s; whole subprocess {b['subprocess_s']:.2f} s")
        print(f"    peak memory (ru_maxrss of the subprocess): {b['peak_mb']:.0f} MB "
              f"(the child's own count: {b['maxrss_self_mb']:.0f} MB)")
        met = b["read_audit"] < BIG_SECONDS_TARGET and b["peak_mb"] < BIG_MEMORY_TARGET_MB
        if not dictionary:
            ok &= met
        print(f"    target < {BIG_SECONDS_TARGET:g} s and < {BIG_MEMORY_TARGET_MB / 1024:g} GB: "
              + ("met" if met else "MISSED"))

    a = part_a(args.rows, args.skip_fairlearn)
    wall, cpu = a["ours"]
    print(f"\n(a) {a['rows']:,} rows, two sensitive attributes (5 and 2 groups)")
    print(f"    fairness.audit, 1,000 bootstrap replicates: {wall:.3f} s wall, {cpu:.3f} s CPU")
    if "fairlearn" in a:
        fw, fc = a["fairlearn"]
        print(f"    fairlearn MetricFrame, 6 metrics, 2 attributes, no bootstrap: {fw:.1f} s wall, "
              f"{fc:.1f} s CPU -> ours {fw / wall:,.0f}x faster (CPU {fc / cpu:,.0f}x)")
        ok &= fw / wall >= SPEEDUP_TARGET
        print(f"    target >= {SPEEDUP_TARGET:g}x: "
              + ("met" if fw / wall >= SPEEDUP_TARGET else "MISSED"))
    aw, ac = a["aif360"]
    dw, _ = a["aif360_datasets"]
    print(f"    aif360 ClassificationMetric, 6 metrics, one pair: {aw:.2f} s wall "
          f"({dw:.2f} s of it building the datasets), {ac:.2f} s CPU -> ours "
          f"{aw / wall:,.0f}x faster")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
