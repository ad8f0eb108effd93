"""The package layering: fairness's private modules stay private, and no import runs in a circle."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("fairness", "cases", "reports")


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(root: Path, path: Path) -> set[str]:
    """What a file imports, as dotted names (``from . import x`` also counts ``pkg.x``)."""
    name = _module_name(root, path)
    package = (name if path.name == "__init__.py" else name.rpartition(".")[0]).split(".")
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package[: len(package) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            found |= {base, *(f"{base}.{a.name}" for a in node.names)}
    return found


def _graph(root: Path) -> dict[str, set[str]]:
    files = {_module_name(root, p): p for pkg in PACKAGES for p in (root / pkg).rglob("*.py")}
    return {m: {i for i in _imports(root, p) if i in files and i != m} for m, p in files.items()}


def _circle(graph: dict[str, set[str]]) -> list[str] | None:
    """A circle of imports, if any. A submodule importing its own package is how packages
    load (the package's ``__init__`` runs first), not a circle: those edges are left out."""
    edges = {m: sorted(i for i in deps if not m.startswith(i + ".")) for m, deps in graph.items()}
    state: dict[str, int] = {}

    def visit(m: str, path: list[str]) -> list[str] | None:
        state[m] = 1
        for d in edges[m]:
            if state.get(d) == 1:
                return [*path, m, d]
            if d not in state and (found := visit(d, [*path, m])):
                return found
        state[m] = 2
        return None

    for m in sorted(edges):
        if m not in state and (found := visit(m, [])):
            return found
    return None


def test_only_fairness_imports_its_private_modules():
    for module, imported in _graph(ROOT).items():
        if module.split(".")[0] != "fairness":
            private = sorted(i for i in imported if i.startswith("fairness._"))
            assert not private, f"{module} imports {private}"


def test_no_import_circle():
    circle = _circle(_graph(ROOT))
    assert circle is None, "import circle: " + " -> ".join(circle or [])


def test_a_circle_is_seen(tmp_path):
    for pkg in PACKAGES:
        (tmp_path / pkg).mkdir()
    (tmp_path / "cases" / "a.py").write_text("from . import b\n")
    (tmp_path / "cases" / "b.py").write_text("from .a import x\n")
    (tmp_path / "reports" / "c.py").write_text("from fairness._estimate import wilson\n")
    graph = _graph(tmp_path)
    assert _circle(graph) == ["cases.a", "cases.b", "cases.a"]
    assert "fairness._estimate" in _imports(tmp_path, tmp_path / "reports" / "c.py")


def test_casebook_audit_loads_neither_the_cases_nor_scikit_learn(tmp_path):
    """An auditor's start-up: the casebook's cases and the models behind them stay unloaded."""
    import subprocess
    import sys

    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    path = tmp_path / "decisions.parquet"
    pd.DataFrame({"g": rng.choice(["a", "b"], 500), "y": rng.integers(0, 2, 500),
                  "p": rng.integers(0, 2, 500), "s": rng.random(500)}).to_parquet(path)
    code = ("import sys; from reports.cli import main; rc = main(sys.argv[1:]); "
            "print(sorted(m for m in sys.modules if m == 'scipy.stats' or m.split('.')[0] in "
            "('cases', 'sklearn', 'fairlearn', 'aif360'))); sys.exit(rc)")
    r = subprocess.run([sys.executable, "-c", code, "audit", str(path), "--label", "y",
                        "--prediction", "p", "--sensitive", "g", "--score", "s",
                        "--engine", "duckdb", "--no-cross-check", "--out", str(tmp_path / "o")],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "[]", r.stdout
