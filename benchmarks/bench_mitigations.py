"""Time every registered mitigation on one synthetic world (run by hand, not by CI).

Issue 4's target: all of them together under 90 s with 10,000 training rows
on the 2-core machine. Wall time depends on what else runs; CPU time (this
process and its children, e.g. PrejudiceRemover's subprocesses) less so.

    .venv/bin/python benchmarks/bench_mitigations.py [--n-train 10000] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import os
import time

from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fairness.mitigations import MITIGATIONS, MitigationError, run_mitigation
from fairness.mitigations._world import make_disparity_data as make_world

TARGET_SECONDS = 90.0


def _cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-train", type=int, default=10_000)
    parser.add_argument("--n-test", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", nargs="*", default=None, help="names to time (default: all)")
    args = parser.parse_args(argv)

    X, y, s = make_world(args.n_train + args.n_test, args.seed)
    n = args.n_train
    data = dict(X_train=X.iloc[:n], y_train=y[:n], sensitive_train=s.iloc[:n],
                X_test=X.iloc[n:], sensitive_test=s.iloc[n:], privileged="a",
                random_state=args.seed)
    names = args.only or list(MITIGATIONS)
    print(f"{len(names)} mitigations, {n:,} training rows, {args.n_test:,} test rows, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print(f"{'mitigation':<50} {'wall s':>7} {'cpu s':>7}  gap a-b")
    total_wall = total_cpu = 0.0
    times: dict[str, float] = {}
    sel = s.iloc[n:].to_numpy()
    w0, c0 = time.perf_counter(), _cpu()
    base = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(
        data["X_train"], data["y_train"]).predict(data["X_test"])
    print(f"{'baseline (no mitigation)':<50} {time.perf_counter() - w0:7.2f} "
          f"{_cpu() - c0:7.2f}  {base[sel == 'a'].mean() - base[sel == 'b'].mean():+.3f}")
    for name in names:
        w0, c0 = time.perf_counter(), _cpu()
        try:
            out = run_mitigation(name, estimator=make_pipeline(
                StandardScaler(), LogisticRegression(max_iter=1000)), **data)
            gap = f"{out.y_pred[sel == 'a'].mean() - out.y_pred[sel == 'b'].mean():+.3f}"
        except MitigationError as exc:
            gap = f"FAILED: {exc}"
        wall, cpu = time.perf_counter() - w0, _cpu() - c0
        times[name] = wall
        total_wall += wall
        total_cpu += cpu
        print(f"{name:<50} {wall:7.2f} {cpu:7.2f}  {gap}", flush=True)
    slowest = max(times, key=times.__getitem__)
    verdict = "under" if total_wall < TARGET_SECONDS else "OVER"
    print(f"{'total':<50} {total_wall:7.2f} {total_cpu:7.2f}  "
          f"({verdict} the {TARGET_SECONDS:.0f} s target; slowest: {slowest}, "
          f"{times[slowest]:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
