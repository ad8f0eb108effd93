"""Validate an audit's input and turn its columns into small integer codes.

Accepts a pandas DataFrame or a pyarrow Table. Everything downstream works on
the arrays built here: ``y`` and ``y_hat`` (0/1), the optional ``score`` and,
per sensitive attribute, integer codes into a list of group names.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from numbers import Number
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ._scores import ScoreScale, score_scale

MISSING_GROUP = "(missing)"


class AuditInputError(ValueError):
    """The data or the arguments of an audit cannot be used as given.

    The message is one line naming the problem and how to fix it.
    """


@dataclass
class Attribute:
    """A sensitive attribute: a code per row and the names of its groups."""

    name: str
    codes: np.ndarray
    groups: list[str]


@dataclass
class Prepared:
    y: np.ndarray
    y_hat: np.ndarray
    score: np.ndarray | None
    attributes: list[Attribute]
    n_rows: int
    n_dropped: int
    positive_label: Any
    favorable: int = 1
    score_scale: ScoreScale | None = None
    warnings: list[str] = field(default_factory=list)


def _columns(frame: Any) -> list[str]:
    if isinstance(frame, pd.DataFrame):
        return [str(c) for c in frame.columns]
    if isinstance(frame, pa.Table):
        return list(frame.column_names)
    raise AuditInputError(
        f"frame must be a pandas DataFrame or a pyarrow Table, not {type(frame).__name__}"
    )


def _get(frame: Any, name: str) -> pd.Series | pa.ChunkedArray:
    if isinstance(frame, pd.DataFrame):
        return frame[name]
    return frame.column(name)


def _length(frame: Any) -> int:
    return len(frame) if isinstance(frame, pd.DataFrame) else frame.num_rows


def _python(value: Any) -> Any:
    """A plain Python scalar (JSON-safe) for a numpy/arrow scalar."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pa.Scalar):
        return value.as_py()
    return value


def _small_ints(arr: np.ndarray) -> tuple[np.ndarray, list[Any]] | None:
    """Codes of an integer or boolean array with few distinct values, without hashing.

    A 0/1 label of ten million rows costs a min, a max and a cast this way,
    against a hash table for the general path.
    """
    if arr.dtype == np.bool_:
        ints, as_value = arr.view(np.uint8), bool
    elif arr.dtype.kind in "iu":
        ints, as_value = arr, int
    else:
        return None
    if len(ints) == 0:
        return None
    lo, hi = int(ints.min()), int(ints.max())
    if hi - lo > 64:
        return None
    if -128 <= lo and hi <= 127:
        codes = ints.astype(np.int8)  # 1 byte a row: a 0/1 label stays small
        if lo:
            codes -= np.int8(lo)
    else:
        codes = ints - lo
    present = [lo] + [v for v in range(lo + 1, hi) if (ints == v).any()] + (
        [hi] if hi > lo else [])
    if len(present) < hi - lo + 1:
        lut = np.full(hi - lo + 1, -1, dtype=np.int64)
        lut[np.asarray(present) - lo] = np.arange(len(present))
        codes = lut[codes]
    return codes, [as_value(v) for v in present]


def _is_nan(v: Any) -> bool:
    return isinstance(v, float) and v != v


def _sort_key_order(values: list[Any]) -> list[int]:
    try:
        return sorted(range(len(values)), key=lambda i: values[i])
    except TypeError:
        return sorted(range(len(values)), key=lambda i: str(values[i]))


