"""``casebook``: the one console command. Each sub-command is a thin layer over a function."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

RECORDS = Path(__file__).resolve().parent / "records"


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
    from fairness._engines import choose_engine as fairness_engine
    from reports._io import write_json

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
    engine = fairness_engine(args.data, args.engine)
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
    bar.update()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "audit.json", result.to_dict())
    (out / "audit.md").write_text(result.to_markdown(), encoding="utf-8")
    bar.update()
    bar.close()

    d = result.to_dict()
    print(f"Audited {d['n_rows']:,} rows ({d['n_dropped']:,} dropped) with the {engine} "
          f"engine, {args.bootstrap:,} bootstrap replicates.")
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

    rows = mitigation_table()
    header = ("name", "library", "stage", "constraint", "sensitive at prediction")
    keys = ("name", "library", "stage", "constraint", "needs_sensitive_at_prediction")
    table = [[str(r[k]) if k != keys[-1] else ("yes" if r[k] else "no") for k in keys]
             for r in rows]
    widths = [max(len(h), *(len(t[i]) for t in table)) for i, h in enumerate(header)]
    for t in [list(header), *table]:
        print("  ".join(c.ljust(w) for c, w in zip(t, widths, strict=True)).rstrip())
    return 0


def cmd_build(args) -> int:
    from reports.build import build

    return build(force=args.force, log=_log)


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
    s.add_argument("data", help="a CSV or Parquet file, a folder of Parquet files, a glob "
                   "('logs/*.parquet': quote it), or with --engine spark a URI (s3a://...)")
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
    s.add_argument("--engine", choices=["auto", "pandas", "duckdb", "spark"], default="auto",
                   help="what counts the rows: pandas (in memory), duckdb (a GROUP BY where the "
                   "files are; memory stays flat) or spark (the same on a Spark cluster); auto "
                   "(default): duckdb for folders, globs, Parquet files of more than 5 million "
                   "rows and files over 256 MB, pandas otherwise")
    s.add_argument("--spark-master", default=None, metavar="URL",
                   help="the Spark master for --engine spark (default local[*]; e.g. "
                   "spark://host:7077 or yarn)")
    s.add_argument("--out", required=True)
    s.set_defaults(func=cmd_audit)

    s = sub.add_parser("mitigations", help="list the registered mitigations")
    s.set_defaults(func=cmd_mitigations)

    s = sub.add_parser("build", help="bring records up to date, render pages, build the site")
    s.add_argument("--force", action="store_true", help="re-run every case")
    s.set_defaults(func=cmd_build)

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
