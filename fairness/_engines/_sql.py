"""The counts from an SQL engine: validation and aggregation as two GROUP BYs.

``fairness._prepare.prepare`` validates rows in memory; this module asks the
same questions of an engine that keeps the rows (DuckDB, Spark), so that the
answers, the errors and the group names are the same and the rows never come
to Python. It needs at most three scans:

1. a look at the first :data:`SAMPLE_ROWS` rows, so that an identifier passed
   as a sensitive column (or a many-valued label) is caught before a GROUP BY
   over millions of distinct values;
2. the *stats* GROUP BY over the raw values of the sensitive columns, the
   label, the prediction and (with a score) the calibration bin: it yields the
   distinct values, the missing counts, the counts themselves, the score's
   range and checks, and the exact Brier and calibration sums (for both values
   of the label: which is positive is decided after). Its groups are few, so
   its sums stay in cache;
3. with a score only, the *histogram* GROUP BY, a count per (group codes,
   label, score bin), the bins computed with the same double arithmetic as
   ``fairness._scores.score_counts``.

A backend (``_duckdb``, ``_spark``) supplies the dialect and runs the SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .._counts import Counts, counts_from_keys
from .._prepare import (
    MISSING_GROUP,
    Attribute,
    AuditInputError,
    Prepared,
    _default_positive,
    _match_positive,
    _numeric,
    _python,
    _sort_key_order,
    resolve_favorable,
)
from .._scores import CALIBRATION_BINS, FIXED_POINT_BITS, ScoreCounts, ScoreScale, score_scale
from ._files import require_columns

SAMPLE_ROWS = 100_000
# The stats GROUP BY has one row per combination of values present; past this
# many the attributes are not groups (the sample check catches the usual case).
MAX_COMBINATIONS = 2_000_000
# A label or prediction with more distinct values than this in the sample is
# not grouped by value (only whether it is missing): it cannot be a 0/1 outcome.
MAX_LABEL_VALUES = 1000
# Sensitive columns with at most this many groups are coded 0..k-1 inside the
# engine (a CASE), so the histogram GROUP BY is over small integers.
MAX_CASE_GROUPS = 32
INF = "CAST('Infinity' AS DOUBLE)"


def dbl(x: float) -> str:
    """A double literal that every engine parses to exactly ``x`` (repr round-trips)."""
    return f"CAST('{float(x)!r}' AS DOUBLE)"


TWO_60 = dbl(float(2**FIXED_POINT_BITS))


class Backend(Protocol):
    """What an engine supplies: its schema, its dialect and a way to run a query."""

    name: str
    table: str  # how the rows are named in FROM

    def columns(self) -> dict[str, str]:
        """Column name -> kind: "float", "int", "bool", "string", "decimal" or "other"."""

    def fetch(self, sql: str) -> pa.Table:
        """Run a query; its result is small (aggregates) by construction."""

    def rows(self, columns: list[str]) -> pa.Table:
        """Every row of ``columns``, in the order the files hold them."""

    def quote(self, name: str) -> str: ...

    def fixed_sum(self, expr: str) -> str:
        """An exact sum of a BIGINT expression, as DECIMAL(38, 0)."""

    def try_double(self, expr: str) -> str: ...

    def literal(self, value: Any) -> str | None:
        """``value`` as an SQL literal, or None where the backend prefers raw grouping."""


@dataclass
class SqlAudit:
    """What the engine computed: the same objects the in-memory path builds."""

    prepared: Prepared
    counts: Counts
    score_counts: ScoreCounts | None


def _norm(b: Backend, name: str, kind: str) -> str:
    # NaN is missing, as in the in-memory path; DuckDB and Spark group NaN as a value.
    q = b.quote(name)
    return f"CASE WHEN isnan({q}) THEN NULL ELSE {q} END" if kind == "float" else q


def _values(col: pa.ChunkedArray | pa.Array) -> list[Any]:
    return col.to_pylist()


def _sorted(values: set) -> list[Any]:
    vals = list(values)
    return [vals[i] for i in _sort_key_order(vals)]


class _Plan:
    """One audit's questions to one backend."""

    def __init__(self, b: Backend, *, label: str, prediction: str, sensitive: list[str],
                 score: str | None, positive_label: Any, drop_missing: bool, max_groups: int,
                 favorable_prediction: Any):
        self.b = b
        self.label, self.prediction, self.sensitive, self.score = (
            label, prediction, sensitive, score)
        self.positive_label = positive_label
        self.drop_missing = drop_missing
        self.max_groups = max_groups
        self.favorable_prediction = favorable_prediction

    # -- the questions ---------------------------------------------------------------

    def check_columns(self) -> None:
        kinds = self.b.columns()
        wanted = [("label", self.label), ("prediction", self.prediction)]
        wanted += [("sensitive", s) for s in self.sensitive]
        if self.score is not None:
            wanted.append(("score", self.score))
        require_columns(wanted, list(kinds))  # the same order and words as prepare()
        self.kinds = kinds
        self.keys = {name: _norm(self.b, name, kinds[name])
                     for name in [self.label, self.prediction, *self.sensitive]}

    def sample(self) -> None:
        """Distinct values among the first rows: flag columns that cannot be grouped by value."""
        names = list(self.keys)
        inner = ", ".join(f"{self.keys[n]} AS c{i}" for i, n in enumerate(names))
        outer = ", ".join(f"count(DISTINCT c{i}) AS c{i}" for i in range(len(names)))
        row = self.b.fetch(f"SELECT {outer} FROM (SELECT {inner} FROM {self.b.table} "
                           f"LIMIT {SAMPLE_ROWS}) t").to_pylist()[0]
        distinct = {n: row[f"c{i}"] for i, n in enumerate(names)}
        # Without positive_label a label of more than two values is an error anyway.
        label_limit = 2 if self.positive_label is None else MAX_LABEL_VALUES
        self.flagged = {n for n in self.sensitive if distinct[n] > self.max_groups}
        self.flagged |= {n for n in (self.label, self.prediction) if distinct[n] > label_limit}

    def _score_exprs(self) -> tuple[str, str]:
        """(the score as DOUBLE, whether the raw value is NULL)."""
        q = self.b.quote(self.score)
        kind = self.kinds[self.score]
        if kind in ("float", "int", "bool", "decimal"):
            return f"CAST({q} AS DOUBLE)", f"{q} IS NULL"
        if kind == "string":
            return self.b.try_double(q), f"{q} IS NULL"
        # A date or another type: let Arrow's cast say why, as the in-memory path does.
        rows = self.b.fetch(f"SELECT {q} AS s FROM {self.b.table} LIMIT 1")
        _numeric(rows.column(0), self.score, "score")
        raise AuditInputError(f"score column {self.score!r} must be numeric; it has type "
                              f"{rows.schema.field(0).type}")

    def stats(self) -> pa.Table:
        """The stats GROUP BY (see the module docstring), at most MAX_COMBINATIONS rows."""
        b = self.b
        cols, keys = [], []
        for i, name in enumerate(self.sensitive):
            if name not in self.flagged:
                cols.append(f"{self.keys[name]} AS k{i}")
                keys.append(f"k{i}")
        for tag, name in (("l", self.label), ("p", self.prediction)):
            if name not in self.flagged:  # missing is NULL: no flag needed
                cols.append(f"{self.keys[name]} AS k{tag}")
                keys.append(f"k{tag}")
            else:
                cols.append(f"({self.keys[name]}) IS NULL AS m{tag}")
                keys.append(f"m{tag}")
        aggs = ["count(*) AS n"]
        inner = ", ".join(cols)
        if self.score is not None:
            s, raw_null = self._score_exprs()
            one = dbl(1)
            grid = f"su * {dbl(10_000)}"

            def fixed(expr: str) -> str:  # floor(v * 2**60), summed exactly (NULLs skipped)
                return b.fixed_sum(f"CAST(floor(({expr}) * {TWO_60}) AS BIGINT)")

            t1 = f"(su - {one}) * (su - {one})"
            # Few aggregates: in DuckDB each costs about a second per 100M rows. The rare
            # questions (how many infinite scores, are they whole numbers) get their own
            # query when the answer matters; the four-decimals check is the histogram's.
            aggs += [
                "count(sn) AS n_score", "min(sn) AS lo", "max(sn) AS hi",
                # For probabilities: the Brier terms (score - y)^2 and their squares, for
                # either value of y (the positive label is not known yet), and the scores,
                # per calibration bin cb; the operations of score_counts, exactly summed.
                f"{fixed('su * su')} AS b0", f"{fixed(t1)} AS b1",
                f"{fixed('(su * su) * (su * su)')} AS q0", f"{fixed(f'({t1}) * ({t1})')} AS q1",
                f"{fixed('su')} AS cs",
            ]
            if self.kinds[self.score] == "string":
                aggs.append("count_if(NOT sraw_null AND s IS NULL) AS n_bad")
            # su: the score where it is a probability (else NULL); cb its calibration bin,
            # score_counts' bin // 1000 (-1 for the rest).
            cal = (f"CASE WHEN su IS NULL THEN -1 ELSE CAST(floor(LEAST(floor({grid} + "
                   f"{dbl(1e-6)}), {dbl(9999)}) / {dbl(1000)}) AS INTEGER) END")
            inner = (f"SELECT *, {cal} AS cb FROM (SELECT *, CASE WHEN isnan(s) THEN NULL ELSE s "
                     f"END AS sn, CASE WHEN s BETWEEN {dbl(0)} AND {one} THEN s END AS su FROM "
                     f"(SELECT {inner}, {s} AS s, {raw_null} AS sraw_null FROM {b.table}) t0) t1")
            keys.append("cb")
            sql = (f"SELECT {', '.join(keys)}, {', '.join(aggs)} FROM ({inner}) t "
                   f"GROUP BY {', '.join(keys)}")
        else:
            sql = (f"SELECT {', '.join(keys)}, {', '.join(aggs)} FROM (SELECT {inner} "
                   f"FROM {b.table}) t GROUP BY {', '.join(keys)}")
        table = b.fetch(f"{sql} LIMIT {MAX_COMBINATIONS + 1}")
        if table.num_rows > MAX_COMBINATIONS:
            for name in self.sensitive:
                self._check_distinct(name)
            raise AuditInputError(
                f"the sensitive columns, label and prediction take more than "
                f"{MAX_COMBINATIONS:,} combinations of values; audit fewer attributes at a time "
                "or recode them into groups"
            )
        return table

    def _count_distinct(self, name: str) -> int:
        sql = (f"SELECT count(DISTINCT k) AS n FROM (SELECT {self.keys[name]} AS k "
               f"FROM {self.b.table}) t")
        return int(self.b.fetch(sql).column(0)[0].as_py())

    def _check_distinct(self, name: str, n: int | None = None) -> None:
        n = self._count_distinct(name) if n is None else n
        if n > self.max_groups:  # the words of prepare()
            raise AuditInputError(
                f"sensitive column {name!r} has {n} distinct values, more than "
                f"{self.max_groups}: it looks like an identifier, not a group; pick a group column "
                "(or raise max_groups if you mean it)"
            )

    def _many_values(self, name: str) -> None:
        """A label or prediction flagged in the sample: the error prepare() would raise."""
        if self.positive_label is not None:
            raise AuditInputError(
                f"column {name!r} has more than {MAX_LABEL_VALUES} distinct values: the "
                f"{self.b.name} engine groups by the label and the prediction; recode it to "
                "the outcome (0/1), or use engine='pandas' (--engine pandas)"
            )
        n = self._count_distinct(name)
        first = self.b.fetch(
            f"SELECT DISTINCT k FROM (SELECT {self.keys[name]} AS k FROM {self.b.table}) t "
            f"WHERE k IS NOT NULL ORDER BY k LIMIT 6").column(0).to_pylist()
        shown = ", ".join(repr(v) for v in _sorted(set(first))) + (", ..." if n > 6 else "")
        raise AuditInputError(
            f"column {name!r} must hold two values, found {n} ({shown}); "
            "pass positive_label (--positive-label VALUE) to treat one value as positive "
            "and the rest as negative"
        )

    # -- the answers -----------------------------------------------------------------

    def run(self, intersectional: bool) -> SqlAudit:
        self.check_columns()
        self.sample()
        st = self.stats()
        n = st.column("n").to_numpy(zero_copy_only=False).astype(np.int64)
        if n.sum() == 0:
            raise AuditInputError("the data have no rows; nothing to audit")

        def missing(tag: str, name: str) -> np.ndarray:
            if name in self.flagged:
                return st.column(f"m{tag}").to_numpy(zero_copy_only=False).astype(bool)
            return np.asarray(st.column(f"k{tag}").is_null().to_numpy(zero_copy_only=False))

        ml, mp = missing("l", self.label), missing("p", self.prediction)
        has_score = self.score is not None
        if has_score:
            n_bad = np.zeros_like(n)
            if "n_bad" in st.column_names:
                n_bad = st.column("n_bad").to_numpy(zero_copy_only=False).astype(np.int64)
                if n_bad.sum():
                    self._bad_score()
            # Missing: NULL or NaN (the rest either has a number or failed to parse).
            n_missing_score = n - n_bad - st.column("n_score").to_numpy(
                zero_copy_only=False).astype(np.int64)
        else:
            n_missing_score = np.zeros_like(n)

        # Missing label, prediction or score: the same count and words as prepare().
        n_missing = int(np.where(ml | mp, n, n_missing_score).sum())
        n_dropped = 0
        if n_missing:
            if not self.drop_missing:
                parts = [f"{int(n[ml].sum())} in {self.label!r}",
                         f"{int(n[mp].sum())} in {self.prediction!r}"]
                if has_score:
                    parts.append(f"{int(n_missing_score.sum())} in {self.score!r}")
                raise AuditInputError(
                    f"{n_missing} rows have a missing label, prediction or score "
                    f"({', '.join(parts)}); fill them, or pass drop_missing=True "
                    "(--drop-missing) to drop them and report the count"
                )
            n_dropped = n_missing
        kept = np.where(ml | mp, 0, n - n_missing_score)
        if kept.sum() == 0:
            raise AuditInputError("no rows are left after dropping missing values; nothing to "
                                  "audit")

        # The positive value, from the values of every row and of the kept ones.
        for name in (self.label, self.prediction):
            if name in self.flagged:
                self._many_values(name)
        kl, kp = st.column("kl").to_pylist(), st.column("kp").to_pylist()
        y_values = _sorted({v for v in kl if v is not None})
        p_values = _sorted({v for v in kp if v is not None})

        def used(keys: list, values: list) -> list:
            if not n_dropped:
                return values
            present = {v for v, k in zip(keys, kept, strict=True) if k > 0}
            return [v for v in values if v in present]

        values = list(dict.fromkeys(used(kl, y_values) + used(kp, p_values)))
        if self.positive_label is None:
            if len(set(y_values)) > 2 or len(set(p_values)) > 2:
                bad, vals = ((self.label, y_values) if len(set(y_values)) > 2
                             else (self.prediction, p_values))
                _default_positive(vals, f"column {bad!r}")
            positive = _default_positive(values, f"columns {self.label!r} and "
                                                 f"{self.prediction!r}")
        else:
            positive = _match_positive(self.positive_label, values)
        y_pos = {v for v in y_values if v == positive}
        p_pos = {v for v in p_values if v == positive}

        scale = self._scale(st, ml | mp) if has_score else None
        favorable = resolve_favorable(self.favorable_prediction, positive, values)

        # Groups: sorted distinct values of all rows; "(missing)" if a kept row lacks one.
        attributes, codes, self.lookups = [], [], []
        for i, name in enumerate(self.sensitive):
            if name in self.flagged:
                self._check_distinct(name)
            raw = st.column(f"k{i}").to_pylist()
            groups = _sorted({v for v in raw if v is not None})
            self._check_distinct(name, len(groups))
            names = [str(g) for g in groups]
            lookup = {g: k for k, g in enumerate(groups)}
            if any(v is None and k > 0 for v, k in zip(raw, kept, strict=True)):
                names.append(MISSING_GROUP)
            codes.append(np.array([lookup.get(v, len(groups)) if v is not None else len(groups)
                                   for v in raw], dtype=np.int64))
            attributes.append(Attribute(name, np.empty(0, dtype=np.int64), names))
            self.lookups.append(lookup)  # value -> code, for the histogram's rows

        sizes = [len(a.groups) for a in attributes]
        self.prepared_attributes = attributes
        joint = _joint(codes, sizes)
        y = np.array([v in y_pos for v in kl], dtype=np.int64)
        y_hat = np.array([v in p_pos for v in kp], dtype=np.int64)
        take = kept > 0
        counts = counts_from_keys(joint[take], (2 * y + y_hat)[take], kept[take],
                                  [a.name for a in attributes], [a.groups for a in attributes],
                                  intersectional)
        prepared = Prepared(
            y=np.empty(0, dtype=np.int8), y_hat=np.empty(0, dtype=np.int8), score=None,
            attributes=attributes, n_rows=int(kept.sum()), n_dropped=n_dropped,
            positive_label=_python(positive), favorable=favorable, score_scale=scale,
        )
        score_counts = None
        if has_score:
            score_counts, prepared.score_scale = self._score_counts(
                st, scale, counts, y, joint, take, y_pos, bool(n_dropped))
        return SqlAudit(prepared, counts, score_counts)

    def _bad_score(self) -> None:
        q = self.b.quote(self.score)
        rows = self.b.fetch(f"SELECT {q} AS s FROM {self.b.table} WHERE {q} IS NOT NULL AND "
                            f"{self.b.try_double(q)} IS NULL LIMIT 1")
        _numeric(rows.column(0), self.score, "score")  # Arrow's words for the first bad value
        raise AuditInputError(
            f"score column {self.score!r} must be numeric; it could not be read as numbers "
            f"({rows.column(0)[0].as_py()!r} is not a number)"
        )

    def _kept_rows(self) -> str:
        """The kept rows' scores (s), for the rare questions about them."""
        s, _ = self._score_exprs()
        return (f"(SELECT {s} AS s FROM {self.b.table} WHERE ({self.keys[self.label]}) IS NOT "
                f"NULL AND ({self.keys[self.prediction]}) IS NOT NULL) t")

    def _scale(self, st: pa.Table, dropped: np.ndarray) -> ScoreScale:
        """What fairness._prepare.scale_of decides, from the kept rows' aggregates.

        Whether every probability has four decimals (the AUC is then exact)
        is set from the histogram's check, in :meth:`_score_counts`.
        """
        keep = ~dropped

        def kept_values(name: str) -> list:
            return [v for v, k in zip(st.column(name).to_pylist(), keep, strict=True)
                    if k and v is not None]

        lo, hi = float(min(kept_values("lo"))), float(max(kept_values("hi")))
        if not (np.isfinite(lo) and np.isfinite(hi)):
            n_inf = self.b.fetch(f"SELECT count(*) AS n FROM {self._kept_rows()} WHERE abs(s) = "
                                 f"{INF}").column(0)[0].as_py()
            raise AuditInputError(
                f"score column {self.score!r} has {n_inf} infinite values; scores must be finite "
                "numbers (replace them, or drop those rows)"
            )
        all_integer = False
        if not (0.0 <= lo and hi <= 1.0):
            big = dbl(2.0**53)  # every double this large is a whole number
            all_integer = bool(self.b.fetch(
                f"SELECT coalesce(bool_and(CASE WHEN abs(s) < {big} THEN s = floor(s) ELSE TRUE "
                f"END), TRUE) AS w FROM {self._kept_rows()} WHERE NOT isnan(s)"
            ).column(0)[0].as_py())
        return score_scale(lo, hi, all_integer, False)

    def _score_counts(self, st: pa.Table, scale: ScoreScale, counts: Counts, y: np.ndarray,
                      joint: np.ndarray, take: np.ndarray, y_pos: set,
                      dropped: bool) -> tuple[ScoreCounts, ScoreScale]:
        """Per joint group: the score histograms (a GROUP BY) and the exact sums (the stats).

        Returns them with the final scale (its AUC-exactness from the histogram).
        """
        n_present = len(counts.present)
        lut = np.full(int(np.prod([len(a.groups) for a in self.prepared_attributes])), -1)
        lut[counts.present] = np.arange(n_present)
        h, coded = self.histogram(scale, dropped)
        codes = []
        for i, lookup in enumerate(self.lookups):
            raw = h.column(f"c{i}")
            if coded[i]:  # coded in the engine
                codes.append(raw.to_numpy(zero_copy_only=False).astype(np.int64))
            else:
                missing = len(lookup)
                codes.append(np.array([missing if v is None else lookup.get(v, missing)
                                       for v in raw.to_pylist()], dtype=np.int64))
        rows = lut[_joint(codes, [len(a.groups) for a in self.prepared_attributes])]
        hy = np.array([v in y_pos for v in h.column("kl").to_pylist()], dtype=np.int64)
        hist = np.zeros((n_present, 2, scale.bins), dtype=np.int64)
        np.add.at(hist, (rows, hy, h.column("b").to_numpy(zero_copy_only=False).astype(np.int64)),
                  h.column("n").to_numpy(zero_copy_only=False).astype(np.int64))
        if not scale.probabilities:
            return ScoreCounts(hist, None, None, None), scale
        four = [v for v in h.column("four_decimals").to_pylist() if v is not None]
        scale = score_scale(scale.low, scale.high, False, all(four))
        # The stats' exact sums, each row's own (by whether its label is positive), added
        # per joint group (and calibration bin) as Arrow decimals: no rounding anywhere.
        keep = pa.array(take)
        pos = pa.array(y.astype(bool))
        parts = pa.table({
            "g": lut[joint], "cb": st.column("cb"),
            "b": pc.if_else(pos, st.column("b1"), st.column("b0")),
            "q": pc.if_else(pos, st.column("q1"), st.column("q0")), "s": st.column("cs"),
        }).filter(keep)
        per_g = parts.group_by("g").aggregate([("b", "sum"), ("q", "sum")])
        cal_rows = parts.filter(pc.greater_equal(parts.column("cb"), 0))
        per_gc = cal_rows.group_by(["g", "cb"]).aggregate([("s", "sum")])
        brier_sum = np.zeros(n_present, dtype=object)
        square_sum = np.zeros(n_present, dtype=object)
        cal = np.zeros((n_present, CALIBRATION_BINS), dtype=object)
        for g, b, q in zip(per_g.column("g").to_pylist(), per_g.column("b_sum").to_pylist(),
                           per_g.column("q_sum").to_pylist(), strict=True):
            brier_sum[g], square_sum[g] = int(b or 0), int(q or 0)
        for g, c, v in zip(per_gc.column("g").to_pylist(), per_gc.column("cb").to_pylist(),
                           per_gc.column("s_sum").to_pylist(), strict=True):
            cal[g, c] = int(v or 0)
        return ScoreCounts(hist, brier_sum, square_sum, cal), scale

    def histogram(self, scale: ScoreScale, dropped: bool) -> tuple[pa.Table, list[bool]]:
        """Rows per (group codes, label value, score bin) of the kept rows.

        Returns the table and, per attribute, whether the engine coded it
        (columns ``c0``, ``c1``, ... hold codes) or left its raw values. Only
        counts (and, for probabilities, the four-decimals check): with so small
        a state DuckDB indexes a table directly instead of hashing.
        """
        s, _ = self._score_exprs()
        cols, keys, coded = [], [], []
        for i, (name, lookup) in enumerate(zip(self.sensitive, self.lookups, strict=True)):
            case = self._case(self.keys[name], lookup)
            coded.append(case is not None)
            cols.append(f"{case or self.keys[name]} AS c{i}")
            keys.append(f"c{i}")
        cols += [f"{self.keys[self.label]} AS kl", f"{self.keys[self.prediction]} AS kp",
                 f"{s} AS s"]
        keys.append("kl")
        # The binning of score_counts, operation for operation:
        # floor((score - offset) * scale + 1e-6), clipped to [0, bins - 1].
        # Kept scores are >= the offset (the lowest score), so the lower clip never binds;
        # s - 0.0 and s * 1.0 are s exactly, so those operations are left out.
        x = "s" if scale.offset == 0.0 else f"(s - {dbl(scale.offset)})"
        x = x if scale.scale == 1.0 else f"{x} * {dbl(scale.scale)}"
        bin_ = (f"CAST(LEAST(floor({x} + {dbl(1e-6)}), {dbl(scale.bins - 1)}) AS INTEGER)")
        where = (" WHERE kl IS NOT NULL AND kp IS NOT NULL AND s IS NOT NULL AND NOT isnan(s)"
                 if dropped else "")
        aggs = "count(*) AS n"
        if scale.probabilities:
            grid = f"s * {dbl(10_000)}"
            aggs += f", bool_and(abs({grid} - round({grid})) < {dbl(1e-6)}) AS four_decimals"
        sql = (f"SELECT {', '.join(keys)}, {bin_} AS b, {aggs} FROM (SELECT "
               f"{', '.join(cols)} FROM {self.b.table}) t{where} GROUP BY {', '.join(keys)}, b")
        return self.b.fetch(sql), coded

    def _case(self, key: str, lookup: dict) -> str | None:
        """The attribute's codes computed in the engine, when it has few groups."""
        if len(lookup) > MAX_CASE_GROUPS:
            return None
        whens = []
        for value, code in lookup.items():
            lit = self.b.literal(value)
            if lit is None:
                return None
            whens.append(f"WHEN {lit} THEN {code}")
        return f"CASE {key} {' '.join(whens)} ELSE {len(lookup)} END"


def _joint(codes: list[np.ndarray], sizes: list[int]) -> np.ndarray:
    """Joint group codes, the first attribute most significant (as _counts.joint_codes)."""
    joint = codes[0].copy()
    for c, size in zip(codes[1:], sizes[1:], strict=True):
        joint = joint * size + c
    return joint


def sql_audit(b: Backend, *, intersectional: bool, **kw: Any) -> SqlAudit:
    """Validate and count with backend ``b``: the errors and counts of the in-memory path."""
    return _Plan(b, **kw).run(intersectional)


def fetch_rows(b: Backend, columns: list[str]) -> pa.Table:
    """Every row of ``columns`` (for the cross-check on small data only)."""
    return b.rows(list(dict.fromkeys(columns)))