class _Serial:
    """A stand-in for a thread pool that maps in the calling thread."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def map(self, fn, items):
        return map(fn, items)


def _pool(n_rows: int, n_chunks: int):
    """Threads for large many-chunk columns (Arrow's kernels and ``np.take`` release the GIL)."""
    workers = min(os.cpu_count() or 1, n_chunks)
    if n_rows < 1_000_000 or workers < 2:
        return _Serial()
    return ThreadPoolExecutor(max_workers=workers)


def _factorize_arrow(column: pa.ChunkedArray) -> tuple[np.ndarray, list[Any]]:
    """Chunk by chunk: encode each, map its small dictionary onto the sorted global values.

    This avoids unifying the chunks' dictionaries (combine_chunks) and a second
    pass to sort the codes; NaN in a float column counts as missing.
    """
    if column.null_count == 0 and (pa.types.is_integer(column.type)
                                   or pa.types.is_boolean(column.type)):
        fast = _small_ints(column.to_numpy())
        if fast is not None:
            return fast
    chunks = column.chunks

    def encode(chunk: pa.Array) -> tuple[np.ndarray, list[Any]]:
        e = chunk if pa.types.is_dictionary(chunk.type) else pc.dictionary_encode(chunk)
        idx = e.indices.fill_null(-1) if e.indices.null_count else e.indices
        idx = idx.to_numpy(zero_copy_only=False)
        return idx, e.dictionary.to_pylist()

    with _pool(len(column), len(chunks)) as pool:
        encoded = list(pool.map(encode, chunks))
        first: dict[Any, int] = {}
        for _, vals in encoded:
            for v in vals:
                if not _is_nan(v):
                    first.setdefault(v, len(first))
        values = list(first)
        order = _sort_key_order(values)
        rank = dict(zip((values[i] for i in order), range(len(values)), strict=True))
        values = [values[i] for i in order]
        # The smallest integer type that holds every code and one more (the
        # attribute's "(missing)" group): usually one byte a row.
        small = np.int8 if len(values) < 126 else np.int16 if len(values) < 32_000 else np.int32
        codes = np.empty(len(column), dtype=small)
        offsets = np.cumsum([0] + [len(c) for c in chunks])

        def place(k: int) -> None:
            idx, vals = encoded[k]
            lut = np.asarray([-1 if _is_nan(v) else rank[v] for v in vals] + [-1],
                             dtype=small)
            np.take(lut, idx, out=codes[offsets[k]:offsets[k + 1]])

        list(pool.map(place, range(len(chunks))))
    if any(pa.types.is_dictionary(c.type) for c in column.chunks) and values:
        # A dictionary may list values that no row uses.
        used = np.flatnonzero(np.bincount(codes[codes >= 0], minlength=len(values)))
        if len(used) < len(values):
            remap = np.full(len(values) + 1, -1, dtype=np.int64)
            remap[used] = np.arange(len(used))
            codes = remap[codes]
            values = [values[i] for i in used]
    return codes, values


def factorize(column: pd.Series | pa.ChunkedArray) -> tuple[np.ndarray, list[Any]]:
    """Integer codes (-1 for missing) and the sorted distinct values of a column."""
    if not isinstance(column, pd.Series):
        return _factorize_arrow(column)
    if isinstance(column.dtype, np.dtype):
        fast = _small_ints(column.to_numpy())
        if fast is not None:
            return fast
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    values = [_python(v) for v in uniques]
    codes = np.asarray(codes, dtype=np.int64)
    order = _sort_key_order(values)
    if order != list(range(len(values))):
        remap = np.empty(len(values) + 1, dtype=np.int64)
        remap[np.asarray(order, dtype=np.int64)] = np.arange(len(values))
        remap[-1] = -1
        codes = remap[codes]
        values = [values[i] for i in order]
    return codes, values


def _numeric(column: pd.Series | pa.ChunkedArray, name: str, what: str) -> np.ndarray:
    try:
        if isinstance(column, pd.Series):
            return pd.to_numeric(column, errors="raise").to_numpy(dtype=float, na_value=np.nan)
        return pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
    except (ValueError, TypeError, pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise AuditInputError(
            f"{what} column {name!r} must be numeric; "
            f"it could not be read as numbers ({str(exc).splitlines()[0]})"
        ) from None


def _default_positive(values: list[Any], columns: str) -> Any:
    as_set = set(values)
    if as_set <= {0, 1} or as_set <= {False, True}:
        return True if as_set <= {False, True} and any(isinstance(v, bool) for v in values) else 1
    numeric = all(isinstance(v, Number) and not isinstance(v, bool) for v in values)
    if len(values) == 2 and numeric:
        return max(values)
    shown = ", ".join(repr(v) for v in values[:6]) + (", ..." if len(values) > 6 else "")
    if len(values) != 2:
        raise AuditInputError(
            f"{columns} must hold two values, found {len(values)} ({shown}); "
            "pass positive_label (--positive-label VALUE) to treat one value as positive "
            "and the rest as negative"
        )
    raise AuditInputError(
        f"cannot tell which of {shown} in {columns} is the positive outcome; "
        "pass positive_label (--positive-label VALUE)"
    )


def _match_positive(positive_label: Any, values: list[Any]) -> Any:
    """Find the value equal to ``positive_label`` (a CLI string may name a number)."""
    for v in values:
        if v == positive_label or str(v) == str(positive_label):
            return v
    for v in values:
        try:
            if float(v) == float(positive_label):
                return v
        except (TypeError, ValueError):
            continue
    shown = ", ".join(repr(v) for v in values[:10])
    raise AuditInputError(
        f"positive_label {positive_label!r} does not occur in the label or prediction "
        f"(values: {shown}); pass one of those"
    )


def prepare(
    frame: Any,
    *,
    label: str,
    prediction: str,
    sensitive: list[str],
    score: str | None,
    positive_label: Any,
    drop_missing: bool,
    max_groups: int,
    favorable_prediction: Any = None,
) -> Prepared:
    columns = _columns(frame)
    wanted = [("label", label), ("prediction", prediction)]
    wanted += [("sensitive", s) for s in sensitive]
    if score is not None:
        wanted.append(("score", score))
    for role, name in wanted:
        if name not in columns:
            shown = ", ".join(columns[:30]) + (", ..." if len(columns) > 30 else "")
            raise AuditInputError(
                f"{role} column {name!r} not found; the columns are: {shown}"
            )
    if _length(frame) == 0:
        raise AuditInputError("the data have no rows; nothing to audit")

    y_codes, y_values = factorize(_get(frame, label))
    p_codes, p_values = factorize(_get(frame, prediction))
    score_values = None
    if score is not None:
        score_values = _numeric(_get(frame, score), score, "score")

    score_nan = score_values is not None and bool(np.isnan(score_values.min()))
    if y_codes.min() < 0 or p_codes.min() < 0 or score_nan:
        missing = (y_codes < 0) | (p_codes < 0)
        if score_values is not None:
            missing |= np.isnan(score_values)
        n_missing = int(missing.sum())
    else:
        n_missing = 0
    n_dropped = 0
    if n_missing:
        if not drop_missing:
            parts = [f"{int((y_codes < 0).sum())} in {label!r}",
                     f"{int((p_codes < 0).sum())} in {prediction!r}"]
            if score_values is not None:
                parts.append(f"{int(np.isnan(score_values).sum())} in {score!r}")
            raise AuditInputError(
                f"{n_missing} rows have a missing label, prediction or score "
                f"({', '.join(parts)}); fill them, or pass drop_missing=True "
                "(--drop-missing) to drop them and report the count"
            )
        keep = ~missing
        n_dropped = n_missing
        y_codes, p_codes = y_codes[keep], p_codes[keep]
        if score_values is not None:
            score_values = score_values[keep]
    else:
        keep = None
    if len(y_codes) == 0:
        raise AuditInputError("no rows are left after dropping missing values; nothing to audit")

    # One positive value for both columns: they share a coding.
    def used(codes: np.ndarray, vals: list[Any]) -> list[Any]:
        if not n_dropped:
            return vals  # factorize lists only values that occur
        return [vals[i] for i in np.flatnonzero(np.bincount(codes, minlength=len(vals)))]

    values = list(dict.fromkeys(used(y_codes, y_values) + used(p_codes, p_values)))
    if positive_label is None:
        if len(set(y_values)) > 2 or len(set(p_values)) > 2:
            bad, vals = (label, y_values) if len(set(y_values)) > 2 else (prediction, p_values)
            _default_positive(vals, f"column {bad!r}")
        positive = _default_positive(values, f"columns {label!r} and {prediction!r}")
    else:
        positive = _match_positive(positive_label, values)

    def is_positive(codes: np.ndarray, vals: list[Any]) -> np.ndarray:
        """0/1 (int8) per row: one comparison when one value is the positive one."""
        hits = [i for i, v in enumerate(vals) if v == positive]
        if len(hits) == 1:
            return (codes == hits[0]).view(np.int8)
        flags = np.asarray([v == positive for v in vals] + [False], dtype=np.int8)
        return flags[codes]

    y = is_positive(y_codes, y_values)
    y_hat = is_positive(p_codes, p_values)

    scale = None
    if score_values is not None:
        scale = scale_of(score_values, score)
    favorable = resolve_favorable(favorable_prediction, positive, values)

    attributes = []
    for name in sensitive:
        codes, groups = factorize(_get(frame, name))
        if keep is not None:
            codes = codes[keep]
        if len(groups) > max_groups:
            raise AuditInputError(
                f"sensitive column {name!r} has {len(groups)} distinct values, more than "
                f"{max_groups}: it looks like an identifier, not a group; pick a group column "
                "(or raise max_groups if you mean it)"
            )
        names = [str(g) for g in groups]
        if (codes < 0).any():
            codes = np.where(codes < 0, len(names), codes)
            names.append(MISSING_GROUP)
        attributes.append(Attribute(name, codes, names))
    return Prepared(
        y=y,
        y_hat=y_hat,
        score=score_values,
        attributes=attributes,
        n_rows=len(y),
        n_dropped=n_dropped,
        positive_label=_python(positive),
        favorable=favorable,
        score_scale=scale,
    )


def scale_of(score: np.ndarray, name: str) -> ScoreScale:
    """The binning of a score column; infinite scores are a one-line error."""
    lo, hi = float(np.min(score)), float(np.max(score))
    if not (np.isfinite(lo) and np.isfinite(hi)):
        n_inf = int(np.isinf(score).sum())
        raise AuditInputError(
            f"score column {name!r} has {n_inf} infinite values; scores must be finite "
            "numbers (replace them, or drop those rows)"
        )
    all_integer = four_decimals = False
    if 0.0 <= lo and hi <= 1.0:
        grid = score * 10_000
        four_decimals = bool(np.all(np.abs(grid - np.round(grid)) < 1e-6))
    else:
        all_integer = bool(np.all(score == np.floor(score)))
    return score_scale(lo, hi, all_integer, four_decimals)


def resolve_favorable(favorable_prediction: Any, positive: Any, values: list[Any]) -> int:
    """Which decision is favourable, coded 1 (the positive one) or 0 (the other).

    ``favorable_prediction`` may be 1 or 0 (True or False), the positive
    value itself, or another value the prediction takes (a CLI string may
    name a number).
    """
    if favorable_prediction is None:
        return 1
    f = favorable_prediction
    if isinstance(f, bool | np.bool_):
        return int(f)
    for v in values:
        if v == f or str(v) == str(f):
            return 1 if v == positive else 0
    if str(f).strip() in {"0", "1"}:
        return int(str(f).strip())
    shown = ", ".join(repr(v) for v in values[:10])
    raise AuditInputError(
        f"favorable_prediction {f!r} is neither 1, 0 nor a value of the prediction "
        f"(values: {shown}); pass 1 when the positive prediction is the favourable one "
        "(hired, approved), 0 when it is a burden (flagged, stopped)"
    )
