"""``casebook``: the one console command. Each sub-command is a thin layer over a function."""

from __future__ import annotations

import argparse
import sys
import textwrap
import time
from pathlib import Path


class UsageError(Exception):
    """Bad command-line usage (one line)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, no usage dump
        raise UsageError(f"{message} (see `{self.prog} --help`)")


class _Help(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Every option's help ends with its default; the epilog's examples keep their lines.

    A help text that names its default in words is left as it is; a flag
    says ``(default: off)``; a required option says so in its text.
    """

    def _get_help_string(self, action):
        text = action.help or ""
        if "default" in text.lower() or action.default is argparse.SUPPRESS:
            return text
        if isinstance(action, argparse._StoreTrueAction):
            return f"{text} (default: off)"
        if action.default is None or action.default == [] or getattr(action, "required", False):
            return text
        if action.option_strings or action.nargs in (argparse.OPTIONAL, argparse.ZERO_OR_MORE):
            return f"{text} (default: %(default)s)"
        return text


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def cmd_list(args) -> int:
    from cases import all_cases

    for case in all_cases().values():
        knobs = ", ".join(f"{k.name}={k.default}" for k in case.knobs)
        print(f"{case.slug:<24} {case.title}  [knobs: {knobs}]")
    return 0


def _parse_sets(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise UsageError(f"--set takes KNOB=VALUE, got {pair!r}")
        k, v = pair.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def cmd_run(args) -> int:
    from cases import get_case, run_case
    from reports._io import write_json
    from reports._paths import RECORDS

    case = get_case(args.case)
    knobs = case.resolve_knobs(_parse_sets(args.set))  # validate before the long part
    if args.n_samples is not None and args.n_samples < 100:
        raise UsageError(f"--n-samples must be at least 100, got {args.n_samples}")
    if args.seed < 0:
        raise UsageError(f"--seed must be >= 0, got {args.seed}")
    from reports._progress import Reporter

    t0 = time.perf_counter()
    reporter = Reporter(quiet=args.quiet)
    try:
        record = run_case(case, seed=args.seed, n_samples=args.n_samples, knobs=knobs,
                          mitigations=not args.no_mitigations, log=reporter.log,
                          progress=reporter.task(case.slug))
    finally:
        reporter.close()
    out = Path(args.out) / "record.json" if args.out else RECORDS / f"{case.slug}.json"
    sha = write_json(out, record)
    h = record["headline"]
    from fairness import format_estimate

    print(f"{case.slug}: {h['meaning']}: difference {format_estimate(h['difference'])}, "
          f"ratio {format_estimate(h['ratio'])} (synthetic data)")
    print(f"wrote {out} (sha256 {sha[:12]}) in {time.perf_counter() - t0:.1f} s")
    return 0


def cmd_audit(args) -> int:
    from tqdm import tqdm

    import fairness
    from fairness import (
        choose_engine,
        format_estimate,
        format_number,
        is_suppressed,
        suppressed_warnings,
        suppression,
    )
    from reports._io import read_table, write_json
    from reports._report import audit_html

    reference = {}
    for pair in args.reference:
        if "=" not in pair:
            raise UsageError(f"--reference takes COL=VALUE, got {pair!r}")
        col, val = pair.split("=", 1)
        reference[col] = val
    if args.bootstrap < 0:
        raise UsageError(f"--bootstrap must be >= 0, got {args.bootstrap}")
    if args.suppress_below is not None and args.suppress_below < 1:
        raise UsageError(f"--suppress-below must be a whole number >= 1, got {args.suppress_below}")
    ll144 = _ll144_columns(args.ll144, args.sensitive) if args.ll144 is not None else None
    path = Path(args.data)
    large = path.exists() and path.is_file() and path.stat().st_size > 50_000_000
    bar = tqdm(total=3, desc="audit", unit="step", disable=not large or None, file=sys.stderr)
    engine = choose_engine(args.data, args.engine)
    # Every engine reads the path itself: pandas into memory, DuckDB and Spark where it lies.
    bar.set_postfix_str(f"counting with {engine}")
    bar.update()
    result = fairness.audit(
        args.data, label=args.label, prediction=args.prediction, sensitive=args.sensitive,
        score=args.score, positive_label=args.positive_label,
        favorable_prediction=args.favorable_prediction, reference=reference,
        intersectional=args.intersectional, bootstrap=args.bootstrap, random_state=args.seed,
        drop_missing=args.drop_missing, cross_check=args.cross_check,
        four_fifths=args.four_fifths, engine=engine, spark_master=args.spark_master,
    )
    d = result.to_dict()
    if ll144 is not None:
        # The table needs each applicant's row (a median of scores, a category of each kind):
        # an applicant file, read into memory whatever engine counted the audit.
        columns = [args.label, args.prediction, *args.sensitive, *ll144.values()]
        table = read_table(args.data, columns + ([args.score] if args.score else []))
        d["ll144"] = _ll144_table(table, d, ll144, args).to_dict()
    hidden = suppression(d, args.suppress_below)
    if hidden:
        d["suppression"] = {k: hidden[k] for k in ("below", "groups", "attributes",
                                                   "applies_to", "note")}
    bar.update()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "audit.json", d)
    markdown = result.to_markdown(suppress_below=args.suppress_below)
    if ll144 is not None:
        markdown = markdown.rstrip("\n") + "\n\n" + fairness.ll144_markdown(
            d["ll144"], args.suppress_below)
    (out / "audit.md").write_text(markdown, encoding="utf-8")
    (out / "audit.html").write_text(
        audit_html(d, suppress_below=args.suppress_below, source=path.name), encoding="utf-8")
    bar.update()
    bar.close()

    print(f"Audited {d['n_rows']:,} rows ({d['n_dropped']:,} dropped) with the {engine} "
          f"engine, {args.bootstrap:,} bootstrap replicates.")
    for attr in d["attributes"]:
        s = d["summary"]["by_attribute"][attr]
        if hidden and attr in hidden["attributes"]:
            print(f"  {attr}: reference {s['reference']!r}; summaries {hidden['summary_text']}")
            continue
        print(f"  {attr}: reference {s['reference']!r}; demographic parity difference "
              f"{format_estimate(s['demographic_parity_difference'])}, equalized odds "
              f"difference {format_estimate(s['equalized_odds_difference'])}")
    print(f"  favourable outcome: {d['favorable_outcome']}")
    for f in d["flags"]:
        ratio = (hidden["text"] if is_suppressed(hidden, f["attribute"], f["group"])
                 else format_number(f['impact_ratio']))
        print(f"  flag: {f['attribute']} = {f['group']!r} impact ratio {ratio} "
              f"< {f['threshold']:g} (four-fifths rule, on the favourable rate)"
              + (" — a small group" if f.get("small") else ""))
    for part in (d.get("ll144") or {}).get("parts", []):
        shown = [r for r in part["rows"] if not r["excludable"]
                 and not (hidden and r["n"] < hidden["below"])
                 and r["impact_ratio"]["value"] is not None]
        if shown:
            low = min(shown, key=lambda r: r["impact_ratio"]["value"])
            print(f"  LL144 {part['title'].lower()}: lowest impact ratio "
                  f"{format_estimate(low['impact_ratio'], 'ratio')} ({low['category']!r}, against "
                  f"{part['most_selected']!r})")
    cc = d["cross_check"]
    if cc:
        print(f"  cross-check: {cc['n_compared']} values against {', '.join(cc['libraries'])}, "
              f"max abs difference {cc['max_abs_diff']:.1e}"
              + ("" if cc["all_agree"] else " — DISAGREEMENT, see audit.json"))
    warnings = suppressed_warnings(d, hidden) if hidden else d["warnings"]
    if warnings:
        print(f"  {len(warnings)} warning(s), first: {warnings[0]}")
    if hidden:
        print(f"  suppressed for publication: {len(hidden['groups'])} group(s) of fewer than "
              f"{hidden['below']:,} rows, in audit.md and audit.html (audit.json keeps them)")
    print(f"Wrote {out / 'audit.json'}, {out / 'audit.md'} and {out / 'audit.html'}")
    return 0


