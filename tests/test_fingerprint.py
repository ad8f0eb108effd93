"""The data fingerprint survives another CPU (one ulp everywhere) and catches a real change.

A float's last bit depends on the CPU's vector unit (``np.exp``, matrix products),
so the fingerprint summarises float columns and ``verify`` compares them with its
tolerance; integer, boolean and text columns are hashed exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes

from cases import data_fingerprint, get_case
from cases._runner import plain
from reports.verify import compare


def _worlds():
    hiring = get_case("hiring").make_data(20_000, random_state=0)
    # Data we did not generate: scikit-learn's diabetes set, its floats as shipped.
    diabetes = load_diabetes(as_frame=True).frame
    return {"hiring": hiring, "diabetes": diabetes}


@pytest.fixture(scope="module", params=["hiring", "diabetes"])
def world(request):
    return _worlds()[request.param]


def _nudged(frame: pd.DataFrame, direction: float) -> pd.DataFrame:
    out = frame.copy()
    for name in out.columns:
        if pd.api.types.is_float_dtype(out[name]):
            out[name] = np.nextafter(out[name].to_numpy(), direction)
    return out


def test_one_ulp_everywhere_still_compares_equal(world):
    fp = data_fingerprint(world)
    for direction in (np.inf, -np.inf):
        other = data_fingerprint(_nudged(world, direction))
        assert compare(fp, other).mismatches == []


def test_a_change_of_one_millionth_in_one_value_is_caught(world):
    fp = data_fingerprint(world)
    column = next(c for c in world.columns if pd.api.types.is_float_dtype(world[c]))
    changed = world.copy()
    changed.loc[changed.index[len(changed) // 2], column] += 1e-6
    mismatches = compare(fp, data_fingerprint(changed)).mismatches
    assert mismatches and all(f".{column}." in m.path for m in mismatches)


def test_a_swap_of_two_floats_is_caught(world):
    column = next(c for c in world.columns if pd.api.types.is_float_dtype(world[c]))
    swapped = world.copy()
    i, j = swapped.index[3], swapped.index[7]
    swapped.loc[[i, j], column] = swapped.loc[[j, i], column].to_numpy()
    assert compare(data_fingerprint(world), data_fingerprint(swapped)).mismatches


def test_integer_and_text_columns_are_hashed_exactly():
    df = pd.DataFrame({"n": [1, 2, 3], "s": ["a", "b", "c"]})
    fp = data_fingerprint(df)
    assert fp["columns"]["n"]["kind"] == "exact" and fp["columns"]["s"]["kind"] == "exact"
    assert compare(fp, data_fingerprint(df.assign(n=[1, 2, 4]))).mismatches
    assert compare(fp, data_fingerprint(df.assign(s=["a", "b", "C"]))).mismatches


def test_nan_never_reaches_a_record():
    assert plain({"a": np.float64("nan"), "b": [np.float32(np.inf), 1.5],
                  "c": np.int64(3)}) == {"a": None, "b": [None, 1.5], "c": 3}
