"""Every case's notebook runs from top to bottom and reproduces the record's headline."""

from __future__ import annotations

import ast
import json

import nbformat
import pytest

from cases import all_cases
from reports._paths import RECORDS
from reports.notebook import make_notebook, write_notebook


def _run(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    km = KernelManager(kernel_name="python3", transport="ipc")
    NotebookClient(nb, km=km, timeout=600).execute()
    return nb


@pytest.mark.slow
@pytest.mark.parametrize("slug", list(all_cases()))
def test_the_notebook_runs_and_reproduces_the_headline(slug, tmp_path):
    case = all_cases()[slug]
    nb = _run(nbformat.read(write_notebook(case, tmp_path), as_version=4))
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.output_type == "error"]
    assert not errors, errors[0].get("evalue")
    cell = next(c for c in nb.cells if c.cell_type == "code" and c.source.startswith("gap ="))
    value = next(o for o in cell.outputs if o.output_type == "execute_result")
    headline = ast.literal_eval(value["data"]["text/plain"])
    record = json.loads((RECORDS / f"{slug}.json").read_text(encoding="utf-8"))
    assert headline == pytest.approx(record["headline"]["difference"]["value"], abs=1e-9)


def test_every_notebook_is_valid_and_uses_only_the_public_api():
    for case in all_cases().values():
        nb = make_notebook(case)
        nbformat.validate(nb)
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        assert "._" not in code and "_runner" not in code, case.slug
        assert "synthetic" in nb.cells[0].source


def test_a_file_as_out_is_a_one_line_error(tmp_path, capsys):
    from reports.cli import main

    (tmp_path / "f").write_text("x")
    assert main(["notebook", "hiring", "--out", str(tmp_path / "f")]) == 2
    assert "is a file" in capsys.readouterr().err
