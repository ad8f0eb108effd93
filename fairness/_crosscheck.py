"""Recompute the audit's numbers with fairlearn and aif360 and record the agreement.

Three independent implementations should give one number. This module takes
the rows the audit was computed from (``prepared.y``, ``prepared.y_hat`` and
the group of each row in every audited view), runs them through fairlearn's
``MetricFrame``, through aif360's ``ClassificationMetric``, and, for scores,
through scikit-learn's ``roc_auc_score`` and ``brier_score_loss``, and
compares each value with ours.

Where a library defines a quantity differently from us (it returns 0 where we
say "undefined", or it counts an undefined rate as 0 when it takes max - min
over groups) the row says so in its ``note`` and compares the library's value
with ours recomputed under the library's convention; such a row is a
difference of convention, not a disagreement.

Three deliberate shortcuts keep this fast enough to run by default (about a
second on 200,000 rows with two attributes and their intersection; most of it
is fairlearn's fixed cost per metric and group):

- fairlearn 0.15's ``MetricFrame`` copies every row into a Python list and
  re-stacks it for every metric and group (about 10 s per attribute on
  200,000 rows). Above ``FAIRLEARN_MAX_RAW_ROWS`` rows it is therefore given
  each distinct (group, y, ŷ) row once with its multiplicity as
  ``sample_weight``, which every metric used here supports and which gives
  the same sums; the weights are counted straight from the rows, not taken
  from the engine's reduction. The result records which input was used.
- fairlearn's ``demographic_parity_difference``, ``equalized_odds_ratio`` and
  the rest each build a ``MetricFrame`` and return its
  ``.difference(method="between_groups")`` or ``.ratio(...)`` (equalized odds:
  Python's ``max``/``min`` over the TPR and FPR parts). We call those methods
  on the one frame per attribute instead of building six more; the tests
  check that the public functions give the same numbers.
- aif360's per-metric accessors (``true_positive_rate`` and the like) each
  recompute ``performance_measures``; we call ``performance_measures`` once
  per group and read the same values from it.
"""

from __future__ import annotations

import contextlib
import functools
import math
from importlib.metadata import version
from typing import Any

import numpy as np

from ._counts import Counts, group_cells, joint_codes
from ._estimate import TOLERANCE
from ._metrics import BETWEEN_GROUPS, METRIC_NAMES
from ._prepare import Prepared
from ._quiet import quiet

AUC_TOLERANCE = 1e-3  # our AUC is read off a histogram of the scores (exact on a grid)
FAIRLEARN_MAX_RAW_ROWS = 1_000

# Our name -> fairlearn's metric (built lazily: importing fairlearn is slow).
FAIRLEARN_NAMES = {
    "selection_rate": "selection_rate",
    "tpr": "true_positive_rate",
    "fpr": "false_positive_rate",
    "tnr": "true_negative_rate",
    "fnr": "false_negative_rate",
    "ppv": "sklearn.metrics.precision_score(zero_division=nan)",
    "accuracy": "sklearn.metrics.accuracy_score",
    "balanced_accuracy": "sklearn.metrics.balanced_accuracy_score",
    "f1": "sklearn.metrics.f1_score(zero_division=nan)",
}
# Our name -> aif360's ClassificationMetric method (and its key in performance_measures).
AIF360_NAMES = {
    "selection_rate": ("selection_rate", None),
    "base_rate": ("base_rate", None),
    "tpr": ("true_positive_rate", "TPR"),
    "fpr": ("false_positive_rate", "FPR"),
    "tnr": ("true_negative_rate", "TNR"),
    "fnr": ("false_negative_rate", "FNR"),
    "ppv": ("positive_predictive_value", "PPV"),
    "npv": ("negative_predictive_value", "NPV"),
    "fdr": ("false_discovery_rate", "FDR"),
    "false_omission_rate": ("false_omission_rate", "FOR"),
    "accuracy": ("accuracy", "ACC"),
}
# Where a library returns 0 for a metric that we call undefined.
_ZERO_WHEN_UNDEFINED = {
    "fairlearn": {"tpr", "fpr", "tnr", "fnr"},
    "aif360": {"ppv", "npv", "fdr", "false_omission_rate", "accuracy"},
}
_VS_REFERENCE = ("statistical_parity_difference", "disparate_impact",
                 "equal_opportunity_difference", "average_odds_difference")

