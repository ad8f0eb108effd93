"""The audit engine on inputs small enough to check by hand, and its input errors."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from fairness import MISSING_GROUP, AuditInputError, audit

# ---------------------------------------------------------------------------
# A hand-computed example
#
# Group A (6 rows): y    = 1 1 1 0 0 0
#                   ŷ    = 1 1 0 1 0 0   -> TP 2, FN 1, FP 1, TN 2
# Group B (4 rows): y    = 0 0 0 0
#                   ŷ    = 1 0 0 0       -> TP 0, FN 0, FP 1, TN 3  (no positives)

HAND = pd.DataFrame({
    "y": [1, 1, 1, 0, 0, 0, 0, 0, 0, 0],
    "pred": [1, 1, 0, 1, 0, 0, 1, 0, 0, 0],
    "grp": ["A"] * 6 + ["B"] * 4,
})

EXPECTED_A = {
    "selection_rate": 3 / 6, "base_rate": 3 / 6, "tpr": 2 / 3, "fpr": 1 / 3, "tnr": 2 / 3,
    "fnr": 1 / 3, "ppv": 2 / 3, "npv": 2 / 3, "fdr": 1 / 3, "false_omission_rate": 1 / 3,
    "accuracy": 4 / 6, "balanced_accuracy": 2 / 3, "f1": 4 / 6,
}
EXPECTED_B = {
    "selection_rate": 1 / 4, "base_rate": 0.0, "tpr": None, "fpr": 1 / 4, "tnr": 3 / 4,
    "fnr": None, "ppv": 0.0, "npv": 1.0, "fdr": 1.0, "false_omission_rate": 0.0,
    "accuracy": 3 / 4, "balanced_accuracy": None, "f1": 0.0,
}


def hand_audit(**kw):
    kw.setdefault("bootstrap", 0)
    kw.setdefault("cross_check", False)
    return audit(HAND, label="y", prediction="pred", sensitive="grp", **kw)


def test_hand_computed_counts():
    r = hand_audit()
    a, b = r.group("grp", "A"), r.group("grp", "B")
    assert (a["tp"], a["fp"], a["fn"], a["tn"], a["n"]) == (2, 1, 1, 2, 6)
    assert (b["tp"], b["fp"], b["fn"], b["tn"], b["n"]) == (0, 1, 0, 3, 4)
    assert a["share"] == 0.6 and b["share"] == 0.4
    assert r.to_dict()["n_rows"] == 10 and r.to_dict()["positive_label"] == 1


@pytest.mark.parametrize("name, expected", [("A", EXPECTED_A), ("B", EXPECTED_B)])
def test_hand_computed_metrics(name, expected):
    g = hand_audit().group("grp", name)
    assert set(g["metrics"]) == set(expected)
    for metric, value in expected.items():
        got = g["metrics"][metric]["value"]
        if value is None:
            assert got is None, metric
        else:
            assert got == pytest.approx(value, abs=1e-15), metric


def test_hand_computed_disparities_and_summary():
    r = hand_audit()
    # The reference defaults to the largest group, A.
    assert r.group("grp", "A")["is_reference"] and not r.group("grp", "B")["is_reference"]
    d = r.disparity("grp", "selection_rate", "B")
    assert d["reference"] == "A"
    assert d["difference"]["value"] == pytest.approx(1 / 4 - 1 / 2)
    assert d["ratio"]["value"] == pytest.approx(0.5)
    s = r.summary["by_attribute"]["grp"]
    assert s["reference"] == "A"
    assert s["demographic_parity_difference"]["value"] == pytest.approx(0.25)
    assert s["demographic_parity_ratio"]["value"] == pytest.approx(0.5)
    # TPR is defined for A only, so the worst case of equalized odds is the FPR gap.
    assert s["equalized_odds_difference"]["value"] == pytest.approx(1 / 3 - 1 / 4)
    (vs,) = s["vs_reference"]
    assert vs["group"] == "B"
    assert vs["statistical_parity_difference"]["value"] == pytest.approx(-0.25)
    assert vs["disparate_impact"]["value"] == pytest.approx(0.5)
    assert vs["equal_opportunity_difference"]["value"] is None
    assert vs["average_odds_difference"]["value"] is None
    assert r.group("grp", "B")["impact_ratio"]["value"] == pytest.approx(0.5)
    assert r.group("grp", "A")["impact_ratio"]["value"] == pytest.approx(1.0)


def test_hand_computed_entropy_indices():
    # Overall TP 2, FP 2, FN 1, TN 5: the benefit b = ŷ - y + 1 is 0 once, 1 seven
    # times and 2 twice; mean 1.1.
    o = hand_audit().summary["overall"]
    b = np.array([0] + [1] * 7 + [2] * 2, dtype=float)
    mu = b.mean()
    ge2 = np.mean((b / mu) ** 2 - 1) / 2
    theil = np.mean(np.where(b > 0, (b / mu) * np.log(np.where(b > 0, b, 1) / mu), 0.0))
    assert ge2 == pytest.approx(29 / 242)
    assert o["generalized_entropy_index"]["value"] == pytest.approx(ge2, abs=1e-15)
    assert o["theil_index"]["value"] == pytest.approx(theil, abs=1e-15)
    assert o["metrics"]["accuracy"]["value"] == pytest.approx(0.7)


def test_undefined_metric_is_none_with_reason_never_zero():
    r = hand_audit(bootstrap=200)
    b = r.group("grp", "B")
    for metric in ("tpr", "fnr", "balanced_accuracy"):
        e = b["metrics"][metric]
        assert e["value"] is None and e["ci_low"] is None and e["ci_high"] is None
        assert "positives" in e["reason"]
    assert any("tpr is undefined" in w for w in b["warnings"])
    d = r.disparity("grp", "tpr", "B")
    assert d["difference"]["value"] is None and "undefined for B" in d["difference"]["reason"]
    # The table shows a dash, not 0.
    row = next(line for line in r.to_markdown().splitlines() if line.startswith("| B "))
    assert "—" in row and "undefined: tpr, fnr, balanced_accuracy" in row


def test_single_group_attribute_warns_without_crashing():
    df = HAND.assign(one="only")
    r = audit(df, label="y", prediction="pred", sensitive=["one", "grp"], bootstrap=50,
              cross_check=True)
    assert any("'one' has one group only" in w for w in r.warnings)
    assert [d for d in r.disparities if d["attribute"] == "one"] == []
    assert r.summary["by_attribute"]["one"]["vs_reference"] == []
    assert r.summary["by_attribute"]["one"]["demographic_parity_difference"]["value"] == 0.0
    assert r.cross_check["all_agree"]


def test_missing_sensitive_values_form_their_own_group():
    df = HAND.assign(grp=["A", None, "A", np.nan, "A", "A", "B", "B", None, "B"])
    r = audit(df, label="y", prediction="pred", sensitive="grp", bootstrap=0, cross_check=False)
    names = [g["group"] for g in r.groups]
    assert names == ["A", "B", MISSING_GROUP]
    assert r.group("grp", MISSING_GROUP)["n"] == 3
    table = pa.Table.from_pandas(df)
    r2 = audit(table, label="y", prediction="pred", sensitive="grp", bootstrap=0,
               cross_check=False)
    assert r2.to_json() .replace('"columns"', "") == r.to_json().replace('"columns"', "")


def test_arrow_input_matches_pandas_including_chunks_and_nan_labels():
    rng = np.random.default_rng(3)
    n = 600
    df = pd.DataFrame({
        "y": rng.integers(0, 2, n).astype(float),
        "pred": rng.integers(0, 2, n),
        "g": rng.choice(["x", "y", "z"], n),
    })
    df.loc[[5, 17], "y"] = np.nan
    chunks = [pa.Table.from_pandas(df.iloc[i:i + 200], preserve_index=False)
              for i in range(0, n, 200)]
    table = pa.concat_tables(chunks)
    assert table.column("g").num_chunks == 3
    kw = dict(label="y", prediction="pred", sensitive="g", bootstrap=100, drop_missing=True,
              cross_check=False)
    assert audit(table, **kw).to_json() == audit(df, **kw).to_json()


def _close(a, b):
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)
    return a == b


def test_row_blocks_give_the_single_pass_result(monkeypatch):
    """Large inputs are reduced in blocks of rows; the result must not depend on it."""
    import fairness._counts as counts_module

    rng = np.random.default_rng(12)
    n = 40_000
    df = pd.DataFrame({"y": rng.integers(0, 2, n), "pred": rng.integers(0, 2, n),
                       "a": rng.choice(["p", "q", "r"], n), "b": rng.choice(["u", "v"], n),
                       "s": np.round(rng.random(n), 3)})
    kw = dict(label="y", prediction="pred", sensitive=["a", "b"], score="s", bootstrap=200,
              intersectional=True, cross_check=False)
    single = audit(df, **kw).to_dict()
    # 5 blocks, the last one short; the score path is blocked too (6 joint groups
    # x 20,000 histogram cells / 16 < 9,000).
    monkeypatch.setattr(counts_module, "ROW_BLOCK", 9_000)
    assert len(counts_module.row_blocks(n)) == 5
    assert len(counts_module.row_blocks(n, 6 * 2 * 10_000 // 16)) == 5
    blocked = audit(df, **kw).to_dict()
    assert _close(blocked, single)
    assert blocked["groups"][0]["tp"] == single["groups"][0]["tp"]


def test_arrow_dictionary_columns_with_unused_values_and_per_chunk_dictionaries():
    df = HAND.assign(grp=pd.Categorical(HAND["grp"], categories=["Z", "B", "A"]))
    table = pa.Table.from_pandas(df, preserve_index=False)
    assert pa.types.is_dictionary(table.column("grp").type)
    # Two chunks whose dictionaries differ in content and order.
    chunked = pa.chunked_array([
        pa.DictionaryArray.from_arrays(pa.array([0, 0, 0, 0, 0, 0, 1], pa.int32()),
                                       pa.array(["A", "B"])),
        pa.DictionaryArray.from_arrays(pa.array([0, 0, 0], pa.int32()), pa.array(["B", "Q"])),
    ])
    kw = dict(label="y", prediction="pred", sensitive="grp", bootstrap=0, cross_check=False)
    expected = hand_audit().to_json()
    assert audit(table, **kw).to_json() == expected
    assert audit(table.set_column(2, "grp", chunked), **kw).to_json() == expected


# ---------------------------------------------------------------------------
# Positive label


def test_positive_label_strings():
    df = HAND.assign(y=HAND["y"].map({1: "yes", 0: "no"}), pred=HAND["pred"].map({1: "yes",
                                                                                   0: "no"}))
    with pytest.raises(AuditInputError, match="positive_label"):
        audit(df, label="y", prediction="pred", sensitive="grp", bootstrap=0)
    r = audit(df, label="y", prediction="pred", sensitive="grp", positive_label="yes",
              bootstrap=0, cross_check=False)
    assert r.group("grp", "A")["tp"] == 2 and r.to_dict()["positive_label"] == "yes"
    flipped = audit(df, label="y", prediction="pred", sensitive="grp", positive_label="no",
                    bootstrap=0, cross_check=False)
    a = flipped.group("grp", "A")
    assert (a["tp"], a["fp"], a["fn"], a["tn"]) == (2, 1, 1, 2)[::-1]


def test_positive_label_numbers_booleans_and_cli_strings():
    two = HAND.assign(y=HAND["y"] * 5 + 2, pred=HAND["pred"] * 5 + 2)  # values 2 and 7
    r = audit(two, label="y", prediction="pred", sensitive="grp", bootstrap=0,
              cross_check=False)
    assert r.to_dict()["positive_label"] == 7 and r.group("grp", "A")["tp"] == 2
    r = audit(two, label="y", prediction="pred", sensitive="grp", positive_label="2",
              bootstrap=0, cross_check=False)
    assert r.to_dict()["positive_label"] == 2 and r.group("grp", "A")["tn"] == 2
    boolean = HAND.assign(y=HAND["y"].astype(bool), pred=HAND["pred"].astype(bool))
    r = audit(boolean, label="y", prediction="pred", sensitive="grp", bootstrap=0,
              cross_check=False)
    assert r.to_dict()["positive_label"] is True and r.group("grp", "A")["tp"] == 2
    with pytest.raises(AuditInputError, match="does not occur"):
        audit(two, label="y", prediction="pred", sensitive="grp", positive_label="maybe")


def test_three_valued_label_needs_positive_label():
    df = HAND.assign(y=["hi", "mid", "lo"] * 3 + ["hi"], pred=["hi", "lo"] * 5)
    with pytest.raises(AuditInputError, match=r"three|3 \(") as err:
        audit(df, label="y", prediction="pred", sensitive="grp", bootstrap=0)
    assert "'y'" in str(err.value) and "positive_label" in str(err.value)
    r = audit(df, label="y", prediction="pred", sensitive="grp", positive_label="hi",
              bootstrap=0, cross_check=False)
    assert r.group("grp", "A")["tp"] + r.group("grp", "A")["fn"] == 2  # "hi" at rows 0, 3


# ---------------------------------------------------------------------------
# Bad input: one AuditInputError each, with a one-line message


def _one_line(err: pytest.ExceptionInfo) -> str:
    msg = str(err.value)
    assert "\n" not in msg and msg
    return msg


def test_missing_column_names_the_existing_columns():
    with pytest.raises(AuditInputError) as err:
        audit(HAND, label="outcome", prediction="pred", sensitive="grp")
    msg = _one_line(err)
    assert "'outcome'" in msg and "y, pred, grp" in msg
    with pytest.raises(AuditInputError, match="sensitive column 'race' not found"):
        audit(HAND, label="y", prediction="pred", sensitive="race")


def test_missing_labels_are_counted_or_dropped():
    df = HAND.assign(y=HAND["y"].astype(float))
    df.loc[[0, 7], "y"] = np.nan
    df.loc[3, "pred"] = None
    with pytest.raises(AuditInputError) as err:
        audit(df, label="y", prediction="pred", sensitive="grp")
    msg = _one_line(err)
    assert msg.startswith("3 rows") and "2 in 'y'" in msg and "1 in 'pred'" in msg
    assert "drop_missing" in msg
    r = audit(df, label="y", prediction="pred", sensitive="grp", drop_missing=True,
              bootstrap=0, cross_check=False)
    assert r.to_dict()["n_dropped"] == 3 and r.to_dict()["n_rows"] == 7
    assert any("3 rows" in w and "dropped" in w for w in r.warnings)


def test_id_like_sensitive_column_is_rejected():
    n = 1500
    df = pd.DataFrame({"y": np.arange(n) % 2, "pred": np.arange(n) % 3 == 0,
                       "id": [f"person-{i}" for i in range(n)]}).assign(pred=lambda d:
                                                                        d.pred.astype(int))
    with pytest.raises(AuditInputError) as err:
        audit(df, label="y", prediction="pred", sensitive="id")
    msg = _one_line(err)
    assert "1500 distinct values" in msg and "identifier" in msg


def test_infinite_missing_and_non_numeric_scores():
    with pytest.raises(AuditInputError) as err:
        audit(HAND.assign(s=[0.5] * 9 + [np.inf]), label="y", prediction="pred",
              sensitive="grp", score="s")
    assert "1 infinite values" in _one_line(err)
    with pytest.raises(AuditInputError) as err:
        audit(HAND.assign(s=[0.5] * 9 + [np.nan]), label="y", prediction="pred",
              sensitive="grp", score="s")
    assert "missing" in _one_line(err) and "1 in 's'" in str(err.value)
    with pytest.raises(AuditInputError) as err:
        audit(HAND.assign(s=["high"] * 10), label="y", prediction="pred", sensitive="grp",
              score="s")
    assert "must be numeric" in _one_line(err)


@pytest.mark.parametrize("kwargs, match", [
    ({"sensitive": []}, "at least one column"),
    ({"sensitive": ["grp", "grp"]}, "twice"),
    ({"bootstrap": -1}, "bootstrap"),
    ({"bootstrap": 1.5}, "bootstrap"),
    ({"confidence": 1.0}, "confidence"),
    ({"random_state": -3}, "random_state"),
    ({"four_fifths": 0}, "four_fifths"),
    ({"reference": {"race": "x"}}, "not a sensitive column"),
    ({"reference": {"grp": "Z"}}, "reference group 'Z' not found"),
])
def test_bad_arguments(kwargs, match):
    kw = {"label": "y", "prediction": "pred", "sensitive": "grp", **kwargs}
    with pytest.raises(AuditInputError, match=match) as err:
        audit(HAND, **kw)
    _one_line(err)


def test_bad_frames():
    with pytest.raises(AuditInputError, match="DataFrame") as err:
        audit({"y": [1]}, label="y", prediction="pred", sensitive="grp")
    _one_line(err)
    with pytest.raises(AuditInputError, match="no rows"):
        audit(HAND.iloc[:0], label="y", prediction="pred", sensitive="grp")
    df = HAND.assign(y=np.nan)
    with pytest.raises(AuditInputError, match="no rows are left"):
        audit(df, label="y", prediction="pred", sensitive="grp", drop_missing=True)


# ---------------------------------------------------------------------------
# Reference, intersections, flags, warnings


def test_reference_override_turns_the_signs():
    r = hand_audit(reference={"grp": "B"})
    assert r.group("grp", "B")["is_reference"] and not r.group("grp", "A")["is_reference"]
    s = r.summary["by_attribute"]["grp"]
    (vs,) = s["vs_reference"]
    assert s["reference"] == "B" and vs["group"] == "A"
    assert vs["statistical_parity_difference"]["value"] == pytest.approx(0.25)
    assert vs["disparate_impact"]["value"] == pytest.approx(2.0)
    assert r.disparity("grp", "fpr", "A")["difference"]["value"] == pytest.approx(1 / 3 - 1 / 4)
    # Between-groups summaries do not depend on the reference.
    assert s["demographic_parity_difference"] == hand_audit().summary["by_attribute"]["grp"][
        "demographic_parity_difference"]


def test_intersectional_groups():
    df = HAND.assign(age=["young", "old"] * 5)
    r = audit(df, label="y", prediction="pred", sensitive=["grp", "age"], intersectional=True,
              bootstrap=0, cross_check=True)
    view = "grp × age"
    assert r.to_dict()["attributes"] == ["grp", "age", view]
    inter = [g for g in r.groups if g["attribute"] == view]
    assert [g["group"] for g in inter] == ["A × old", "A × young", "B × old", "B × young"]
    assert sum(g["n"] for g in inter) == 10
    a_young = r.group(view, "A × young")  # rows 0, 2, 4: y 1 1 0, ŷ 1 0 0
    assert (a_young["tp"], a_young["fn"], a_young["fp"], a_young["tn"]) == (1, 1, 0, 1)
    assert r.group("age", "old")["n"] == 5
    assert r.cross_check["all_agree"]
    ref = audit(df, label="y", prediction="pred", sensitive=["grp", "age"], intersectional=True,
                bootstrap=0, cross_check=False, reference={view: "B × old"})
    assert ref.summary["by_attribute"][view]["reference"] == "B × old"


def test_four_fifths_flag():
    r = hand_audit()
    assert r.group("grp", "B")["flags"] == ["four_fifths"]
    assert r.group("grp", "A")["flags"] == []
    (flag,) = r.to_dict()["flags"]
    assert flag == {"attribute": "grp", "group": "B", "flag": "four_fifths",
                    "impact_ratio": 0.5, "threshold": 0.8, "favorable_rate": 0.25,
                    "small": True}
    assert "below four-fifths" in r.to_markdown()
    assert hand_audit(four_fifths=0.5).to_dict()["flags"] == []  # 0.5 is not below 0.5


def test_small_group_warnings():
    r = hand_audit()
    assert r.group("grp", "A")["small"] and any("only 6 rows" in w for w in
                                                r.group("grp", "A")["warnings"])
    assert any("group 'B' of 'grp' is too small" in w for w in r.warnings)
    # A group of 35 rows is big enough by count but under 2% of 2,000 rows.
    n_big = 1965
    df = pd.DataFrame({"y": np.arange(2000) % 2, "pred": np.arange(2000) % 3 == 0,
                       "g": ["big"] * n_big + ["rare"] * 35}).astype({"pred": int})
    r = audit(df, label="y", prediction="pred", sensitive="g", bootstrap=0, cross_check=False)
    rare = r.group("g", "rare")
    assert rare["small"] and not r.group("g", "big")["small"]
    assert any("1.8% of the rows" in w for w in rare["warnings"])
    assert not any("only" in w for w in rare["warnings"])
    r = audit(df, label="y", prediction="pred", sensitive="g", bootstrap=0, cross_check=False,
              min_group_share=0.01)
    assert not r.group("g", "rare")["small"]


# ---------------------------------------------------------------------------
# Output: markdown, JSON, determinism

_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def test_markdown_escapes_group_names_and_keeps_the_table_shape():
    nasty = ["a|b", "<script>x</script>", "*bold*", "two\nlines"]
    df = pd.DataFrame({
        "y": [1, 0] * 20,
        "pred": [1, 1, 0, 0] * 10,
        "g|<*>": np.repeat(nasty, 10),
    })
    r = audit(df, label="y", prediction="pred", sensitive="g|<*>", bootstrap=0,
              cross_check=False)
    md = r.to_markdown()
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert "a\\|b" in md and "\\*bold\\*" in md and "two lines" in md
    lines = md.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("| Group |"))
    n_cols = len(_UNESCAPED_PIPE.findall(lines[header]))
    rows = lines[header + 2: header + 2 + len(nasty)]
    assert len(rows) == 4
    for line in rows:
        assert len(_UNESCAPED_PIPE.findall(line)) == n_cols, line
    html = r._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_to_dict_is_strict_json_even_with_undefined_values():
    df = HAND.assign(s=np.linspace(0.05, 0.95, 10), age=["old"] * 10)
    r = audit(df, label="y", prediction="pred", sensitive=["grp", "age"], score="s",
              bootstrap=100, cross_check=True, intersectional=True)
    text = json.dumps(r.to_dict(), allow_nan=False)
    assert json.loads(text) == r.to_dict()
    assert json.loads(r.to_json()) == r.to_dict()
    frame = r.to_frame()
    assert {"attribute", "group", "metric", "kind", "value"} <= set(frame.columns)


def test_same_seed_gives_identical_json():
    rng = np.random.default_rng(0)
    n = 500
    df = pd.DataFrame({"y": rng.integers(0, 2, n), "pred": rng.integers(0, 2, n),
                       "g": rng.choice(["p", "q", "r"], n)})
    kw = dict(label="y", prediction="pred", sensitive="g", bootstrap=300, cross_check=False)
    one = audit(df, random_state=7, **kw).to_json()
    assert audit(df, random_state=7, **kw).to_json() == one
    assert audit(df, random_state=8, **kw).to_json() != one
    lo = json.loads(one)["groups"][0]["metrics"]["tpr"]["ci_low"]
    assert lo is not None and math.isfinite(lo)
