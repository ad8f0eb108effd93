"""``casebook verify``: passes on an untouched record; on an altered one, fails naming the field."""

from __future__ import annotations

import json

import pytest

from cases import CaseError, get_case
from cases._runner import run_case
from reports._io import write_json
from reports.verify import compare, verify


@pytest.fixture(scope="module")
def small_records(tmp_path_factory):
    """A records folder holding a small, fast hiring record (no sweeps, no mitigations)."""
    folder = tmp_path_factory.mktemp("records")
    record = run_case(get_case("hiring"), seed=0, n_samples=2000, sweeps=False,
                      mitigations=False)
    write_json(folder / "hiring.json", record)
    return folder


def test_compare_tolerance_and_shape():
    a = {"x": 0.5, "s": "a", "b": True, "n": None, "l": [1, 2]}
    assert not compare(a, {"x": 0.5 + 5e-10, "s": "a", "b": True, "n": None,
                           "l": [1, 2]}).mismatches
    c = compare(a, {"x": 0.5 + 2e-9, "s": "b", "b": 1, "n": 0.0, "l": [1], "extra": 1})
    paths = sorted(m.path for m in c.mismatches)
    assert paths == ["$.b", "$.extra", "$.l.length", "$.n", "$.s", "$.x"]


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


def test_committed_records_are_up_to_date():
    """Every case has a committed record made by the current code and lock file.

    A stale record means a page shows numbers no command reproduces: re-run
    `casebook build` (or `casebook run CASE`) and commit the records.
    """
    import json

    from cases import all_cases
    from cases._runner import inputs_sha256, versions
    from reports.cli import RECORDS

    for slug, case in all_cases().items():
        path = RECORDS / f"{slug}.json"
        assert path.exists(), f"no committed record for {slug}"
        manifest = json.loads(path.read_text())["manifest"]
        assert manifest["inputs_sha256"] == inputs_sha256(case), f"{slug}: record is stale"
        assert manifest["versions"] == versions(), f"{slug}: made with other packages"