CONVENTIONS = {
    "reference": (
        "our reference group plays aif360's privileged group: aif360's differences are "
        "group - reference (unprivileged - privileged) and disparate_impact is "
        "group / reference"
    ),
    "between_groups": (
        "fairlearn's *_difference is max - min over the groups and *_ratio is min / max "
        "(method='between_groups'); equalized odds takes the worse of the TPR and FPR parts"
    ),
    "undefined": (
        "we report None with a reason; fairlearn's true/false positive/negative rates return "
        "0 when their denominator is 0, and count that 0 in max - min; aif360's PPV, NPV, "
        "FDR and FOR return 0, its TPR, FPR, TNR and FNR return NaN; scikit-learn's "
        "balanced accuracy averages over the classes present"
    ),
    "entropy": "theil_index is aif360's generalized_entropy_index(alpha=1); "
               "generalized_entropy_index uses alpha=2, of the benefit b = y_hat - y + 1 "
               "with the favourable decision and outcome counted as 1",
    "favourable": (
        "per-group rates count the positive prediction (1) as scikit-learn and fairlearn do; "
        "impact ratios, aif360's measures against the reference and the entropy indices count "
        "the favourable decision (favorable_prediction), as aif360's favorable_label does"
    ),
    "names": {
        m: {"fairlearn": FAIRLEARN_NAMES.get(m), "aif360": AIF360_NAMES.get(m, (None,))[0]}
        for m in METRIC_NAMES
    },
}


@functools.cache
def _libraries() -> dict:
    with quiet():
        import sklearn
        import sklearn.metrics as skm
        from aif360.datasets import BinaryLabelDataset
        from aif360.metrics import ClassificationMetric
        from fairlearn import metrics as flm
    return {
        "skm": skm,
        "sklearn": sklearn,
        "flm": flm,
        "BinaryLabelDataset": BinaryLabelDataset,
        "ClassificationMetric": ClassificationMetric,
        "fairlearn_metrics": {
            "selection_rate": flm.selection_rate,
            "tpr": flm.true_positive_rate,
            "fpr": flm.false_positive_rate,
            "tnr": flm.true_negative_rate,
            "fnr": flm.false_negative_rate,
            "ppv": functools.partial(skm.precision_score, zero_division=np.nan),
            "accuracy": skm.accuracy_score,
            "balanced_accuracy": skm.balanced_accuracy_score,
            "f1": functools.partial(skm.f1_score, zero_division=np.nan),
        },
    }


def _num(x: Any) -> float | None:
    """A finite float, or None for NaN, infinity or a missing value."""
    if x is None:
        return None
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _raw(x: Any) -> float:
    """A float that keeps NaN and infinity (to tell 0 from undefined)."""
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


# ---------------------------------------------------------------------------
# fairlearn


def _fairlearn_view(codes: np.ndarray, y: np.ndarray, y_hat: np.ndarray, raw: bool) -> dict:
    """fairlearn's by-group metrics, overall metrics and between-groups measures."""
    lib = _libraries()
    flm = lib["flm"]
    if raw:
        yt, yp, sf, weight = y, y_hat, codes, None
    else:
        key = (codes * 2 + y) * 2 + y_hat
        cnt = np.bincount(key)
        distinct = np.flatnonzero(cnt)
        sf, yt, yp = distinct // 4, (distinct // 2) % 2, distinct % 2
        weight = cnt[distinct].astype(float)
    if len(yt) == 1:
        # MetricFrame squeezes a one-row input to a scalar and fails; the same row
        # twice at half weight has the same metrics.
        w = np.ones(1) if weight is None else weight
        yt, yp, sf, weight = (np.repeat(a, 2) for a in (yt, yp, sf, w / 2))
    fns = lib["fairlearn_metrics"]
    params = {m: {"sample_weight": weight} for m in fns} if weight is not None else None
    # Parameter validation costs more than the metric on small groups; the
    # inputs are known to be clean 0/1 integer arrays.
    with lib["sklearn"].config_context(skip_parameter_validation=True, assume_finite=True):
        frame = flm.MetricFrame(metrics=fns, y_true=yt, y_pred=yp, sensitive_features=sf,
                                sample_params=params)
    by_group = {int(code): {m: _raw(frame.by_group.loc[code, m]) for m in fns}
                for code in frame.by_group.index}
    overall = {m: _raw(frame.overall[m]) for m in fns}
    # The between-groups measures, as fairlearn's demographic_parity_difference & co.
    # compute them (MetricFrame(...).difference / .ratio(method="between_groups");
    # equalized odds takes Python's max / min of the TPR and FPR parts), read off
    # this frame instead of six more MetricFrames.
    diff = frame.difference(method="between_groups")
    ratio = frame.ratio(method="between_groups")
    between = {
        "demographic_parity_difference": diff["selection_rate"],
        "demographic_parity_ratio": ratio["selection_rate"],
        "equalized_odds_difference": max(diff[["tpr", "fpr"]]),
        "equalized_odds_ratio": min(ratio[["tpr", "fpr"]]),
        "equal_opportunity_difference": diff["tpr"],
        "equal_opportunity_ratio": ratio["tpr"],
    }
    return {"by_group": by_group, "overall": overall,
            "between": {k: _raw(v) for k, v in between.items()}}


