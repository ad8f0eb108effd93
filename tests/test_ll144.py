"""NYC Local Law 144's bias-audit table: against a hand-computed example, and from the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fairness import AuditInputError, ll144_table, recognise_columns
from reports.cli import main

# (sex, race, applicants, selected); one applicant's race is unknown.
CELLS = [("f", "A", 20, 4), ("f", "B", 20, 6), ("m", "A", 30, 15), ("m", "B", 28, 14),
         ("x", "A", 1, 1), ("m", None, 1, 0)]


def _frame(cells=CELLS) -> pd.DataFrame:
    rows = []
    for sex, race, n, sel in cells:
        rows += [{"sex": sex, "race": race, "hired": int(i < sel)} for i in range(n)]
    return pd.DataFrame(rows)


def _rows(part: dict) -> dict:
    return {r["category"]: r for r in part["rows"]}


def test_table_matches_hand_computation():
    t = ll144_table(_frame(), sex="sex", race="race", selected="hired", bootstrap=0)
    assert t.basis == "selection" and t.n_rows == 100
    sex, race, both = t.parts
    assert [p["kind"] for p in t.parts] == ["sex", "race", "intersection"]

    # Sex: f 10/40, m 29/59, x 1/1 (1% of the rows: eligible for exclusion).
    s = _rows(sex)
    assert {k: r["n"] for k, r in s.items()} == {"f": 40, "m": 59, "x": 1}
    assert s["f"]["rate"]["value"] == pytest.approx(10 / 40)
    assert s["m"]["rate"]["value"] == pytest.approx(29 / 59)
    assert s["x"]["rate"]["value"] == 1.0
    # x is the most selected, but under 2%: the denominator is m's rate.
    assert sex["most_selected"] == "m" and s["m"]["is_most_selected"]
    assert s["f"]["impact_ratio"]["value"] == pytest.approx((10 / 40) / (29 / 59))
    assert s["x"]["impact_ratio"]["value"] == pytest.approx(1 / (29 / 59))
    assert [k for k, r in s.items() if r["excludable"]] == ["x"]
    assert sex["n_unknown"] == 0

    # Race: A 20/51, B 20/48; the applicant without a race is left out and counted.
    r = _rows(race)
    assert (r["A"]["n"], r["A"]["selected"], r["B"]["n"], r["B"]["selected"]) == (51, 20, 48, 20)
    assert race["n_unknown"] == 1 and race["most_selected"] == "B"
    assert r["A"]["impact_ratio"]["value"] == pytest.approx((20 / 51) / (20 / 48))
    assert not any(x["excludable"] for x in r.values())

    # Intersection: m × A and m × B tie at 0.5; x × A (1 row) cannot be the denominator.
    b = _rows(both)
    assert list(b) == ["f × A", "f × B", "m × A", "m × B", "x × A"]
    assert both["n_unknown"] == 1 and both["most_selected"] == "m × A"
    ratios = {k: x["impact_ratio"]["value"] for k, x in b.items()}
    assert ratios == pytest.approx({"f × A": 0.4, "f × B": 0.6, "m × A": 1.0, "m × B": 1.0,
                                    "x × A": 2.0})
    assert [k for k, x in b.items() if x["excludable"]] == ["x × A"]


def test_scoring_rate_counts_only_scores_strictly_above_the_median():
    # Scores 1..4 with the median, 2, held by three applicants.
    df = pd.DataFrame({"sex": ["f", "f", "f", "m", "m", "m"], "score": [1, 2, 2, 2, 3, 4]})
    t = ll144_table(df, sex="sex", score="score", bootstrap=0)
    assert t.basis == "scoring" and t.median_score == 2.0 and t.n_at_median == 3
    rows = _rows(t.parts[0])
    assert rows["f"]["rate"]["value"] == 0.0  # 2 and 2 are not above the median
    assert rows["m"]["rate"]["value"] == pytest.approx(2 / 3)
    assert rows["f"]["impact_ratio"]["value"] == 0.0
    assert "above the sample's median" in t.to_dict()["definition"]


def test_a_burden_selects_those_not_flagged():
    df = pd.DataFrame({"sex": ["f"] * 4 + ["m"] * 4, "flagged": [1, 1, 1, 0, 1, 0, 0, 0]})
    t = ll144_table(df, sex="sex", selected="flagged", favorable_prediction=0, bootstrap=0)
    rows = _rows(t.parts[0])
    assert rows["f"]["rate"]["value"] == 0.25 and rows["m"]["rate"]["value"] == 0.75


def test_impact_ratio_intervals_come_from_the_bootstrap():
    t = ll144_table(_frame(), sex="sex", selected="hired", bootstrap=400, random_state=3)
    f = _rows(t.parts[0])["f"]["impact_ratio"]
    assert f["ci_method"] == "bayesian-bootstrap" and f["ci_low"] < f["value"] < f["ci_high"]
    again = ll144_table(_frame(), sex="sex", selected="hired", bootstrap=400, random_state=3)
    assert again.to_dict() == t.to_dict()  # seeded


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"selected": "hired"}, "needs a sex or a race/ethnicity column"),
    ({"sex": "sex"}, "either the decisions (selected) or the scores"),
    ({"sex": "sex", "selected": "hired", "score": "hired"}, "not both"),
    ({"sex": "gender", "selected": "hired"}, "'gender' not found; the columns are: sex, race"),
])
def test_bad_arguments_name_the_fix(kwargs, message):
    with pytest.raises(AuditInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ll144_table(_frame(), bootstrap=0, **kwargs)


def test_missing_decision_is_an_error():
    df = pd.DataFrame({"sex": ["f", "m"], "hired": [1.0, np.nan]})
    with pytest.raises(AuditInputError, match="1 rows have no decision"):
        ll144_table(df, sex="sex", selected="hired")


def test_columns_are_recognised_by_their_usual_names():
    assert recognise_columns(["Gender", "age", "Race/Ethnicity"]) == {
        "sex": "Gender", "race": "Race/Ethnicity"}
    assert recognise_columns(["sex", "ethnicity"]) == {"sex": "sex", "race": "ethnicity"}
    assert recognise_columns(["age"]) == {}
    with pytest.raises(AuditInputError, match="more than one column could be the race"):
        recognise_columns(["race", "ethnicity"])


# ------------------------------------------------------------------------- the CLI

@pytest.fixture()
def applicants(tmp_path: Path) -> Path:
    df = _frame().rename(columns={"sex": "gender", "race": "race_ethnicity"})
    df["y"] = (np.arange(len(df)) % 3 == 0).astype(int)
    df["score"] = np.arange(len(df)) % 7
    path = tmp_path / "applicants.csv"
    df.to_csv(path, index=False)
    return path


def _audit(path: Path, out: Path, *extra: str) -> int:
    return main(["audit", str(path), "--label", "y", "--prediction", "hired", "--sensitive",
                 "gender", "--sensitive", "race_ethnicity", "--bootstrap", "100",
                 "--no-cross-check", "--out", str(out), *extra])


def test_cli_recognises_the_columns_and_writes_the_table_everywhere(applicants, tmp_path,
                                                                    capsys):
    out = tmp_path / "a"
    assert _audit(applicants, out, "--ll144") == 0
    data = json.loads((out / "audit.json").read_text())
    table = data["ll144"]
    assert table["columns"] == {"sex": "gender", "race": "race_ethnicity"}
    # The same numbers as the engine's function on the same rows, with the audit's seed.
    direct = ll144_table(pd.read_csv(applicants), sex="gender", race="race_ethnicity",
                         selected="hired", bootstrap=100, random_state=0).to_dict()
    assert json.loads(json.dumps(direct)) == table
    md = (out / "audit.md").read_text()
    assert "## NYC Local Law 144 bias-audit table" in md and "| f × A | 20 | 20%" in md
    assert "may be excluded from the impact ratio" in md
    html = (out / "audit.html").read_text()
    assert "NYC Local Law 144 bias-audit table" in html and "x × A" in html
    assert "LL144 sex: lowest impact ratio" in capsys.readouterr().out


def test_cli_names_columns_and_uses_scores(applicants, tmp_path):
    out = tmp_path / "b"
    assert _audit(applicants, out, "--score", "score", "--ll144",
                  "sex=gender,race=race_ethnicity") == 0
    table = json.loads((out / "audit.json").read_text())["ll144"]
    assert table["basis"] == "scoring" and table["median_score"] == 3.0
    assert "Scoring rate" in (out / "audit.md").read_text()


@pytest.mark.parametrize(("extra", "message"), [
    (["--ll144", "age=gender"], "unknown --ll144 key 'age'; the keys are: sex, race"),
    (["--ll144", "sex"], "--ll144 takes sex=COL,race=COL"),
    (["--ll144", "sex=nope"], "column 'nope' not found; the columns are:"),
])
def test_cli_ll144_errors_are_one_line(applicants, tmp_path, extra, message, capsys):
    code = main(["audit", str(applicants), "--label", "y", "--prediction", "hired",
                 "--sensitive", "gender", *extra, "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and message in lines[0], err
    assert lines[0].startswith("casebook: error:")


def test_cli_without_recognisable_columns_says_how_to_name_them(applicants, tmp_path, capsys):
    assert main(["audit", str(applicants), "--label", "y", "--prediction", "hired",
                 "--sensitive", "race_ethnicity", "--sensitive", "gender", "--out",
                 str(tmp_path / "o"), "--ll144", "race=race_ethnicity"]) == 0
    assert main(["audit", str(applicants), "--label", "y", "--prediction", "hired",
                 "--sensitive", "y", "--ll144", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "found no sex or race/ethnicity column among --sensitive (y)" in err
    assert "--ll144 sex=COL,race=COL" in err
