"""Small helpers shared by the test files."""

from __future__ import annotations


def covers(est: dict, value: float) -> bool:
    """The estimate's interval contains ``value``."""
    return est["ci_low"] is not None and est["ci_low"] <= value <= est["ci_high"]


def covers_zero(est: dict) -> bool:
    return covers(est, 0.0)