def _fairlearn_convention(key: str, values: dict[str, list[float | None]]) -> float:
    """Our between-groups measure recomputed the way fairlearn does it.

    fairlearn's rates are 0 (not undefined) when their denominator is 0 and
    take part in max - min; its ratio is min / max (NaN when max is 0); its
    equalized odds combine the two parts with Python's ``max``/``min``.
    """
    parts = []
    for m in BETWEEN_GROUPS[key][0]:
        v = np.array([0.0 if x is None else x for x in values[m]], dtype=float)
        hi, lo = float(np.max(v)), float(np.min(v))
        if key.endswith("difference"):
            parts.append(hi - lo)
        else:
            parts.append(lo / hi if hi > 0 else math.nan)
    if len(parts) == 1:
        return parts[0]
    return max(parts) if key.endswith("difference") else min(parts)


# ---------------------------------------------------------------------------
# aif360


def _forget_memoized(objects: list) -> None:
    """Drop the entries of ``objects`` from aif360's ``memoize`` caches."""
    if not objects:
        return
    mine = {id(o) for o in objects}
    seen = set()
    for cls in type(objects[0]).__mro__:
        for fn in vars(cls).values():
            code = getattr(fn, "__code__", None)
            if code is None or "cache" not in code.co_freevars or id(fn) in seen:
                continue
            seen.add(id(fn))
            cache = fn.__closure__[code.co_freevars.index("cache")].cell_contents
            if isinstance(cache, dict):
                for key in [k for k in cache if isinstance(k, tuple) and k and id(k[0]) in mine]:
                    del cache[key]


class _Aif360:
    """One pair of aif360 datasets (true labels, predictions) for every view.

    Use as a context manager: aif360 memoizes every metric call in a
    module-level cache keyed on the metric object, which would keep the
    datasets (tens of MB on 200,000 rows) alive for the life of the process;
    leaving the block drops our entries from those caches.
    """

    def __init__(self, y: np.ndarray, y_hat: np.ndarray, view_codes: list[np.ndarray],
                 favorable: int = 1):
        import pandas as pd

        lib = _libraries()
        self.names = [f"view_{k}" for k in range(len(view_codes))]
        columns = {name: codes for name, codes in zip(self.names, view_codes, strict=True)}
        columns["label"] = y.astype(np.float64)
        frame = pd.DataFrame(columns)
        self.truth = lib["BinaryLabelDataset"](
            df=frame, label_names=["label"], protected_attribute_names=self.names,
            favorable_label=float(favorable), unfavorable_label=float(1 - favorable),
        )
        # ClassificationMetric checks that the two datasets differ only in their
        # labels; the row names are one shared list, and comparing it element by
        # element in Python would cost 0.3 s per metric object on 200,000 rows.
        self.truth.ignore_fields |= {"instance_names"}
        self.pred = self.truth.copy()
        self.pred.labels = y_hat.astype(np.float64).reshape(-1, 1)
        self._made: list = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _forget_memoized(self._made)
        self._made.clear()

    def metric(self, view: int, group: int | None, reference: int):
        """aif360's metric object with ``group`` unprivileged and ``reference`` privileged."""
        name = self.names[view]
        cm = _libraries()["ClassificationMetric"](
            self.truth, self.pred,
            unprivileged_groups=None if group is None else [{name: group}],
            privileged_groups=[{name: reference}],
        )
        self._made.append(cm)
        return cm

    @staticmethod
    def group_values(cm, privileged: bool | None) -> dict[str, float]:
        pm = cm.performance_measures(privileged=privileged)
        out = {"selection_rate": _raw(cm.selection_rate(privileged=privileged)),
               "base_rate": _raw(cm.base_rate(privileged=privileged))}
        for m, (_, key) in AIF360_NAMES.items():
            if key is not None:
                out[m] = _raw(pm[key])
        return out

    @staticmethod
    def vs_reference(cm) -> dict[str, float]:
        return {
            "statistical_parity_difference": _raw(cm.statistical_parity_difference()),
            "disparate_impact": _raw(cm.disparate_impact()),
            "equal_opportunity_difference": _raw(cm.equal_opportunity_difference()),
            "average_odds_difference": _raw(cm.average_odds_difference()),
        }