LL144_KEYS = ("sex", "race")


def _ll144_columns(spec: str, sensitive: list[str]) -> dict[str, str]:
    """``--ll144`` (recognise the columns among ``--sensitive``) or ``--ll144 sex=COL,race=COL``."""
    from fairness import recognise_columns

    if spec == "auto":
        found = recognise_columns(sensitive)
        if not found:
            raise UsageError(
                f"--ll144 found no sex or race/ethnicity column among --sensitive "
                f"({', '.join(sensitive)}); it knows sex, gender, race, ethnicity and "
                "race_ethnicity: name yours with --ll144 sex=COL,race=COL"
            )
        return found
    out: dict[str, str] = {}
    for pair in spec.split(","):
        key, eq, col = (x.strip() for x in pair.partition("="))
        if not eq or not key or not col:
            raise UsageError(f"--ll144 takes sex=COL,race=COL (either or both), got {spec!r}")
        if key.lower() not in LL144_KEYS:
            raise UsageError(f"unknown --ll144 key {key!r}; the keys are: {', '.join(LL144_KEYS)}")
        out[key.lower()] = col
    return out


def _ll144_table(table, d: dict, columns: dict[str, str], args):
    """The LL144 table of the audited rows (those dropped for a missing value left out too)."""
    import pyarrow.compute as pc

    import fairness

    if d["n_dropped"]:
        keep = None
        for col in [args.label, args.prediction] + ([args.score] if args.score else []):
            ok = pc.is_valid(table.column(col))
            if col == args.score:
                ok = pc.and_(ok, pc.invert(pc.is_nan(pc.cast(table.column(col), "float64"))))
            keep = ok if keep is None else pc.and_(keep, ok)
        table = table.filter(keep)
    return fairness.ll144_table(
        table, sex=columns.get("sex"), race=columns.get("race"),
        selected=None if args.score else args.prediction, score=args.score,
        positive_label=d["positive_label"], favorable_prediction=d["favorable_prediction"],
        bootstrap=args.bootstrap, random_state=args.seed,
    )


