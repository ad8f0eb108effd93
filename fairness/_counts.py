"""Reduce rows to counts, and draw bootstrap replicates of the counts.

The whole audit rests on one array: ``cells[j, c]``, the number of rows of
joint group ``j`` (one group of every sensitive attribute at once) in cell
``c = 2 * y + y_hat`` (TN, FP, FN, TP). Every group metric, disparity and
summary is a function of it, and so is every bootstrap replicate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._prepare import Attribute, Prepared

JOINT_SEPARATOR = " × "


@dataclass
class View:
    """One attribute as audited: its groups and how joint groups map onto them."""

    name: str
    groups: list[str]
    members: np.ndarray  # (n_joint, n_groups) 0/1 indicator


@dataclass
class Counts:
    cells: np.ndarray  # (n_present_joint, 4) int64
    views: list[View]
    present: np.ndarray  # joint codes of the rows of ``cells``

    @property
    def n(self) -> int:
        return int(self.cells.sum())


def reduce(prepared: Prepared, intersectional: bool) -> Counts:
    """One pass over the rows: joint group code, then a bincount."""
    attrs: list[Attribute] = prepared.attributes
    sizes = [len(a.groups) for a in attrs]
    n_joint = int(np.prod(sizes))
    cell = joint_codes(prepared)
    cell *= 4
    yy = prepared.y * np.int8(2)  # small (int8) until added to the int64 codes
    yy += prepared.y_hat
    cell += yy
    del yy
    cells = np.bincount(cell, minlength=n_joint * 4).reshape(n_joint, 4)
    del cell

    # Keep only joint groups that occur: the bootstrap then draws over a few
    # hundred cells at most, whatever the product of the attributes' sizes.
    present = np.flatnonzero(cells.sum(axis=1) > 0)
    cells = cells[present]
    digits = np.array(np.unravel_index(present, sizes)).T  # (n_present, n_attrs)
    rows = np.arange(len(present))
    views = []
    for k, a in enumerate(attrs):
        members = np.zeros((len(present), sizes[k]), dtype=np.int64)
        members[rows, digits[:, k]] = 1
        views.append(View(a.name, a.groups, members))
    if intersectional and len(attrs) > 1:
        names = [
            JOINT_SEPARATOR.join(attrs[k].groups[digits[j, k]] for k in range(len(attrs)))
            for j in rows
        ]
        views.append(View(JOINT_SEPARATOR.join(a.name for a in attrs), names,
                          np.eye(len(present), dtype=np.int64)))
    return Counts(cells=cells, views=views, present=present)


def joint_codes(prepared: Prepared) -> np.ndarray:
    """The joint group of each row (used by the cross-check and score paths)."""
    attrs = prepared.attributes
    joint = np.array(attrs[0].codes, dtype=np.int64)
    for a in attrs[1:]:
        joint *= len(a.groups)
        joint += a.codes
    return joint


def bootstrap_cells(cells: np.ndarray, n_replicates: int, rng: np.random.Generator) -> np.ndarray:
    """Replicates of ``cells`` as if the rows were resampled with replacement.

    Resampling n rows with replacement gives cell counts distributed
    Multinomial(n, observed cell frequencies); drawing those directly costs
    one small draw per replicate instead of a pass over the rows.
    Returns an array of shape ``(n_replicates, *cells.shape)``.
    """
    flat = cells.reshape(-1).astype(float)
    n = int(flat.sum())
    draws = rng.multinomial(n, flat / n, size=n_replicates)
    return draws.reshape((n_replicates, *cells.shape))


def group_cells(cells: np.ndarray, view: View) -> np.ndarray:
    """Sum joint cells into the groups of one view; works on replicates too."""
    return np.einsum("...jc,jg->...gc", cells, view.members)