# ---------------------------------------------------------------------------
# Comparing


class _Rows:
    def __init__(self):
        self.rows: list[dict] = []
        self.n_compared = 0
        self.max_abs_diff = 0.0

    def add(
        self,
        quantity: str,
        attribute: str | None,
        group: str | None,
        ours: Any,
        libs: dict[str, float],
        conventions: dict[str, tuple[float, str]] | None = None,
        tolerance: float = TOLERANCE,
    ) -> None:
        """Compare ``ours`` with each library's value.

        ``conventions[lib] = (value, note)``: what ours becomes under that
        library's convention, and the note to record if only that matches.
        """
        ours_v = _num(ours)
        diffs, notes, agree = [], [], True
        for lib, value in libs.items():
            theirs = _num(value)
            if ours_v is not None and theirs is not None:
                d = abs(ours_v - theirs)
                if d <= tolerance:
                    diffs.append(d)
                    self.n_compared += 1
                    if tolerance == TOLERANCE:
                        self.max_abs_diff = max(self.max_abs_diff, d)
                    continue
            elif ours_v is None and theirs is None:
                continue  # undefined in both
            alt = (conventions or {}).get(lib)
            if alt is not None:
                alt_v = _num(alt[0])
                same = (alt_v is None and theirs is None) or (
                    alt_v is not None and theirs is not None and abs(alt_v - theirs) <= tolerance)
                if same:
                    notes.append(alt[1])
                    continue
            agree = False
            if ours_v is not None and theirs is not None:
                d = abs(ours_v - theirs)
                diffs.append(d)
                self.n_compared += 1
                if tolerance == TOLERANCE:
                    self.max_abs_diff = max(self.max_abs_diff, d)
            shown = "undefined" if theirs is None else f"{theirs!r}"
            mine = "undefined" if ours_v is None else f"{ours_v!r}"
            notes.append(f"{lib} gives {shown}, we give {mine}")
        row = {
            "quantity": quantity,
            "attribute": attribute,
            "group": group,
            "ours": ours_v,
            "fairlearn": _num(libs["fairlearn"]) if "fairlearn" in libs else None,
            "aif360": _num(libs["aif360"]) if "aif360" in libs else None,
            "max_abs_diff": max(diffs) if diffs else None,
            "agree": agree,
            "note": "; ".join(dict.fromkeys(notes)),
        }
        if "scikit-learn" in libs:
            row["scikit-learn"] = _num(libs["scikit-learn"])
        if tolerance != TOLERANCE:
            row["tolerance"] = tolerance
        self.rows.append(row)


def _undefined_conventions(metric: str, ours: Any, lib: str, group_metrics: dict) -> tuple | None:
    """Ours under ``lib``'s convention for an undefined per-group metric."""
    if _num(ours) is not None:
        return None
    if metric in _ZERO_WHEN_UNDEFINED[lib]:
        return 0.0, f"{lib} returns 0 where undefined"
    if lib == "fairlearn" and metric == "balanced_accuracy":
        tpr, tnr = (_num(group_metrics[m]["value"]) for m in ("tpr", "tnr"))
        present = tpr if tpr is not None else tnr
        if present is not None:
            return present, "scikit-learn averages recall over the classes present"
    return None


