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
ROW_BLOCK = 1 << 20


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


def row_blocks(n_rows: int, n_keys: int = 0) -> list[slice]:
    """Slices of about a million rows, or one slice when the keys are many.

    Working block by block keeps every temporary array small (8 MB of int64):
    the allocator reuses it instead of mapping and zeroing fresh pages, and it
    stays in cache. A bincount over many keys costs per block, hence one
    block when there are more keys than a block has rows.
    """
    if n_keys > ROW_BLOCK or n_rows <= 2 * ROW_BLOCK:
        return [slice(0, n_rows)]
    return [slice(i, min(i + ROW_BLOCK, n_rows)) for i in range(0, n_rows, ROW_BLOCK)]


def reduce(prepared: Prepared, intersectional: bool) -> Counts:
    """One pass over the rows: joint group code, then a bincount."""
    attrs: list[Attribute] = prepared.attributes
    sizes = [len(a.groups) for a in attrs]
    n_joint = int(np.prod(sizes))
    cells = np.zeros(n_joint * 4, dtype=np.int64)
    for rows in row_blocks(prepared.n_rows, n_joint * 4):
        cell = joint_codes(prepared, rows)
        cell *= 4
        yy = prepared.y[rows] * np.int8(2)  # small (int8) until added to the int64 codes
        yy += prepared.y_hat[rows]
        cell += yy
        cells += np.bincount(cell, minlength=n_joint * 4)
    cells = cells.reshape(n_joint, 4)

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


def joint_codes(prepared: Prepared, rows: slice = slice(None)) -> np.ndarray:
    """The joint group of each row (of ``rows``), as int64."""
    attrs = prepared.attributes
    joint = np.array(attrs[0].codes[rows], dtype=np.int64)
    for a in attrs[1:]:
        joint *= len(a.groups)
        joint += a.codes[rows]
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
