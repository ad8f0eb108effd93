"""``casebook``: the one console command. Each sub-command is a thin layer over a function."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


class UsageError(Exception):
    """Bad command-line usage (one line)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, no usage dump
        raise UsageError(f"{message} (see `{self.prog} --help`)")


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
    t0 = time.perf_counter()
    record = run_case(case, seed=args.seed, n_samples=args.n_samples, knobs=knobs,
                      mitigations=not args.no_mitigations, log=_log)
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
    from fairness import format_estimate
    from reports._io import read_table, write_json

    reference = {}
    for pair in args.reference:
        if "=" not in pair:
            raise UsageError(f"--reference takes COL=VALUE, got {pair!r}")
        col, val = pair.split("=", 1)
        reference[col] = val
    if args.bootstrap < 0:
        raise UsageError(f"--bootstrap must be >= 0, got {args.bootstrap}")
    path = Path(args.data)
    large = path.exists() and path.is_file() and path.stat().st_size > 50_000_000
    bar = tqdm(total=3, desc="audit", unit="step", disable=not large or None, file=sys.stderr)
    columns = [args.label, args.prediction, *args.sensitive] + ([args.score] if args.score else [])
    bar.set_postfix_str("reading")
    table = read_table(path, columns)
    bar.update()
    bar.set_postfix_str(f"auditing {table.num_rows:,} rows")
    result = fairness.audit(
        table, label=args.label, prediction=args.prediction, sensitive=args.sensitive,
        score=args.score, positive_label=args.positive_label,
        favorable_prediction=args.favorable_prediction, reference=reference,
        intersectional=args.intersectional, bootstrap=args.bootstrap, random_state=args.seed,
        drop_missing=args.drop_missing, cross_check=args.cross_check,
        four_fifths=args.four_fifths,
    )
    bar.update()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "audit.json", result.to_dict())
    (out / "audit.md").write_text(result.to_markdown(), encoding="utf-8")
    bar.update()
    bar.close()

    d = result.to_dict()
    print(f"Audited {d['n_rows']:,} rows ({d['n_dropped']:,} dropped), "
          f"{args.bootstrap:,} bootstrap replicates.")
    for attr in d["attributes"]:
        s = d["summary"]["by_attribute"][attr]
        print(f"  {attr}: reference {s['reference']!r}; demographic parity difference "
              f"{format_estimate(s['demographic_parity_difference'])}, equalized odds "
              f"difference {format_estimate(s['equalized_odds_difference'])}")
    print(f"  favourable outcome: {d['favorable_outcome']}")
    for f in d["flags"]:
        print(f"  flag: {f['attribute']} = {f['group']!r} impact ratio {f['impact_ratio']:.2f} "
              f"< {f['threshold']:g} (four-fifths rule, on the favourable rate)"
              + (" — a small group" if f.get("small") else ""))
    cc = d["cross_check"]
    if cc:
        print(f"  cross-check: {cc['n_compared']} values against {', '.join(cc['libraries'])}, "
              f"max abs difference {cc['max_abs_diff']:.1e}"
              + ("" if cc["all_agree"] else " — DISAGREEMENT, see audit.json"))
    if d["warnings"]:
        print(f"  {len(d['warnings'])} warning(s), first: {d['warnings'][0]}")
    print(f"Wrote {out / 'audit.json'} and {out / 'audit.md'}")
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
    from reports.build import build

    return build(force=args.force, log=_log)


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
    from reports.verify import verify

    return verify(args.cases or None, log=_log)


def make_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="casebook", description="Fairness Casebook: run cases, audit predictions, "
                "build the site.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    s = sub.add_parser("list", help="every case, one line each")
    s.set_defaults(func=cmd_list)

    s = sub.add_parser("run", help="run a case end to end and write its record")
    s.add_argument("case")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--n-samples", type=int, default=None)
    s.add_argument("--set", action="append", default=[], metavar="KNOB=VALUE")
    s.add_argument("--out", default=None, help="folder for record.json (default: the published "
                   "record reports/records/<case>.json)")
    s.add_argument("--no-mitigations", action="store_true", help="skip the mitigations")
    s.set_defaults(func=cmd_run)

    s = sub.add_parser("audit", help="audit a predictions file (CSV or Parquet)")
    s.add_argument("data")
    s.add_argument("--label", required=True)
    s.add_argument("--prediction", required=True)
    s.add_argument("--score", default=None)
    s.add_argument("--sensitive", action="append", required=True)
    s.add_argument("--intersectional", action="store_true")
    s.add_argument("--reference", action="append", default=[], metavar="COL=VALUE")
    s.add_argument("--positive-label", default=None)
    s.add_argument("--favorable-prediction", default="1", metavar="VALUE",
                   help="which prediction is favourable to the person: 1 (default; the positive "
                   "prediction, as hired or approved) or 0 when it is a burden (flagged, "
                   "stopped, refused); impact ratios and the four-fifths rule use it")
    s.add_argument("--bootstrap", type=int, default=1000)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--four-fifths", type=float, default=0.8)
    s.add_argument("--drop-missing", action="store_true")
    s.add_argument("--cross-check", action=argparse.BooleanOptionalAction, default=None,
                   help="recompute with fairlearn and aif360 (default: on up to 200,000 rows)")
    s.add_argument("--out", required=True)
    s.set_defaults(func=cmd_audit)

    s = sub.add_parser("mitigations", help="list the registered mitigations")
    s.set_defaults(func=cmd_mitigations)

    s = sub.add_parser("build", help="bring records up to date, render pages, build the site")
    s.add_argument("--force", action="store_true", help="re-run every case")
    s.set_defaults(func=cmd_build)

    s = sub.add_parser("notebook", help="write CASE.ipynb: the case rebuilt step by step with "
                       "the public API, for a seminar")
    s.add_argument("case")
    s.add_argument("--out", default=".", help="folder for the notebook (default: here)")
    s.set_defaults(func=cmd_notebook)

    s = sub.add_parser("coverage", help="simulate the intervals' coverage on small groups and "
                       "write reports/records/coverage.json (the methodology page's table)")
    s.add_argument("--repetitions", type=int, default=200)
    s.set_defaults(func=cmd_coverage)

    s = sub.add_parser("verify", help="re-run every case and compare with its committed record")
    s.add_argument("cases", nargs="*")
    s.set_defaults(func=cmd_verify)
    return p


def main(argv: list[str] | None = None) -> int:
    from cases import CaseError
    from fairness import AuditInputError

    try:
        args = make_parser().parse_args(argv)
        return args.func(args)
    except (UsageError, AuditInputError, CaseError) as exc:
        print(f"casebook: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `casebook list | head`: the reader has all it wants
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("casebook: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
