"""Reduce rows to counts: the one array every metric and interval comes from.

The whole audit rests on ``cells[j, c]``, the number of rows of joint group
``j`` (one group of every sensitive attribute at once) in cell
``c = 2 * y + y_hat`` (TN, FP, FN, TP). Every group metric, disparity and
summary is a function of it, and so is every bootstrap replicate. Any engine
that can GROUP BY can make it; :func:`reduce` makes it from in-memory rows and
:func:`counts_from_keys` from a table of (joint group, cell, count) rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._prepare import Prepared

JOINT_SEPARATOR = " × "
ROW_BLOCK = 1 << 20


@dataclass
class View:
    """One attribute as audited: its groups and how joint groups map onto them."""

    name: str
    groups: list[str]
    members: np.ndarray  # (n_present_joint, n_groups) 0/1 indicator

    @property
    def index(self) -> np.ndarray:
        """The group of each present joint group."""
        return self.members.argmax(axis=1)


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
    attrs = prepared.attributes
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
    return build_counts(cells.reshape(n_joint, 4), [a.name for a in attrs],
                        [a.groups for a in attrs], intersectional)


def counts_from_keys(joint: np.ndarray, cell: np.ndarray, count: np.ndarray,
                     names: list[str], groups: list[list[str]], intersectional: bool) -> Counts:
    """The counts from an aggregated table: one row per (joint group code, cell) and its count.

    ``joint`` codes the groups as :func:`joint_codes` does (the first
    attribute most significant); a GROUP BY in an SQL engine yields exactly
    this table.
    """
    sizes = [len(g) for g in groups]
    n_joint = int(np.prod(sizes))
    cells = np.zeros(n_joint * 4, dtype=np.int64)
    np.add.at(cells, np.asarray(joint, dtype=np.int64) * 4 + np.asarray(cell, dtype=np.int64),
              np.asarray(count, dtype=np.int64))
    return build_counts(cells.reshape(n_joint, 4), names, groups, intersectional)


def build_counts(cells: np.ndarray, names: list[str], groups: list[list[str]],
                 intersectional: bool) -> Counts:
    """Keep the joint groups that occur and build one view per attribute (and the intersection).

    The bootstrap then draws over a few hundred cells at most, whatever the
    product of the attributes' sizes.
    """
    sizes = [len(g) for g in groups]
    present = np.flatnonzero(cells.sum(axis=1) > 0)
    cells = cells[present]
    digits = np.array(np.unravel_index(present, sizes)).T  # (n_present, n_attrs)
    rows = np.arange(len(present))
    views = []
    for k, (name, names_k) in enumerate(zip(names, groups, strict=True)):
        members = np.zeros((len(present), sizes[k]), dtype=np.int64)
        members[rows, digits[:, k]] = 1
        views.append(View(name, list(names_k), members))
    if intersectional and len(names) > 1:
        joint_names = [
            JOINT_SEPARATOR.join(groups[k][digits[j, k]] for k in range(len(names)))
            for j in rows
        ]
        views.append(View(JOINT_SEPARATOR.join(names), joint_names,
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


def group_cells(cells: np.ndarray, view: View) -> np.ndarray:
    """Sum joint cells into the groups of one view; works on replicates too."""
    return np.einsum("...jc,jg->...gc", cells, view.members)
