"""``casebook compare`` and ``fairness.compare_audits``: no change where there is none, and a
planted change found alone."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from fairness import AuditInputError, audit, compare_audits
from reports._report import compare_sentences
from reports.cli import main

# Per group: (TN, FP, FN, TP). FPR = FP / (FP + TN) = 20% everywhere.
BASE = {"a": (1600, 400, 600, 1400), "b": (1600, 400, 600, 1400), "c": (800, 200, 300, 700)}


def _frame(cells: dict) -> pd.DataFrame:
    parts = []
    for group, counts in cells.items():
        for (y, p), n in zip([(0, 0), (0, 1), (1, 0), (1, 1)], counts, strict=True):
            parts.append(pd.DataFrame({"y": [y] * n, "pred": [p] * n, "g": [group] * n}))
    return pd.concat(parts, ignore_index=True)


def _audit(cells: dict, **kw) -> dict:
    return audit(_frame(cells), label="y", prediction="pred", sensitive="g", bootstrap=0,
                 cross_check=False, reference={"g": "a"}, **kw).to_dict()


@pytest.fixture(scope="module")
def before() -> dict:
    return _audit(BASE)


@pytest.fixture(scope="module")
def planted(before) -> dict:
    # Group b's false-positive rate up 10 points: 200 of its negatives now flagged.
    after = _audit({**BASE, "b": (1400, 600, 600, 1400)})
    return compare_audits(before, after, bootstrap=1000, random_state=1)


def _all(c: dict) -> list[dict]:
    return c["groups"] + c["disparities"] + c["summaries"]


def test_an_audit_compared_with_itself_changes_nothing(before):
    c = compare_audits(before, before, bootstrap=1000)
    assert c["n_marked"] == 0 and c["attributes"] == ["g"]
    assert len(c["groups"]) == 3 * 13 and len(c["disparities"]) == 2 * 13
    for e in _all(c):
        ch = e["change"]
        assert ch["value"] == 0.0, e
        # Around zero, and not a point: the two audits' draws are independent.
        assert ch["ci_low"] < 0 < ch["ci_high"], e
    assert compare_sentences(c) == []


def test_a_planted_change_in_one_groups_fpr_is_found_and_nothing_else(planted):
    fpr = next(e for e in planted["groups"] if (e["group"], e["metric"]) == ("b", "fpr"))
    assert fpr["change"]["value"] == pytest.approx(0.10)
    assert fpr["marked"] and fpr["change"]["ci_low"] < 0.10 < fpr["change"]["ci_high"]
    assert fpr["change"]["ci_low"] > 0.05  # 4,000 rows per group: a tight interval
    gap = next(e for e in planted["disparities"] if (e["group"], e["metric"]) == ("b", "fpr"))
    assert gap["marked"] and gap["reference"] == "a"
    assert gap["change"]["value"] == pytest.approx(0.10)
    assert gap["gap_change"]["value"] == pytest.approx(0.10)  # 0 before, +10 points after
    # Nothing of the groups whose counts did not move is marked, nor is any metric of b's
    # that does not depend on its negatives (FP, TN).
    marked = [e for e in planted["groups"] + planted["disparities"] if e["marked"]]
    assert {e["group"] for e in marked} == {"b"}
    untouched = {"base_rate", "tpr", "fnr"}
    assert not [e for e in marked if e["metric"] in untouched]
    for e in planted["groups"]:
        if e["group"] != "b" or e["metric"] in untouched:
            assert e["change"]["value"] == 0.0 and not e["marked"], e
    # The summary in words says it, with the interval.
    words = " ".join(compare_sentences(planted))
    assert "Between b and a (by g), the gap in false positive rate widened by 10 points [" \
        in words


def test_a_narrowed_gap_is_said_so():
    before = _audit({**BASE, "b": (1400, 600, 600, 1400)})
    c = compare_audits(before, _audit(BASE), bootstrap=500)
    words = compare_sentences(c)
    assert any("gap in false positive rate narrowed by 10 points [" in w for w in words)


def test_audits_of_different_questions_are_refused(before):
    other_label = json.loads(json.dumps(before))
    other_label["columns"]["label"] = "outcome"
    with pytest.raises(AuditInputError, match="different labels"):
        compare_audits(before, other_label)
    burden = json.loads(json.dumps(before))
    burden["favorable_prediction"] = 0
    with pytest.raises(AuditInputError, match="disagree on the favourable outcome"):
        compare_audits(before, burden)
    renamed = json.loads(json.dumps(before))
    renamed["attributes"] = ["sex"]
    for g in renamed["groups"]:
        g["attribute"] = "sex"
    with pytest.raises(AuditInputError, match=r"share no attribute \(before: g; after: sex\)"):
        compare_audits(before, renamed)
    with pytest.raises(AuditInputError, match="AFTER is not an audit"):
        compare_audits(before, {"groups": [{"group": "a"}]})


def test_groups_in_one_audit_only_are_named(before):
    after = _audit({k: v for k, v in BASE.items() if k != "c"})
    c = compare_audits(before, after, bootstrap=100)
    assert c["by_attribute"]["g"]["only_before"] == ["c"]
    assert any("before only: c" in w for w in c["warnings"])


def test_cli_writes_three_files_and_errors_in_one_line(tmp_path, capsys):
    hostile = "a|b <i>*x*</i>"
    for name, cells in (("before", BASE), ("after", {**BASE, "b": (1400, 600, 600, 1400)})):
        df = _frame(cells).replace({"g": {"b": hostile}})
        df.to_csv(tmp_path / f"{name}.csv", index=False)
        assert main(["audit", str(tmp_path / f"{name}.csv"), "--label", "y", "--prediction",
                     "pred", "--sensitive", "g", "--reference", "g=a", "--bootstrap", "0",
                     "--no-cross-check", "--out", str(tmp_path / name)]) == 0
    out = tmp_path / "cmp"
    assert main(["compare", str(tmp_path / "before"), str(tmp_path / "after" / "audit.json"),
                 "--bootstrap", "300", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "the gap in false positive rate widened by 10 points" in printed
    data = json.loads((out / "compare.json").read_text())
    assert data["n_marked"] > 0 and data["before"]["source"] == str(tmp_path / "before")
    md = (out / "compare.md").read_text()
    assert hostile not in md and r"a\|b &lt;i&gt;\*x\*&lt;/i&gt;" in md and "●" in md
    html = (out / "compare.html").read_text()
    assert hostile not in html and "a|b &lt;i&gt;*x*&lt;/i&gt;" in html

    assert main(["compare", str(tmp_path / "before"), str(tmp_path / "nowhere"),
                 "--out", str(out)]) == 2
    assert main(["compare", str(tmp_path / "before"), str(tmp_path / "before"), "--metric",
                 "fpx", "--out", str(out)]) == 2
    (tmp_path / "bad.json").write_text("{not json")
    assert main(["compare", str(tmp_path / "bad.json"), str(tmp_path / "before"),
                 "--out", str(out)]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 3 and all(e.startswith("casebook: error:") for e in errors)
    assert "AFTER: no audit at" in errors[0]
    assert "unknown metric 'fpx'; the metrics are: selection_rate, base_rate, tpr" in errors[1]
    assert "BEFORE:" in errors[2] and "is not JSON" in errors[2]


def test_metric_option_keeps_only_those_metrics(before):
    c = compare_audits(before, before, bootstrap=50, metrics=["fpr"])
    assert {e["metric"] for e in c["groups"] + c["disparities"]} == {"fpr"}
    assert c["summaries"] == []  # every summary needs another metric too


def test_comparisons_are_seeded(before):
    assert compare_audits(before, before, bootstrap=200, random_state=4) == \
        compare_audits(before, before, bootstrap=200, random_state=4)
