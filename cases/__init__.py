"""The cases of the casebook: each module declares one :class:`Case`.

Adding a case is adding its module here, its name to ``_MODULES``, its page
module under ``cases/pages/`` and its text under ``cases/text/``; the runner,
the site and ``verify`` pick it up without other changes (``cases/README.md``).
"""

from __future__ import annotations

from importlib import import_module

from ._contract import (
    COMMUNICATION,
    PITFALLS,
    ROLES,
    Case,
    CaseError,
    Column,
    Headline,
    Knob,
    Spec,
    Split,
    Variant,
)
from ._fingerprint import ROOT, data_fingerprint, identity_files, inputs_sha256
from ._run import BOOTSTRAP, Decisions, Run
from ._runner import RECORD_SCHEMA, rerun, run_case, start, versions
from ._world import categorical, streams, validated

# In the order of the course's cases (shared/CASES.md).
_MODULES = (
    "predictive_policing",
    "violence_risk_scoring",
    "hiring",
    "border_lie_detection",
    "babysitter_scoring",
    "face_surveillance",
    "orientation_inference",
    "mass_categorisation",
    "text_detector",
    "deepfake_detector",
)


def all_cases() -> dict[str, Case]:
    """Every case, by slug, in the casebook's order."""
    cases = [import_module(f"{__name__}.{m}").CASE for m in _MODULES]
    return {c.slug: c for c in cases}


def get_case(slug: str) -> Case:
    """The case of that slug; a :class:`CaseError` naming the cases otherwise."""
    cases = all_cases()
    if slug not in cases:
        raise CaseError(f"unknown case {slug!r}; the cases are: {', '.join(cases)}")
    return cases[slug]


def module_name(case: Case) -> str:
    """The case's module name (``hiring``), which names its page module too."""
    return case.make_data.__module__.rsplit(".", 1)[-1]


__all__ = [
    "BOOTSTRAP", "COMMUNICATION", "PITFALLS", "RECORD_SCHEMA", "ROLES", "ROOT", "Case",
    "CaseError", "Column", "Decisions", "Headline", "Knob", "Run", "Spec", "Split", "Variant",
    "all_cases", "categorical", "data_fingerprint", "get_case", "identity_files",
    "inputs_sha256", "module_name", "rerun", "run_case", "start", "streams", "validated",
    "versions",
]
