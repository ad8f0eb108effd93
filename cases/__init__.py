"""The cases of the casebook: each module declares one :class:`Case`.

Adding a case is adding a module here and its name to ``_MODULES``; the runner,
the site and ``verify`` pick it up without other changes.
"""

from __future__ import annotations

from importlib import import_module

from ._framework import Case, CaseError, Column, Headline, Knob, Spec

_MODULES = ("predictive_policing", "hiring", "border_lie_detection", "babysitter_scoring")


def all_cases() -> dict[str, Case]:
    """Every case, by slug, in the casebook's order."""
    cases = [import_module(f"{__name__}.{m}").CASE for m in _MODULES]
    return {c.slug: c for c in cases}


def get_case(slug: str) -> Case:
    cases = all_cases()
    if slug not in cases:
        raise CaseError(f"unknown case {slug!r}; the cases are: {', '.join(cases)}")
    return cases[slug]


__all__ = ["Case", "CaseError", "Column", "Headline", "Knob", "Spec", "all_cases", "get_case"]
