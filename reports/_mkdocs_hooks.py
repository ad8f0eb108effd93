"""mkdocs hooks (``hooks:`` in ``mkdocs.yml``): the navigation follows the registered cases.

``casebook build`` writes ``docs/cases/.nav.json`` (the cases in the
casebook's order, with their short titles); the hook builds the navigation
from it, so a new case appears in the site without editing ``mkdocs.yml``.
The file is a dotfile, which mkdocs leaves out of the site.
"""

from __future__ import annotations

import json
from pathlib import Path

from mkdocs.exceptions import PluginError

NAV_FILE = "cases/.nav.json"


def on_config(config):
    """Set the navigation: home, every case, then the site-wide pages."""
    path = Path(config["docs_dir"]) / NAV_FILE
    if not path.exists():
        raise PluginError(f"{path} is missing: run `casebook build` (it writes the case pages)")
    cases = json.loads(path.read_text(encoding="utf-8"))
    config["nav"] = [
        {"Home": "index.md"},
        {"Cases": [{c["title"]: f"cases/{c['slug']}.md"} for c in cases]},
        {"Audit your own model": "audit-your-own-model.md"},
        {"Audit at scale": "audit-at-scale.md"},
        {"Glossary": "glossary.md"},
        {"Methodology": "methodology.md"},
        {"Teaching guide": "teaching.md"},
        {"Print the casebook": "print.md"},
    ]
    return config