def _audit_file(path_text: str, which: str) -> dict:
    """An ``audit.json`` from a folder ``casebook audit`` wrote, or the file itself."""
    import json

    from fairness import AuditInputError

    path = Path(path_text)
    if path.is_dir():
        path = path / "audit.json"
    if not path.is_file():
        raise AuditInputError(f"{which}: no audit at {path}; pass the folder `casebook audit "
                              "--out` wrote, or its audit.json")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise AuditInputError(f"{which}: {path} is not JSON ({str(exc).splitlines()[0]}); "
                              "pass the audit.json that `casebook audit` wrote") from None


def cmd_compare(args) -> int:
    import fairness
    from reports._io import write_json
    from reports._report import compare_html, compare_markdown, compare_sentences

    if args.bootstrap < 0:
        raise UsageError(f"--bootstrap must be >= 0, got {args.bootstrap}")
    unknown = [m for m in args.metric if m not in fairness.METRIC_NAMES]
    if unknown:
        raise UsageError(f"unknown metric {unknown[0]!r}; the metrics are: "
                         f"{', '.join(fairness.METRIC_NAMES)}")
    before, after = _audit_file(args.before, "BEFORE"), _audit_file(args.after, "AFTER")
    comparison = fairness.compare_audits(before, after, bootstrap=args.bootstrap,
                                         random_state=args.seed, metrics=args.metric or None)
    comparison["before"]["source"], comparison["after"]["source"] = args.before, args.after
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "compare.json", comparison)
    (out / "compare.md").write_text(compare_markdown(comparison), encoding="utf-8")
    (out / "compare.html").write_text(compare_html(comparison), encoding="utf-8")
    print(f"Compared {comparison['n_compared']:,} quantities of "
          f"{', '.join(comparison['attributes'])}: {comparison['n_marked']:,} changed beyond "
          "their 95% interval.")
    for line in compare_sentences(comparison):
        print(f"  {line}")
    for w in comparison["warnings"]:
        print(f"  warning: {w}")
    print(f"Wrote {out / 'compare.json'}, {out / 'compare.md'} and {out / 'compare.html'}")
    return 0


