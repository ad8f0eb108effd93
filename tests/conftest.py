"""Shared fixtures and helpers of the test suite."""

from __future__ import annotations

import json

import pytest


def covers(est: dict, value: float) -> bool:
    """The estimate's interval contains ``value``."""
    return est["ci_low"] is not None and est["ci_low"] <= value <= est["ci_high"]


def covers_zero(est: dict) -> bool:
    return covers(est, 0.0)


@pytest.fixture(scope="session")
def hiring_record() -> dict:
    """A small hiring record (2,000 rows, with sweeps and variants, no mitigations),
    made by the current code, so tests of pages and verify do not depend on the
    committed records."""
    from cases import get_case, run_case

    record = run_case(get_case("hiring"), seed=0, n_samples=2000, mitigations=False)
    return json.loads(json.dumps(record))
