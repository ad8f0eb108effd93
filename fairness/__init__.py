"""Fairness Casebook's audit engine.

``audit`` reduces a table of decisions to counts per (group, label,
prediction), derives every group metric, disparity and summary measure from
those counts, draws intervals on the counts, and cross-checks the values
against fairlearn and aif360. ``Estimate`` is a number with its interval (or
the reason it has none); ``AuditResult`` holds an audit and its views.
``ll144_table`` makes NYC Local Law 144's bias-audit table and
``compare_audits`` the changes between two audits, with intervals.
"""

from ._audit import audit
from ._compare import compare_audits
from ._engines import choose_engine
from ._engines._files import read_arrow, require_columns, resolve, schema
from ._estimate import TOLERANCE, Estimate, proportion
from ._format import (
    escape_html,
    escape_markdown,
    format_estimate,
    format_number,
    format_prose,
    format_rate_in,
    format_share,
)
from ._ll144 import LL144Table, ll144_markdown, ll144_table, recognise_columns
from ._metrics import METRIC_NAMES, METRICS, Metric
from ._prepare import MISSING_GROUP, AuditInputError
from ._result import (
    TABLE_METRICS,
    AuditResult,
    Gap,
    difference_kind,
    is_suppressed,
    metric_kind,
    suppressed_warnings,
    suppression,
)

__all__ = [
    "METRIC_NAMES",
    "METRICS",
    "MISSING_GROUP",
    "TABLE_METRICS",
    "TOLERANCE",
    "audit",
    "AuditInputError",
    "AuditResult",
    "choose_engine",
    "compare_audits",
    "difference_kind",
    "escape_html",
    "escape_markdown",
    "Estimate",
    "format_estimate",
    "format_number",
    "format_prose",
    "format_rate_in",
    "format_share",
    "Gap",
    "is_suppressed",
    "ll144_markdown",
    "ll144_table",
    "LL144Table",
    "Metric",
    "metric_kind",
    "proportion",
    "read_arrow",
    "recognise_columns",
    "require_columns",
    "resolve",
    "schema",
    "suppressed_warnings",
    "suppression",
]
