"""Where things are: one definition of the project's folders."""

from __future__ import annotations

from cases import ROOT

RECORDS = ROOT / "reports" / "records"
DOCS = ROOT / "docs"
SITE = ROOT / "site"
CONFIG = ROOT / "mkdocs.yml"
CACHE = ROOT / ".cache" / "casebook"  # drawn figures and the example audit, by fingerprint
COVERAGE = RECORDS / "coverage.json"
