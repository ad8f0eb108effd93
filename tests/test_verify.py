"""``casebook verify``: passes on an untouched record; on an altered one, fails naming the field."""

from __future__ import annotations

import json

import pytest

from cases import CaseError, all_cases, inputs_sha256, versions
from reports._io import write_json
from reports._paths import COVERAGE, RECORDS
from reports.build import stale_reason
from reports.coverage import inputs_sha256 as coverage_inputs
from reports.schema import record_errors
from reports.verify import compare, verify


@pytest.fixture(scope="module")
def small_records(tmp_path_factory, hiring_record):
    """A records folder holding a small hiring record (its manifest says how to re-make it)."""
    folder = tmp_path_factory.mktemp("records")
    record = json.loads(json.dumps(hiring_record))
    record.pop("sweeps")  # verify re-runs what the record holds: keep it quick
    write_json(folder / "hiring.json", record)
    return folder


def test_compare_tolerance_and_shape():
    a = {"x": 0.5, "s": "a", "b": True, "n": None, "l": [1, 2], "big": 1.5e6}
    same = {"x": 0.5 + 5e-10, "s": "a", "b": True, "n": None, "l": [1, 2], "big": 1.5e6 + 1e-7}
    assert not compare(a, same).mismatches  # 1e-7 on 1.5e6 is within 1e-12 relative
    c = compare(a, {"x": 0.5 + 2e-9, "s": "b", "b": 1, "n": 0.0, "l": [1], "extra": 1,
                    "big": 1.5e6 + 1e-5})
    paths = sorted(m.path for m in c.mismatches)
    assert paths == ["$.b", "$.big", "$.extra", "$.l.length", "$.n", "$.s", "$.x"]


def test_verify_passes_on_untouched_record(small_records, capsys):
    assert verify(["hiring"], log=lambda m: None, records=small_records) == 0
    out = capsys.readouterr().out
    assert "hiring" in out and "fields compared" in out and "every record reproduced" in out


def test_verify_fails_on_altered_record(small_records, tmp_path, capsys):
    record = json.loads((small_records / "hiring.json").read_text(encoding="utf-8"))
    original = record["headline"]["difference"]["value"]
    record["headline"]["difference"]["value"] = original + 1e-6  # beyond the 1e-9 tolerance
    record["audit"]["groups"][0]["group"] = "someone else"
    record["performance"]["accuracy"]["value"] += 1e-12  # within the tolerance: not reported
    write_json(tmp_path / "hiring.json", record)
    assert verify(["hiring"], log=lambda m: None, records=tmp_path) == 1
    out = capsys.readouterr().out
    assert "$.headline.difference.value" in out
    assert "$.audit.groups[0].group" in out
    assert '"someone else" -> "female"' in out
    assert "FAILED" in out
    assert "performance" not in out
    assert "2 field(s) differ" in out


def test_verify_unknown_case(small_records):
    with pytest.raises(CaseError, match="unknown case 'nope'"):
        verify(["nope"], log=lambda m: None, records=small_records)


def test_verify_missing_record(tmp_path, capsys):
    assert verify(["hiring"], log=lambda m: None, records=tmp_path) == 1
    assert "no record" in capsys.readouterr().out


def test_committed_records_are_up_to_date_and_valid():
    """Every case has a committed record made by the current code and lock file, valid
    against the schema. A stale record means a page shows numbers no command
    reproduces: run `casebook build` and commit the records."""
    for slug, case in all_cases().items():
        path = RECORDS / f"{slug}.json"
        assert stale_reason(case, path) is None, f"{slug}: {stale_reason(case, path)}"
        assert record_errors(json.loads(path.read_text(encoding="utf-8"))) == [], slug
    coverage = json.loads(COVERAGE.read_text(encoding="utf-8"))
    assert coverage["inputs_sha256"] == coverage_inputs(), "run `casebook coverage`"
    assert coverage["versions"] == versions()


def test_stale_reason_names_what_changed(small_records, tmp_path):
    case = all_cases()["hiring"]
    record = json.loads((small_records / "hiring.json").read_text(encoding="utf-8"))
    record["manifest"]["inputs_sha256"] = inputs_sha256(case)
    write_json(tmp_path / "hiring.json", record)
    assert stale_reason(case, tmp_path / "hiring.json") == \
        "not made with the default seed, size and knobs"
    record["manifest"]["inputs_sha256"] = "0" * 64
    write_json(tmp_path / "hiring.json", record)
    assert "code" in stale_reason(case, tmp_path / "hiring.json")
