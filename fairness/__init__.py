"""Fairness Casebook's audit engine.

``audit`` reduces a table of decisions to counts per (group, label,
prediction), derives every group metric, disparity and summary measure from
those counts, draws bootstrap intervals on the counts, and cross-checks the
values against fairlearn and aif360.
"""

from ._audit import audit
from ._metrics import METRIC_NAMES, METRICS
from ._prepare import MISSING_GROUP, AuditInputError
from ._result import AuditResult
from ._text import escape_markdown, format_estimate

__all__ = [
    "METRICS",
    "METRIC_NAMES",
    "MISSING_GROUP",
    "AuditInputError",
    "AuditResult",
    "audit",
    "escape_markdown",
    "format_estimate",
]