def cmd_mitigations(args) -> int:
    from fairness.mitigations import mitigation_table
    from reports._terminal import text_table

    keys = ("name", "library", "stage", "constraint", "needs_sensitive_at_prediction")
    rows = [[("yes" if r[k] else "no") if k == keys[-1] else str(r[k]) for k in keys]
            for r in mitigation_table()]
    print(text_table(("name", "library", "stage", "constraint", "sensitive at prediction"),
                     rows, right=len(keys)))
    return 0


def cmd_build(args) -> int:
    from reports._progress import Reporter
    from reports.build import build

    reporter = Reporter(quiet=args.quiet)
    try:
        status = build(force=args.force, log=reporter.log, reporter=reporter)
    finally:
        reporter.close()
    if status:
        reporter.flush_held()  # --quiet hides the log only while all goes well
    return status


def cmd_notebook(args) -> int:
    from cases import get_case
    from reports.notebook import write_notebook

    path = write_notebook(get_case(args.case), args.out)
    print(f"wrote {path}; open it with `jupyter lab {path}` or any notebook tool")
    return 0


def cmd_coverage(args) -> int:
    from reports._io import write_json
    from reports._paths import COVERAGE
    from reports.coverage import coverage_record

    t0 = time.perf_counter()
    record = coverage_record(args.repetitions)
    write_json(COVERAGE, record)
    for r in record["rows"]:
        print(f"  {r['n']:>4} rows, rate {r['rate']:.0%}: rate interval covers "
              f"{r['rate_coverage']:.1%}, difference {r['difference_coverage']:.1%}, "
              f"{r['zero_width']} of zero width (before: {r['before_rate_coverage']:.1%}, "
              f"{r['before_zero_width']} of zero width)")
    print(f"wrote {COVERAGE} in {time.perf_counter() - t0:.0f} s")
    return 0


def cmd_verify(args) -> int:
    from reports._progress import Reporter
    from reports.verify import verify

    reporter = Reporter(quiet=args.quiet)
    try:
        return verify(args.cases or None, log=reporter.log, reporter=reporter)
    finally:
        reporter.close()


AUDIT_EXAMPLES = """\
examples:
  # audit a lender's decisions by age group and sex; writes audit.json, audit.md and audit.html
  casebook audit docs/examples/loan_decisions.csv --label repaid --prediction approved \\
      --score score --sensitive group --sensitive sex --reference sex=male --out my-audit

  # the NYC Local Law 144 table (sex, race/ethnicity and both), small groups suppressed
  casebook audit docs/examples/loan_decisions.csv --label repaid --prediction approved \\
      --sensitive sex --sensitive race_ethnicity --intersectional --ll144 \\
      --suppress-below 30 --out ll144-audit
"""

COMPARE_EXAMPLES = """\
example:
  # did the new model do better than the old one on the same applicants?
  casebook audit docs/examples/loan_decisions.csv --label repaid --prediction approved \\
      --sensitive group --sensitive sex --reference group=25-44 --out before
  casebook audit docs/examples/loan_decisions.csv --label repaid --prediction approved_v2 \\
      --sensitive group --sensitive sex --reference group=25-44 --out after
  casebook compare before after --out before-vs-after
"""


