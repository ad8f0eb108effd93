"""``casebook coverage``: do the engine's 95% intervals cover 95% of the time on small groups?

A simulation, run through :func:`fairness.audit` itself: a small group of 20,
50 or 200 rows among 2,000, whose members are selected with probability 5%,
50% or 95% (the other rows at 30%). Each setting is drawn ``repetitions``
times; we count how often the small group's interval on its selection rate
contains the true rate, how often the interval on its difference from the
other rows contains the true difference, and how often an interval has zero
width. The multinomial (row-resampling) bootstrap the engine used before is
measured beside it on the same draws, to show why it was replaced. The
result is a record, ``reports/records/coverage.json``, shown on the
methodology page and re-made by ``casebook verify``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from fairness import audit

SIZES = (20, 50, 200)
RATES = (0.05, 0.5, 0.95)
ROWS = 2000
OTHER_RATE = 0.3
REPETITIONS = 200
BOOTSTRAP = 1000
CONFIDENCE = 0.95


def _multinomial_interval(cells: np.ndarray, rng: np.random.Generator) -> tuple:
    """The old engine's interval: percentiles of a multinomial bootstrap of the counts."""
    flat = cells.reshape(-1).astype(float)
    draws = rng.multinomial(int(flat.sum()), flat / flat.sum(), size=BOOTSTRAP)
    draws = draws.reshape(BOOTSTRAP, *cells.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = draws[:, 0, 1] / draws[:, 0].sum(axis=1)
        other = draws[:, 1, 1] / draws[:, 1].sum(axis=1)
    tail = (1 - CONFIDENCE) / 2
    lo, hi = np.nanquantile(rate, [tail, 1 - tail])
    dlo, dhi = np.nanquantile(rate - other, [tail, 1 - tail])
    return (lo, hi), (dlo, dhi)


def simulate(repetitions: int = REPETITIONS, random_state: int = 0,
             sizes: tuple[int, ...] = SIZES, rates: tuple[float, ...] = RATES) -> dict:
    """Coverage and zero-width counts of 95% intervals, per (group size, rate).

    Returns
    -------
    dict
        ``rows`` (one per setting: ``n``, ``rate``, ``rate_coverage``,
        ``difference_coverage``, ``zero_width``, and the old multinomial
        bootstrap's ``before_*`` figures), ``mean_rate_coverage``,
        ``mean_difference_coverage``, ``min_coverage`` and the settings.
    """
    rows = []
    for n in sizes:
        for p in rates:
            rng = np.random.default_rng([random_state, n, round(p * 100)])
            old_rng = np.random.default_rng([random_state, n, round(p * 100), 1])
            hit = dhit = zero = old_hit = old_dhit = old_zero = 0
            for r in range(repetitions):
                group = np.array(["small"] * n + ["rest"] * (ROWS - n))
                selected = rng.random(ROWS) < np.where(group == "small", p, OTHER_RATE)
                y = rng.random(ROWS) < 0.3
                df = pd.DataFrame({"y": y.astype(int), "pred": selected.astype(int),
                                   "group": group})
                res = audit(df, label="y", prediction="pred", sensitive="group",
                            reference={"group": "rest"}, bootstrap=BOOTSTRAP,
                            random_state=r, cross_check=False, confidence=CONFIDENCE)
                e = res.group("group", "small")["metrics"]["selection_rate"]
                d = res.disparity("group", "selection_rate", "small")["difference"]
                hit += e["ci_low"] <= p <= e["ci_high"]
                dhit += d["ci_low"] <= p - OTHER_RATE <= d["ci_high"]
                zero += (e["ci_high"] - e["ci_low"] == 0) + (d["ci_high"] - d["ci_low"] == 0)
                g = res.group("group", "small")
                o = res.group("group", "rest")
                cells = np.array([[g["tn"] + g["fn"], g["fp"] + g["tp"]],
                                  [o["tn"] + o["fn"], o["fp"] + o["tp"]]])
                (lo, hi), (dlo, dhi) = _multinomial_interval(cells, old_rng)
                old_hit += lo <= p <= hi
                old_dhit += dlo <= p - OTHER_RATE <= dhi
                old_zero += (hi - lo == 0) + (dhi - dlo == 0)
            rows.append({
                "n": n, "rate": p, "repetitions": repetitions,
                "rate_coverage": float(hit) / repetitions,
                "difference_coverage": float(dhit) / repetitions,
                "zero_width": int(zero),
                "before_rate_coverage": float(old_hit) / repetitions,
                "before_difference_coverage": float(old_dhit) / repetitions,
                "before_zero_width": int(old_zero),
            })
    cov = [r[k] for r in rows for k in ("rate_coverage", "difference_coverage")]
    return {
        "settings": {"sizes": list(sizes), "rates": list(rates), "rows": ROWS,
                     "other_rate": OTHER_RATE, "repetitions": repetitions,
                     "bootstrap": BOOTSTRAP, "confidence": CONFIDENCE,
                     "random_state": random_state},
        "rows": rows,
        "mean_rate_coverage": float(np.mean([r["rate_coverage"] for r in rows])),
        "mean_difference_coverage": float(np.mean([r["difference_coverage"] for r in rows])),
        "min_coverage": float(min(cov)),
    }


def inputs_sha256() -> str:
    """The files the coverage record depends on: the engine, this module, the lock file."""
    from cases import ROOT, identity_files

    h = hashlib.sha256()
    files = [p for p in identity_files(Path(__file__)) if p.parent.name != "cases"]
    for f in files:
        h.update(f.relative_to(ROOT).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def coverage_record(repetitions: int = REPETITIONS) -> dict:
    """The record ``casebook coverage`` writes: the simulation and how it was made."""
    from cases import versions

    return {"record": "coverage", "synthetic": True, "command": "casebook coverage",
            "inputs_sha256": inputs_sha256(), "versions": versions(),
            **simulate(repetitions)}
