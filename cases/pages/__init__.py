"""The case pages' own blocks: ``cases/pages/<module>.py`` defines ``blocks(record)``.

Outside a record's identity: a page module changes no number, so editing it
re-renders the page and re-runs nothing.
"""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec

from ..blocks import Block


def blocks_for(module: str, record: dict) -> list[Block]:
    """The blocks of a case's page (none when the case has no page module)."""
    name = f"{__name__}.{module}"
    if find_spec(name) is None:
        return []
    return list(import_module(name).blocks(record))
