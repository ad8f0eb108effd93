"""The conformance suite: every case of ``all_cases()`` against the contract.

In the spirit of scikit-learn's ``parametrize_with_checks``: a new case is
checked here on day one, and its own test file holds only what it alone claims.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import json
import re
import sys

import pandas as pd
import pytest

from cases import ROLES, CaseError, all_cases, identity_files, module_name, run_case
from cases.blocks import Figure, Table, Text
from cases.pages import blocks_for
from reports import pages
from reports._paths import RECORDS, ROOT
from reports.schema import record_errors

CASES = all_cases()
SECTIONS = ("The real system", "Regulation", "Limitations", "Discussion questions", "Sources")


@pytest.fixture(params=list(CASES))
def case(request):
    return CASES[request.param]


@pytest.fixture(scope="module")
def worlds():
    return {}


def _world(case, worlds) -> pd.DataFrame:
    if case.slug not in worlds:
        worlds[case.slug] = case.make_data(_small(case), random_state=0)
    return worlds[case.slug]


def _small(case) -> int:
    return max(2000, case.default_n_samples // 10)


def _record(case) -> dict:
    return json.loads((RECORDS / f"{case.slug}.json").read_text(encoding="utf-8"))


def test_the_datasheet_lists_exactly_the_columns(case, worlds):
    df = _world(case, worlds)
    declared = [c.name for c in case.columns]
    assert len(set(declared)) == len(declared), "a column is described twice"
    assert set(df.columns) == set(declared), (set(df.columns) ^ set(declared))
    for c in case.columns:
        assert c.role in ROLES, (c.name, c.role)
        assert c.description.strip(), c.name


def test_roles_agree_with_the_declaration(case, worlds):
    df = _world(case, worlds)
    roles = {c.name: c.role for c in case.columns}
    sensitive = {n for n, r in roles.items() if r == "sensitive"}
    assert not set(case.features) & sensitive, "a sensitive column is among the model's inputs"
    assert all(roles[f] == "feature" for f in case.features)
    assert set(case.sensitive) <= sensitive
    assert roles[case.label] == "label"
    if case.truth:
        assert roles[case.truth] == "truth"
    for col in (case.label, case.truth, *case.other_labels):
        if col:
            assert set(pd.unique(df[col])) <= {0, 1}, col
    for v in case.variants:
        assert set(v.features or ()) <= set(df.columns), v.name


def test_the_generator_is_deterministic(case, worlds):
    a = _world(case, worlds)
    pd.testing.assert_frame_equal(a, case.make_data(_small(case), random_state=0))
    b = case.make_data(_small(case), random_state=1)
    assert not a.equals(b)


def test_the_generator_takes_only_world_knobs_and_checks_them(case):
    params = set(inspect.signature(case.make_data).parameters) - {"n_samples", "random_state"}
    world = {k.name for k in case.knobs if k.acts_on == "world"}
    assert params == world, "make_data must take exactly the world knobs"
    with pytest.raises(CaseError, match="n_samples"):
        case.make_data(0, random_state=0)
    with pytest.raises(CaseError, match="random_state"):
        case.make_data(100, random_state=-1)
    for k in case.knobs:
        if k.acts_on != "world":
            continue
        bad = "not-a-choice" if k.choices else k.high + abs(k.high) + 1
        with pytest.raises(CaseError, match=k.name):
            case.make_data(100, random_state=0, **{k.name: bad})


def test_the_declaration_is_complete(case):
    assert case.pitfalls and case.summary and case.regulation and case.positive_decision
    assert case.headline.attribute in case.sensitive
    assert case.headline.metric in case.metrics_that_matter or case.metrics_that_matter
    assert case.sweeps, "at least one knob is swept"
    for knob, values in case.sweeps.items():
        assert len(values) >= 2 and case.knob(knob)
    assert set(case.questions) <= {"errs", "opaque"}


def test_the_module_uses_only_public_machinery(case):
    source = inspect.getsource(sys.modules[case.make_data.__module__])
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            name = ("." * node.level) + (node.module or "")
            assert name not in ("._runner", "cases._runner"), "a case calls the runner back"
            assert not re.match(r"^fairness\._", node.module or ""), node.module
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef | ast.Lambda):
            names = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name)}
            assert "CASE" not in names, f"{getattr(fn, 'name', 'a lambda')} reads the global CASE"


def test_the_text_has_every_section_and_its_sources(case):
    narrative = pages.read_narrative(ROOT / "cases" / "text" / f"{case.slug}.md")
    for section in SECTIONS:
        assert narrative.get(section, "").strip(), section
    body = "\n".join(v for k, v in narrative.items() if k != "Sources")
    used = set(re.findall(r"\[\^([^\]\s]+)\](?!:)", body))
    defined = set(re.findall(r"^\[\^([^\]\s]+)\]:", narrative["Sources"], re.M))
    assert used == defined, (used ^ defined)


def test_the_committed_record_is_valid_json_against_the_schema(case):
    text = (RECORDS / f"{case.slug}.json").read_text(encoding="utf-8")
    record = json.loads(text)
    json.dumps(record, allow_nan=False)
    assert record_errors(record) == []
    assert record["case"] == case.slug and record["synthetic"] is True
    assert record["decision"]["favorable_prediction"] == case.favorable_prediction


def test_the_page_blocks_are_valid(case):
    blocks = blocks_for(module_name(case), _record(case))
    ids = [b.id for b in blocks if isinstance(b, Figure)]
    assert len(ids) == len(set(ids)), "two figures share an id"
    for b in blocks:
        assert isinstance(b, Text | Table | Figure), type(b)
        if isinstance(b, Table):
            for row in b.rows:
                for cell, col in zip(row, b.columns, strict=True):
                    if isinstance(cell, dict):
                        assert "value" in cell, (b.title, cell)
                    if col.kind == "text":
                        assert not isinstance(cell, float), (b.title, col.header)
        if isinstance(b, Figure):
            for s in b.series:
                assert len(s.x) == len(s.y), (b.id, s.label)


def test_the_page_renders_with_every_section(case):
    record = _record(case)
    narrative = pages.read_narrative(ROOT / "cases" / "text" / f"{case.slug}.md")
    page = pages.render_case(case, record, "0" * 64, narrative)
    heads = re.findall(r"^## (.+)$", page.markdown, re.M)
    for section in ("The real system", "The synthetic world", "The model", "The audit",
                    "Regulation", "Limitations", "Discussion questions", "Re-run it",
                    "Sources"):
        assert section in heads, section
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", page.markdown)
    assert captions and all("ynthetic" in c for c in captions)
    _tables_are_rectangular(page.markdown)
    assert 'abstract "At a glance"' in page.markdown and "data are synthetic" in page.markdown


def test_prose_and_pages_are_outside_the_record_identity(case):
    files = {p.relative_to(ROOT).as_posix() for p in
             identity_files(sys.modules[case.make_data.__module__].__file__)}
    assert f"cases/{module_name(case)}.py" in files and "requirements.lock" in files
    assert not [f for f in files if f.startswith(("cases/text/", "cases/pages/", "reports/"))]
    assert "cases/blocks.py" not in files and "fairness/_format.py" not in files


@pytest.mark.slow
def test_the_record_is_the_same_bytes_for_the_same_seed(case):
    def once() -> str:
        rec = run_case(case, n_samples=_small(case), sweeps=False, mitigations=False)
        return json.dumps(rec, sort_keys=True, allow_nan=False)

    assert once() == once()


def test_a_variant_keeps_the_world(case):
    for v in case.variants:
        for name in v.knobs:
            assert case.knob(name).acts_on != "world", v.name
    assert all(dataclasses.is_dataclass(v) for v in case.variants)


_CELL = re.compile(r"(?<!\\)\|")


def _tables_are_rectangular(markdown: str) -> None:
    """Every row of every markdown table has as many cells as its header."""
    width = None
    for line in markdown.splitlines():
        line = line.strip()
        if not line.startswith("|"):
            width = None
            continue
        cells = len(_CELL.findall(line)) - 1
        if width is None:
            width = cells
        assert cells == width, line[:120]