def make_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="casebook", description="Fairness Casebook: run cases, audit predictions, "
                "compare audits, build the site.", formatter_class=_Help)
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser,
                           metavar="COMMAND")

    def command(name: str, text: str, **kw) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=text.replace("%", "%%"),
                              description=textwrap.fill(text[:1].upper() + text[1:] + ".", 79),
                              formatter_class=_Help, **kw)

    s = command("list", "list every case, one line each, with its knobs and their defaults")
    s.set_defaults(func=cmd_list)

    s = command("run", "run a case end to end (world, model, audit, variants, sweeps, "
                "mitigations) and write its record")
    s.add_argument("case", help="the case's name, as `casebook list` shows it (e.g. hiring)")
    s.add_argument("--seed", type=int, default=0, help="seed of the synthetic world, the split "
                   "and the bootstrap")
    s.add_argument("--n-samples", type=int, default=None, metavar="N",
                   help="rows of the synthetic world, at least 100 (default: the case's own "
                   "size)")
    s.add_argument("--set", action="append", default=[], metavar="KNOB=VALUE",
                   help="change one knob of the case; repeat for several (default: every "
                   "knob at its default, as `casebook list` shows)")
    s.add_argument("--out", default=None, metavar="DIR", help="folder for record.json "
                   "(default: the published record reports/records/<case>.json)")
    s.add_argument("--no-mitigations", action="store_true", help="skip the mitigations, the "
                   "slowest stage")
    s.add_argument("--quiet", action="store_true", help="no progress and no log on the "
                   "standard error; only the result")
    s.set_defaults(func=cmd_run)

    s = command("audit", "audit a file of decisions (CSV or Parquet): every group's metrics "
                "with intervals, disparities, four-fifths flags; writes audit.json, audit.md "
                "and a report to hand over, audit.html", epilog=AUDIT_EXAMPLES)
    s.add_argument("data", help="the decisions, one row per person: a .csv, .tsv or .parquet "
                   "file, a folder of Parquet files, a glob ('logs/*.parquet': quote it), or "
                   "with --engine spark a URI (s3a://...)")
    s.add_argument("--label", required=True, metavar="COL", help="column of the observed "
                   "outcome (required)")
    s.add_argument("--prediction", required=True, metavar="COL", help="column of the model's "
                   "decision (required)")
    s.add_argument("--score", default=None, metavar="COL", help="column of the model's score, "
                   "any scale: adds each group's AUC (and, for probabilities, Brier score and "
                   "calibration); with --ll144, the table uses scoring rates (default: none)")
    s.add_argument("--sensitive", action="append", required=True, metavar="COL",
                   help="a protected attribute's column; repeat for several (required)")
    s.add_argument("--intersectional", action="store_true", help="also audit every "
                   "combination of the --sensitive columns")
    s.add_argument("--reference", action="append", default=[], metavar="COL=VALUE",
                   help="the reference group of a column, e.g. sex=male; repeat per column "
                   "(default: each column's largest group)")
    s.add_argument("--positive-label", default=None, metavar="VALUE",
                   help="the value of label and prediction that counts as positive (default: "
                   "1, True, or the larger of two numbers)")
    s.add_argument("--favorable-prediction", default="1", metavar="VALUE",
                   help="which prediction is favourable to the person: 1 (default; the positive "
                   "prediction, as hired or approved) or 0 when it is a burden (flagged, "
                   "stopped, refused); impact ratios and the four-fifths rule use it")
    s.add_argument("--bootstrap", type=int, default=1000, metavar="N",
                   help="draws of the Bayesian bootstrap behind the intervals of differences "
                   "and ratios (0: none)")
    s.add_argument("--seed", type=int, default=0, help="seed of the bootstrap")
    s.add_argument("--four-fifths", type=float, default=0.8, metavar="R",
                   help="flag a group whose impact ratio is under R")
    s.add_argument("--drop-missing", action="store_true", help="drop rows with a missing "
                   "label, prediction or score and report how many, instead of stopping")
    s.add_argument("--cross-check", action=argparse.BooleanOptionalAction, default=None,
                   help="recompute every shared value with fairlearn and aif360 (default: on "
                   "up to 200,000 rows)")
    s.add_argument("--ll144", nargs="?", const="auto", default=None, metavar="sex=COL,race=COL",
                   help="add the NYC Local Law 144 bias-audit table (6 RCNY § 5-301): number "
                   "of applicants, selection rate (scoring rate with --score) and impact "
                   "ratio per category of sex, race/ethnicity and both; alone it finds the "
                   "columns among --sensitive by name (sex, gender, race, ethnicity, "
                   "race_ethnicity) (default: no table)")
    s.add_argument("--suppress-below", type=int, default=None, metavar="N",
                   help="for publication: every number of a group of fewer than N rows reads "
                   "'suppressed (n < N)' in audit.md and audit.html; audit.json keeps them "
                   "and records what was hidden (default: nothing suppressed)")
    s.add_argument("--engine", choices=["auto", "pandas", "duckdb", "spark"], default="auto",
                   help="what counts the rows: pandas (in memory), duckdb (a GROUP BY where the "
                   "files are; memory stays flat) or spark (the same on a Spark cluster); auto: "
                   "duckdb for folders, globs, Parquet files of more than 5 million rows and "
                   "files over 256 MB, pandas otherwise")
    s.add_argument("--spark-master", default=None, metavar="URL",
                   help="the Spark master for --engine spark, e.g. spark://host:7077 or yarn "
                   "(default: local[*])")
    s.add_argument("--out", required=True, metavar="DIR", help="folder for audit.json, "
                   "audit.md and audit.html (required)")
    s.set_defaults(func=cmd_audit)

    s = command("compare", "compare two audits of the same attributes: every group's metrics, "
                "differences and summaries, the change with a 95% interval from both audits' "
                "counts; writes compare.json, compare.md and compare.html",
                epilog=COMPARE_EXAMPLES)
    s.add_argument("before", metavar="BEFORE", help="the earlier audit: a folder `casebook "
                   "audit` wrote, or its audit.json")
    s.add_argument("after", metavar="AFTER", help="the later audit, of the same label, positive "
                   "value and favourable outcome")
    s.add_argument("--out", required=True, metavar="DIR", help="folder for compare.json, "
                   "compare.md and compare.html (required)")
    s.add_argument("--metric", action="append", default=[], metavar="NAME",
                   help="compare only this metric (e.g. fpr); repeat for several (default: "
                   "every metric)")
    s.add_argument("--bootstrap", type=int, default=1000, metavar="N",
                   help="draws of each audit's counts behind the intervals of the changes")
    s.add_argument("--seed", type=int, default=0, help="seed of the draws")
    s.set_defaults(func=cmd_compare)

    s = command("mitigations", "list the registered mitigations: library, stage, constraint")
    s.set_defaults(func=cmd_mitigations)

    s = command("build", "bring the case records up to date (re-running stale cases in "
                "parallel), render the pages and build the site")
    s.add_argument("--force", action="store_true", help="re-run every case and rebuild the "
                   "site, stale or not")
    s.add_argument("--quiet", action="store_true", help="no progress and no log while all goes "
                   "well; the log is printed if the build fails")
    s.set_defaults(func=cmd_build)

    s = command("notebook", "write CASE.ipynb: the case rebuilt step by step with the public "
                "API, from the world to one mitigation, for a seminar")
    s.add_argument("case", metavar="CASE", help="the case's name (see `casebook list`)")
    s.add_argument("--out", default=".", metavar="DIR", help="folder for the notebook")
    s.set_defaults(func=cmd_notebook)

    s = command("coverage", "simulate the intervals' coverage on small groups and write "
                "reports/records/coverage.json (the methodology page's table)")
    s.add_argument("--repetitions", type=int, default=200, metavar="N",
                   help="simulated data sets per setting")
    s.set_defaults(func=cmd_coverage)

    s = command("verify", "re-run every case (or those named) and compare each number with "
                "its committed record")
    s.add_argument("cases", nargs="*", metavar="CASE", help="cases to verify, and `coverage` "
                   "for the coverage record (default: every case and the coverage record)")
    s.add_argument("--quiet", action="store_true", help="no progress on the standard error; "
                   "only the comparison")
    s.set_defaults(func=cmd_verify)
    return p


def _is_input_error(exc: BaseException) -> bool:
    """A bad input, told in one line: the CLI's, the engine's or a case's."""
    from fairness import AuditInputError

    kinds: list[type] = [UsageError, AuditInputError]
    # A CaseError comes only from the cases package: when it is not loaded (`casebook audit`
    # never loads it, which saves a second of start-up) there can be none.
    if (cases := sys.modules.get("cases")) is not None:
        kinds.append(cases.CaseError)
    return isinstance(exc, tuple(kinds))


def main(argv: list[str] | None = None) -> int:
    try:
        args = make_parser().parse_args(argv)
        return args.func(args)
    except BrokenPipeError:  # `casebook list | head`: the reader has all it wants
        sys.stderr.close()
        return 0
    except Exception as exc:
        if not _is_input_error(exc):
            raise
        print(f"casebook: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("casebook: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
