"""The command line for auditors: help that teaches, suppression for publication, progress."""

from __future__ import annotations

import argparse
import io
import json
import shlex
from pathlib import Path

import pytest

from reports._paths import ROOT
from reports.cli import AUDIT_EXAMPLES, COMPARE_EXAMPLES, _Help, main, make_parser


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_option_of_every_command_says_what_it_does_and_its_default():
    parsers = _subparsers(make_parser())
    assert {"list", "run", "audit", "compare", "mitigations", "build", "coverage",
            "verify"} <= set(parsers)
    for name, sub in parsers.items():
        assert sub.description, name
        formatter = _Help(prog=name)
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            text = action.help or ""
            where = f"{name} {'/'.join(action.option_strings) or action.dest}"
            assert len(text) > 15, f"{where}: no help text"
            if action.option_strings:
                shown = formatter._get_help_string(action) % {"default": action.default}
                assert "default" in shown.lower() or "(required)" in shown, \
                    f"{where}: the help does not say its default: {shown!r}"


def test_audit_help_ends_with_two_worked_examples(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["audit", "--help"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    tail = text[text.index("examples:"):]
    assert tail.strip() == AUDIT_EXAMPLES.strip()  # the epilog, with its lines kept
    assert tail.count("casebook audit ") == 2
    assert "(default: 1000)" in text and "(default: off)" in text


def _examples(epilog: str) -> list[list[str]]:
    commands = []
    for block in epilog.replace("\\\n", " ").splitlines():
        if block.strip().startswith("casebook "):
            commands.append(shlex.split(block)[1:])
    return commands


def test_the_help_examples_run(tmp_path, monkeypatch, capsys):
    """Every command of `audit --help` and `compare --help`, as printed, in a folder holding
    the example file (with fewer draws and no cross-check, to be quick)."""
    examples = _examples(AUDIT_EXAMPLES) + _examples(COMPARE_EXAMPLES)
    assert len(examples) == 5
    data = tmp_path / "docs" / "examples" / "loan_decisions.csv"
    data.parent.mkdir(parents=True)
    data.write_bytes((ROOT / "docs" / "examples" / "loan_decisions.csv").read_bytes())
    monkeypatch.chdir(tmp_path)
    for argv in examples:
        quick = ["--no-cross-check"] if argv[0] == "audit" else []
        assert main([*argv, *quick, "--bootstrap", "50"]) == 0, capsys.readouterr().err
    assert "ll144" in json.loads((tmp_path / "ll144-audit" / "audit.json").read_text())
    assert (tmp_path / "my-audit" / "audit.html").exists()
    assert (tmp_path / "before-vs-after" / "compare.html").exists()


@pytest.mark.parametrize(("argv", "message"), [
    (["--reference", "race=x"], "reference names 'race', which is not a sensitive column (sex)"),
    (["--reference", "sex=nobody"], "reference group 'nobody' not found in 'sex'; its groups "
                                    "are: f, m"),
    (["--positive-label", "7"], "positive_label '7' does not occur in the label or prediction "
                                "(values: 0, 1)"),
])
def test_an_unknown_attribute_or_value_names_the_valid_ones(tmp_path, capsys, argv, message):
    data = tmp_path / "d.csv"
    data.write_text("y,p,sex\n1,1,f\n0,0,m\n1,0,f\n0,1,m\n")
    assert main(["audit", str(data), "--label", "y", "--prediction", "p", "--sensitive", "sex",
                 "--bootstrap", "0", *argv, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err


# ------------------------------------------------------------------------- suppression

SMALL = "tiny <b>|</b>"


@pytest.fixture(scope="module")
def suppressed(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("suppress")
    rows = ["y,p,g,s"]
    for i in range(120):  # g: big (60), other (53), SMALL (7); s: f/m, 60 each
        g = "big" if i < 60 else "other" if i < 113 else SMALL
        rows.append(f"{i % 2},{(i // 2) % 2},\"{g}\",{'f' if i % 4 < 2 else 'm'}")
    (tmp / "d.csv").write_text("\n".join(rows) + "\n")
    assert main(["audit", str(tmp / "d.csv"), "--label", "y", "--prediction", "p",
                 "--sensitive", "g", "--sensitive", "s", "--bootstrap", "100",
                 "--no-cross-check", "--suppress-below", "10", "--out", str(tmp / "o")]) == 0
    return tmp / "o"


def test_the_terminal_summary_suppresses_too(suppressed, capsys):
    main(["audit", str(suppressed.parent / "d.csv"), "--label", "y", "--prediction", "p",
          "--sensitive", "g", "--bootstrap", "0", "--no-cross-check", "--suppress-below", "10",
          "--out", str(suppressed.parent / "o2")])
    out = capsys.readouterr().out
    assert "(7 rows)" not in out and "summaries suppressed (a group has n < 10)" in out


def test_suppressed_numbers_are_gone_from_markdown_and_html(suppressed):
    md = (suppressed / "audit.md").read_text()
    row = next(line for line in md.splitlines() if line.startswith("| tiny"))
    cells = [c.strip() for c in row.strip("|").split(" | ")]
    assert cells[1:-1] == ["suppressed (n < 10)"] * (len(cells) - 2), row
    assert "7" not in row  # not even its count
    section = md.split("## g")[1].split("## s")[0]
    assert "| demographic parity difference | suppressed (a group has n < 10) |" in section
    # The other attribute has no small group: its summaries are shown.
    assert "suppressed" not in md.split("## s\n")[1].split("## Whole")[0]
    assert r"too small to trust \(suppressed \(n &lt; 10\)\)" in md  # the warning: no count
    assert "(7 rows)" not in md
    html = (suppressed / "audit.html").read_text()
    assert html.count("suppressed (n &lt; 10)") >= 9
    assert "tiny &lt;b&gt;|&lt;/b&gt;" in html and SMALL not in html


def test_the_json_keeps_every_number_and_says_what_was_hidden(suppressed):
    data = json.loads((suppressed / "audit.json").read_text())
    tiny = next(g for g in data["groups"] if g["group"] == SMALL)
    assert tiny["n"] == 7 and tiny["metrics"]["selection_rate"]["value"] is not None
    s = data["suppression"]
    assert s["below"] == 10 and s["groups"] == [{"attribute": "g", "group": SMALL}]
    assert s["attributes"] == ["g"] and s["applies_to"] == ["audit.md", "audit.html"]


def test_suppress_below_must_be_positive(tmp_path, capsys):
    assert main(["audit", "x.csv", "--label", "y", "--prediction", "p", "--sensitive", "s",
                 "--suppress-below", "0", "--out", str(tmp_path)]) == 2
    assert "--suppress-below must be a whole number >= 1" in capsys.readouterr().err


# ------------------------------------------------------------------------- progress

def test_progress_lines_without_a_terminal_and_nothing_when_quiet():
    from reports._progress import Reporter

    out = io.StringIO()
    r = Reporter(out, clock=iter([0.0, 4.0, 8.0, 12.0]).__next__)  # StringIO: not a terminal
    step = r.task("hiring")
    step(0, 3, "world, model and audit")
    step(1, 3, "mitigation fairlearn.ExponentiatedGradient(DP)")
    step(2, 4, "mitigation aif360.Reweighing")  # a total that grows, as run_case's does
    r.log("a log line")
    lines = out.getvalue().splitlines()
    assert lines[0] == "hiring: step 1/3: world, model and audit"
    assert lines[1] == ("hiring: step 2/3: mitigation fairlearn.ExponentiatedGradient(DP) "
                        "(1/3 done in 4 s, about 8 s left)")
    assert lines[2] == "hiring: step 3/4: mitigation aif360.Reweighing (2/4 done in 8 s, " \
        "about 8 s left)"
    assert lines[3] == "a log line"
    quiet = io.StringIO()
    q = Reporter(quiet, quiet=True)
    q.task("x")(0, 2, "world")
    q.log("held")
    assert quiet.getvalue() == "" and q.held == ["held"]
    q.flush_held()
    assert quiet.getvalue() == "held\n"


def test_bars_on_a_terminal_show_the_step_and_the_time_left():
    from reports._progress import Reporter

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    out = Terminal()
    r = Reporter(out, clock=iter([0.0, 5.0, 10.0]).__next__)
    r.task("hiring")(0, 4, "world")
    r.task("hiring")(2, 4, "sweep threshold=0.3")
    r.close()
    text = out.getvalue()
    assert "hiring: 2/4 steps" in text and "sweep threshold=0.3" in text
    assert "<" in text  # tqdm's elapsed<remaining


def test_worker_processes_report_through_the_queue():
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from progress_support import report_steps

    from reports._progress import Reporter
    from reports.build import _init_worker

    out = io.StringIO()
    reporter = Reporter(out)
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    listener = reporter.listen(queue)
    with ProcessPoolExecutor(2, mp_context=ctx, initializer=_init_worker,
                             initargs=(queue,)) as pool:
        assert sorted(pool.map(report_steps, ["one", "two"], [2, 3])) == ["one", "two"]
    queue.put(None)
    listener.join(timeout=30)
    lines = out.getvalue().splitlines()
    assert "one: step 2/2: step 1" in lines[1:] or any(
        line.startswith("one: step 2/2: step 1") for line in lines)
    assert any(line.startswith("two: done, 3 steps in") for line in lines)
    assert lines.count("[one] ran") == 1 and lines.count("[two] ran") == 1


@pytest.mark.slow
def test_casebook_run_shows_progress_unless_quiet(tmp_path, capsys):
    argv = ["run", "hiring", "--n-samples", "1000", "--no-mitigations", "--out", str(tmp_path)]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "hiring: step 1/" in err and "left)" in err and "sweep threshold=0.7" in err
    assert "hiring: done," in err
    assert main([*argv, "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.err == "" and "wrote" in captured.out
