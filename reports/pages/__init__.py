"""The site's pages, rendered from records and declarations with Jinja2 templates.

:func:`render_case` makes one case's page (and the recipes of its figures);
:func:`cases_table` and :func:`pitfalls_table` the home page's tables;
:func:`print_page` the whole casebook on one page. Every sentence is in
``templates/``; every number comes from a record.
"""

from __future__ import annotations

from cases import COMMUNICATION, PITFALLS, Case

from .._env import environment
from ._case import TABLE_METRICS, Context, FigureSpec, Page, group_rows, render_case
from ._narrative import read_narrative, shift_headings

__all__ = ["Context", "FigureSpec", "Page", "cases_table", "coverage_table", "example_audit",
           "pitfalls_table", "print_page", "read_narrative", "render_case", "short_title",
           "worksheet"]


def short_title(case: Case) -> str:
    """The part of a case's title before the colon, for navigation and tables."""
    return case.title.split(":")[0].strip()


def cases_table(cases: list[Case], records: dict[str, dict]) -> str:
    """The home page's table of cases: what each stands for and its headline."""
    return environment().get_template("home_cases.md.j2").render(
        cases=cases, records=records, short_title=short_title, ctx=Context(root=""))


def pitfalls_table(cases: list[Case]) -> str:
    """The home page's matrix: every problem of the course against the cases that show it,
    and the course's communication questions as questions for discussion."""
    return environment().get_template("home_pitfalls.md.j2").render(
        cases=cases, pitfalls=PITFALLS, communication=COMMUNICATION, short_title=short_title,
        ctx=Context(root=""))


def print_page(parts: list[str], methodology: str | None) -> str:
    """The print page: every case (rendered in print mode), then the methodology."""
    parts = [p.partition("\n")[0] + " { .casebook-case }\n" + p.partition("\n")[2]
             for p in parts]
    if methodology:
        text = shift_headings(methodology)
        parts.append(text.partition("\n")[0] + " { .casebook-case }\n" + text.partition("\n")[2])
    return environment().get_template("print.md.j2").render(parts=parts).rstrip() + "\n"


def example_audit(run: dict, command: str) -> str:
    """The worked example of "Audit your own model": its command, output and tables."""
    audit = run["audit"]
    views = [{"attribute": a, "summary": audit["summary"]["by_attribute"][a],
              "rows": group_rows([g for g in audit["groups"] if g["attribute"] == a])}
             for a in audit["attributes"]]
    return environment().get_template("example_audit.md.j2").render(
        command=command, stdout=run["stdout"], views=views, table_metrics=TABLE_METRICS,
        ctx=Context(root=""))


def worksheet(case: Case, record: dict) -> str:
    """A printable one-page worksheet for a seminar on one case."""
    return environment().get_template("worksheet.md.j2").render(
        case=case, record=record, communication=COMMUNICATION, ctx=Context())


def coverage_table(record: dict) -> str:
    """The methodology page's table of interval coverage (``casebook coverage``)."""
    return environment().get_template("coverage.md.j2").render(record=record,
                                                                ctx=Context(root=""))
