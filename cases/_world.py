"""Machinery for a case's world: validated generators and named random streams.

A generator is written in scikit-learn's ``make_*`` style and decorated with
:func:`validated`, which checks ``n_samples``, ``random_state`` and every
world knob against its :class:`~cases.Knob` declaration (one message naming
the parameter), as scikit-learn's ``validate_params`` does, so the generator
never checks a knob by hand.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from ._contract import CaseError, Knob


def validated(knobs: Sequence[Knob]) -> Callable:
    """Decorate ``make_data(n_samples, random_state, **world_knobs)`` with the knobs' checks.

    Examples
    --------
    >>> @validated([Knob("bias", 1.0, "A bias.", low=0.0, high=2.0)])
    ... def make(n_samples=10, random_state=0, *, bias=1.0):
    ...     return n_samples * bias
    >>> make(5, bias="0.5")
    2.5
    >>> make(5, bias=3)
    Traceback (most recent call last):
    ...
    cases._contract.CaseError: knob 'bias' must be 0 to 2, got 3
    """
    world = {k.name: k for k in knobs if k.acts_on == "world"}

    def decorate(fn: Callable) -> Callable:
        sig = inspect.signature(fn)
        params = set(sig.parameters) - {"n_samples", "random_state"}
        missing = set(world) - params
        if missing:
            raise CaseError(f"{fn.__name__} does not take the world knobs {sorted(missing)}")

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            try:
                bound = sig.bind(*args, **kwargs)
            except TypeError as exc:
                raise CaseError(f"{fn.__name__}: {exc}") from None
            bound.apply_defaults()
            a = bound.arguments
            n, seed = a["n_samples"], a["random_state"]
            if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
                raise CaseError(f"n_samples must be a whole number >= 1, got {n!r}")
            if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
                raise CaseError(f"random_state must be a whole number >= 0, got {seed!r}")
            for name in params & set(world):
                a[name] = world[name].parse(a[name])
            return fn(*bound.args, **bound.kwargs)

        wrapper.world_knobs = tuple(world)
        return wrapper

    return decorate


def streams(random_state: int, *names: str) -> dict[str, np.random.Generator]:
    """One independent random stream per mechanism of a world, spawned from the seed.

    A knob then changes only what its mechanism draws: every point of a sweep
    sees the same people with the same luck elsewhere (common random numbers).

    Examples
    --------
    >>> rng = streams(0, "people", "posts")
    >>> sorted(rng)
    ['people', 'posts']
    """
    seqs = np.random.SeedSequence(random_state).spawn(len(names))
    return {name: np.random.default_rng(s) for name, s in zip(names, seqs, strict=True)}


def categorical(codes: np.ndarray, names: Sequence[str]) -> pd.Categorical:
    """Category codes with their names: the same values as strings, without a string per row."""
    return pd.Categorical.from_codes(np.asarray(codes), categories=list(names))
