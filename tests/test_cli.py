"""`casebook audit`, `list` and `run` from the command line: numbers and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from reports.cli import main

HAND_CSV = """y,pred,sex,score
1,1,f,0.9
1,0,f,0.4
0,1,f,0.6
0,0,f,0.2
0,0,f,0.1
1,1,m,0.8
1,1,m,0.7
0,1,m,0.55
0,0,m,0.3
1,0,m,0.45
"""


@pytest.fixture()
def hand_csv(tmp_path: Path) -> Path:
    p = tmp_path / "hand.csv"
    p.write_text(HAND_CSV)
    return p


def test_audit_matches_hand_computation(hand_csv, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["audit", str(hand_csv), "--label", "y", "--prediction", "pred",
                 "--sensitive", "sex", "--score", "score", "--bootstrap", "200",
                 "--out", str(out)])
    assert code == 0
    audit = json.loads((out / "audit.json").read_text())
    f = next(g for g in audit["groups"] if g["group"] == "f")
    m = next(g for g in audit["groups"] if g["group"] == "m")
    # f: TP=1 (row 1), FN=1 (row 2), FP=1 (row 3), TN=2 (rows 4, 5)
    assert (f["tp"], f["fn"], f["fp"], f["tn"]) == (1, 1, 1, 2)
    # m: TP=2, FP=1, TN=1, FN=1
    assert (m["tp"], m["fn"], m["fp"], m["tn"]) == (2, 1, 1, 1)
    assert f["metrics"]["selection_rate"]["value"] == pytest.approx(2 / 5)
    assert m["metrics"]["selection_rate"]["value"] == pytest.approx(3 / 5)
    assert f["metrics"]["tpr"]["value"] == pytest.approx(1 / 2)
    assert m["metrics"]["tpr"]["value"] == pytest.approx(2 / 3)
    assert f["metrics"]["fpr"]["value"] == pytest.approx(1 / 3)
    assert m["metrics"]["fpr"]["value"] == pytest.approx(1 / 2)
    assert m["metrics"]["ppv"]["value"] == pytest.approx(2 / 3)
    assert f["metrics"]["f1"]["value"] == pytest.approx(2 * 1 / (2 * 1 + 1 + 1))
    # Groups tie at 5 rows: the reference is the first, "f".
    dp = audit["summary"]["by_attribute"]["sex"]["demographic_parity_difference"]
    assert dp["value"] == pytest.approx(0.2)
    # AUC of f: positives {0.9, 0.4}, negatives {0.6, 0.2, 0.1}: 5 of 6 pairs ordered.
    assert f["score_metrics"]["auc"]["value"] == pytest.approx(5 / 6)
    brier_f = ((0.9 - 1) ** 2 + (0.4 - 1) ** 2 + 0.6**2 + 0.2**2 + 0.1**2) / 5
    assert f["score_metrics"]["brier"]["value"] == pytest.approx(brier_f)
    assert audit["n_rows"] == 10 and audit["n_dropped"] == 0
    assert (out / "audit.md").read_text().startswith("# Bias audit")
    printed = capsys.readouterr().out
    assert "demographic parity difference" in printed


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "reports.cli", *args],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("content", "extra", "expected"),
    [
        (None, [], "file not found"),
        ("y,pred,sex\n1,1,a\n", ["--sensitive", "race"],
         "'race' not found; the columns are: y, pred, sex"),
        ("y,pred,sex\n1,1,a\n2,0,b\n3,1,a\n", [], "must hold two values, found 3"),
        ("y,pred,sex\n1,1,a\n,0,b\n0,1,a\n", [], "1 rows have a missing label"),
        ("y,pred,sex,score\n1,1,a,inf\n0,0,b,0.2\n", ["--score", "score"], "infinite values"),
        ("y,pred,sex\n1,1,a\n0,0,b\n", ["--favorable-prediction", "maybe"],
         "favorable_prediction 'maybe'"),
        ("y,pred,sex\nyes,no,a\nno,yes,b\n", [], "cannot tell which of"),
    ],
)
def test_bad_input_is_one_line_without_traceback(tmp_path, content, extra, expected):
    path = tmp_path / "data.csv"
    if content is not None:
        path.write_text(content)
    sens = [] if "--sensitive" in extra else ["--sensitive", "sex"]
    r = _cli("audit", str(path), "--label", "y", "--prediction", "pred", *sens, *extra,
             "--out", str(tmp_path / "o"))
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    errors = [line for line in r.stderr.splitlines() if line.startswith("casebook: error:")]
    assert len(errors) == 1 and expected in errors[0], r.stderr


def test_unknown_format_and_id_column(tmp_path):
    bad = tmp_path / "data.xlsx"
    bad.write_text("x")
    r = _cli("audit", str(bad), "--label", "y", "--prediction", "p", "--sensitive", "s",
             "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and "unknown file format '.xlsx'" in r.stderr
    rows = "\n".join(f"{i % 2},{(i // 2) % 2},person{i}" for i in range(1500))
    ids = tmp_path / "ids.csv"
    ids.write_text("y,p,s\n" + rows + "\n")
    r = _cli("audit", str(ids), "--label", "y", "--prediction", "p", "--sensitive", "s",
             "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and "looks like an identifier" in r.stderr


def test_drop_missing_reports_the_count(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("y,pred,sex\n1,1,a\n,0,b\n0,1,a\n1,0,b\n0,,a\n")
    out = tmp_path / "o"
    r = _cli("audit", str(path), "--label", "y", "--prediction", "pred", "--sensitive", "sex",
             "--drop-missing", "--no-cross-check", "--out", str(out))
    assert r.returncode == 0, r.stderr
    audit = json.loads((out / "audit.json").read_text())
    assert audit["n_dropped"] == 2 and audit["n_rows"] == 3


def test_missing_sensitive_values_form_their_own_group(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("y,pred,sex\n1,1,a\n0,0,\n0,1,a\n1,0,b\n")
    out = tmp_path / "o"
    assert main(["audit", str(path), "--label", "y", "--prediction", "pred",
                 "--sensitive", "sex", "--bootstrap", "0", "--out", str(out)]) == 0
    groups = {g["group"] for g in json.loads((out / "audit.json").read_text())["groups"]}
    assert groups == {"a", "b", "(missing)"}


def test_run_errors_list_what_is_valid(capsys):
    assert main(["run", "no-such-case"]) == 2
    assert "the cases are: " in capsys.readouterr().err
    assert main(["run", "hiring", "--set", "nope=1"]) == 2
    assert "its knobs are: historical_bias" in capsys.readouterr().err
    assert main(["run", "hiring", "--set", "historical_bias=7"]) == 2
    assert "must be 0 to 3" in capsys.readouterr().err
    assert main(["run", "hiring", "--set", "historical_bias"]) == 2
    assert "KNOB=VALUE" in capsys.readouterr().err


def test_list_names_every_case(capsys):
    from cases import all_cases

    assert main(["list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out] == list(all_cases())


def test_run_writes_record_to_out(tmp_path):
    assert main(["run", "hiring", "--n-samples", "2000", "--no-mitigations",
                 "--out", str(tmp_path)]) == 0
    record = json.loads((tmp_path / "record.json").read_text())
    assert record["case"] == "hiring" and record["manifest"]["n_samples"] == 2000
    assert record["synthetic"] is True


def test_mitigations_lists_the_registry(capsys):
    from fairness.mitigations import MITIGATIONS

    assert main(["mitigations"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "sensitive at prediction" in out[0]
    assert [line.split()[0] for line in out[1:]] == list(MITIGATIONS)


def test_a_reader_that_stops_early_is_not_an_error():
    """`casebook list | head -1`: the pipe closes before the command writes."""
    proc = subprocess.Popen([sys.executable, "-m", "reports.cli", "list"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=Path(__file__).resolve().parent.parent)
    proc.stdout.close()  # the reader is gone before the command has imported the cases
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0, err
    assert "Traceback" not in err and "Error" not in err, err
