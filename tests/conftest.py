"""Shared fixtures and helpers of the test suite."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml


@pytest.fixture(scope="session")
def hiring_record() -> dict:
    """A small hiring record (2,000 rows, with sweeps and variants, no mitigations),
    made by the current code, so tests of pages and verify do not depend on the
    committed records."""
    from cases import get_case, run_case

    record = run_case(get_case("hiring"), seed=0, n_samples=2000, mitigations=False)
    return json.loads(json.dumps(record))


def _scratch_site(tmp_path: Path, records: dict[str, dict]) -> tuple[Path, Path]:
    """A copy of the docs, a records folder and an mkdocs config, all under ``tmp_path``."""
    from reports._io import write_json
    from reports._paths import COVERAGE, ROOT

    rec_dir, docs, site = tmp_path / "records", tmp_path / "docs", tmp_path / "site"
    for slug, rec in records.items():
        write_json(rec_dir / f"{slug}.json", rec)
    shutil.copy(COVERAGE, rec_dir / COVERAGE.name)
    shutil.copytree(ROOT / "docs", docs)
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    config.update(docs_dir=str(docs), site_dir=str(site),
                  hooks=[str(ROOT / "reports" / "_mkdocs_hooks.py")])
    for ext in config["markdown_extensions"]:
        if isinstance(ext, dict) and "pymdownx.snippets" in ext:
            ext["pymdownx.snippets"]["base_path"] = [str(ROOT / "benchmarks" / "results")]
    cfg = tmp_path / "mkdocs.yml"
    cfg.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return cfg, rec_dir


@pytest.fixture(scope="session")
def scratch_site():
    """``scratch_site(tmp_path, {slug: record})`` -> (mkdocs config, records folder): a site
    that builds outside the working tree."""
    return _scratch_site
