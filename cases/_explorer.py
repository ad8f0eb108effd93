"""What the threshold explorer of a case page needs: score histograms per group.

The explorer lets a reader move the decision threshold, for everyone or per
group, and see every group's rates change. It recomputes nothing the record
does not hold: the audited rows' scores are counted per (group, outcome, bin),
against the label and against the truth. The bins' edges include the model's
own threshold exactly, and a row is decided positive when its score is at
least the threshold, so at that threshold the histograms give back the
record's own counts (the runner checks it; a case whose decisions are not a
threshold of its score gets no explorer).
"""

from __future__ import annotations

import numpy as np

BINS = 200


def explorer_data(run) -> dict | None:
    """The explorer's data for a run, or ``None`` when its decisions are not a threshold
    of a score."""
    case, test = run.case, run.test
    if "score" not in test:
        return None
    knob = case.threshold_knob
    threshold = float(run.spec.knobs[knob.name]) if knob else 0.5
    low, high = (float(knob.low), float(knob.high)) if knob else (0.0, 1.0)
    score = test["score"].to_numpy(dtype=float)
    decided = (score >= threshold).astype(int)
    if not np.array_equal(decided, test["prediction"].to_numpy().astype(int)):
        return None
    edges = np.linspace(low, high, BINS + 1)
    nearest = int(np.argmin(np.abs(edges - threshold)))
    if abs(edges[nearest] - threshold) < (high - low) / BINS / 2:
        edges[nearest] = threshold  # the model's threshold is an edge, exactly
    else:
        edges = np.sort(np.append(edges, threshold))
    # Bin i holds the scores in [edges[i-1], edges[i]): at the threshold edges[k], the
    # rows decided positive are those of the bins k+1 and above.
    bins = np.searchsorted(edges, score, side="right")
    n_bins = len(edges) + 1
    attributes = {}
    for attr in case.sensitive:
        audit = run.audit()
        groups = [g["group"] for g in audit.groups_of(attr)]
        codes = test[attr].astype(str).to_numpy()
        counts = {}
        for role, column in case.labels.items():
            if role not in ("label", "truth"):
                continue
            y = test[column].to_numpy().astype(int)
            counts[role] = {
                g: {"pos": np.bincount(bins[(codes == g) & (y == 1)], minlength=n_bins).tolist(),
                    "neg": np.bincount(bins[(codes == g) & (y == 0)], minlength=n_bins).tolist()}
                for g in groups}
        attributes[attr] = {"groups": groups, "reference": audit.reference(attr),
                            "counts": counts}
    settings = run.audit().to_dict()["settings"]
    return {
        "threshold": threshold, "threshold_index": int(np.searchsorted(edges, threshold)),
        "edges": edges.tolist(), "rows": int(len(test)),
        "attributes": attributes, "headline_attribute": case.headline.attribute,
        "favorable_prediction": case.favorable_prediction,
        "four_fifths": settings["four_fifths"], "min_group_size": settings["min_group_size"],
        "min_group_share": settings["min_group_share"],
    }