def _compare_group(rows: _Rows, attribute, group, metrics: dict, fl: dict | None,
                   aif: dict | None) -> None:
    for m in METRIC_NAMES:
        libs, conv = {}, {}
        if fl is not None and m in fl:
            libs["fairlearn"] = fl[m]
            c = _undefined_conventions(m, metrics[m]["value"], "fairlearn", metrics)
            if c:
                conv["fairlearn"] = c
        if aif is not None and m in aif:
            libs["aif360"] = aif[m]
            c = _undefined_conventions(m, metrics[m]["value"], "aif360", metrics)
            if c:
                conv["aif360"] = c
        if libs:
            rows.add(m, attribute, group, metrics[m]["value"], libs, conv)


def _positions(counts: Counts, view, groups_of_view: list[dict]) -> np.ndarray:
    """The index into ``view.groups`` of each group entry (the audit keeps non-empty ones)."""
    keep = np.flatnonzero(group_cells(counts.cells, view).sum(axis=1) > 0)
    if len(keep) != len(groups_of_view):
        raise RuntimeError(f"cross-check: the groups of {view.name!r} do not match the counts")
    return keep


def cross_check(prepared: Prepared, counts: Counts, groups: list[dict], summary: dict) -> dict:
    """Recompute the shared quantities with fairlearn and aif360 and compare.

    Parameters
    ----------
    prepared : Prepared
        The audit's rows: ``y``, ``y_hat``, ``score`` and the attributes' codes.
    counts : Counts
        Used only for the views (which groups each joint group belongs to).
    groups, summary : list, dict
        The audit's per-group entries and summary, whose values are checked.

    Returns
    -------
    dict
        JSON-safe: ``libraries``, ``n_compared``, ``max_abs_diff``,
        ``tolerance``, ``all_agree``, ``rows`` and ``conventions``.
    """
    lib = _libraries()
    y = np.asarray(prepared.y, dtype=np.int64)
    y_hat = np.asarray(prepared.y_hat, dtype=np.int64)
    raw = prepared.n_rows <= FAIRLEARN_MAX_RAW_ROWS

    joint = joint_codes(prepared)
    lut = np.full(int(np.prod([len(a.groups) for a in prepared.attributes])), -1, dtype=np.int64)
    view_codes = []
    for view in counts.views:
        lut[counts.present] = view.members.argmax(axis=1)
        view_codes.append(lut[joint])

    rows = _Rows()
    libraries = [f"fairlearn {version('fairlearn')}", f"aif360 {version('aif360')}"]
    if prepared.score is not None:
        libraries.append(f"scikit-learn {lib['sklearn'].__version__}")
    favorable = prepared.favorable
    with quiet(), contextlib.ExitStack() as stack:
        # Per-group rates are counted with 1 as positive, as scikit-learn and fairlearn
        # do; aif360's measures against the reference and its entropy indices count
        # the favourable decision, so they get a pair of datasets of their own when
        # the favourable decision is 0.
        aif = stack.enter_context(_Aif360(y, y_hat, view_codes))
        fav_aif = aif if favorable == 1 else stack.enter_context(
            _Aif360(y, y_hat, view_codes, favorable))
        per_view = []
        for k, view in enumerate(counts.views):
            entries = [g for g in groups if g["attribute"] == view.name]
            pos = _positions(counts, view, entries)
            ref_i = next(i for i, g in enumerate(entries) if g["is_reference"])
            ref = int(pos[ref_i])
            # One ClassificationMetric per (group, reference) pair; a view with one
            # group pairs the reference with itself.
            cms = {i: aif.metric(k, int(pos[i]), ref) for i in range(len(entries)) if i != ref_i}
            if not cms:
                cms[ref_i] = aif.metric(k, None, ref)
            fav_cms = cms if fav_aif is aif else {
                i: fav_aif.metric(k, int(pos[i]), ref) for i in cms if i != ref_i}
            fl = _fairlearn_view(view_codes[k], y, y_hat, raw)
            per_view.append((view, entries, pos, ref_i, cms, fav_cms, fl))
        first_reference = int(per_view[0][2][per_view[0][3]])

        # The whole population.
        overall = summary["overall"]
        _, _, _, _, cms0, _, fl0 = per_view[0]
        cm_any = next(iter(cms0.values()))
        cm_fav = cm_any if fav_aif is aif else fav_aif.metric(0, None, first_reference)
        _compare_group(rows, None, None, overall["metrics"], fl0["overall"],
                       _Aif360.group_values(cm_any, None))
        rows.add("theil_index", None, None, overall["theil_index"]["value"],
                 {"aif360": _raw(cm_fav.theil_index())})
        rows.add("generalized_entropy_index", None, None,
                 overall["generalized_entropy_index"]["value"],
                 {"aif360": _raw(cm_fav.generalized_entropy_index(alpha=2))})

        for k, (view, entries, pos, ref_i, cms, fav_cms, fl) in enumerate(per_view):
            # Per group: fairlearn's by_group; aif360 with the group as unprivileged
            # (the reference is the privileged side of any pair).
            for i, g in enumerate(entries):
                if i != ref_i:
                    aif_g = _Aif360.group_values(cms[i], False)
                else:
                    aif_g = _Aif360.group_values(next(iter(cms.values())), True)
                _compare_group(rows, view.name, g["group"], g["metrics"],
                               fl["by_group"].get(int(pos[i])), aif_g)
            if prepared.score is not None:
                _compare_scores(rows, view.name, entries, pos, view_codes[k], y,
                                prepared.score, prepared.score_scale.probabilities)

            # fairlearn's between-groups measures.
            s = summary["by_attribute"][view.name]
            values = {m: [g["metrics"][m]["value"] for g in entries]
                      for m in ("selection_rate", "tpr", "fpr")}
            for key in BETWEEN_GROUPS:
                alt = _fairlearn_convention(key, values)
                rows.add(key, view.name, None, s[key]["value"], {"fairlearn": fl["between"][key]},
                         {"fairlearn": (alt, "fairlearn counts an undefined rate as 0 and "
                                             "combines undefined parts differently")})

            # aif360's measures of each group against the reference (privileged), in
            # terms of the favourable decision.
            others = [i for i in range(len(entries)) if i != ref_i]
            for i, vs in zip(others, s["vs_reference"], strict=True):
                theirs = _Aif360.vs_reference(fav_cms[i])
                for key in _VS_REFERENCE:
                    rows.add(f"vs_reference.{key}", view.name, entries[i]["group"],
                             vs[key]["value"], {"aif360": theirs[key]})

    all_agree = all(r["agree"] for r in rows.rows)
    return {
        "libraries": libraries,
        "fairlearn_input": "rows" if raw else
        "distinct (group, y, y_hat) rows weighted by their count (sample_weight)",
        "n_compared": rows.n_compared,
        "max_abs_diff": rows.max_abs_diff,
        "tolerance": TOLERANCE,
        "all_agree": all_agree,
        "rows": rows.rows,
        "conventions": CONVENTIONS,
    }


def _compare_scores(rows: _Rows, attribute: str, entries: list[dict], pos: np.ndarray,
                    codes: np.ndarray, y: np.ndarray, score: np.ndarray,
                    probabilities: bool) -> None:
    """AUC (any scale) and, for probabilities, the Brier score of each group against
    scikit-learn."""
    lib = _libraries()
    skm = lib["skm"]
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(codes.max() + 2))
    for i, g in enumerate(entries):
        sm = g.get("score_metrics")
        if sm is None:
            continue
        idx = order[bounds[pos[i]]:bounds[pos[i] + 1]]
        yg, sg = y[idx], score[idx]
        both = 0 < int(yg.sum()) < len(yg)
        with lib["sklearn"].config_context(skip_parameter_validation=True):
            auc = skm.roc_auc_score(yg, sg) if both else math.nan
            brier = (skm.brier_score_loss(yg, sg, pos_label=1) if len(yg) and probabilities
                     else math.nan)
        rows.add("auc", attribute, g["group"], sm["auc"]["value"], {"scikit-learn": auc},
                 tolerance=AUC_TOLERANCE)
        if probabilities:
            rows.add("brier", attribute, g["group"], sm["brier"]["value"],
                     {"scikit-learn": brier})
