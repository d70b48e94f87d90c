"""Sparse linear programs assembled from named blocks of variables and rows.

Every optimisation problem in dcmarket (a data centre's local problem, the
centralised social-welfare twin) is written once, in this matrix form,

    minimise    c·x  (+ ½ x·P·x for the ADMM's local QP)
    subject to  row_lower ≤ A x ≤ row_upper,   col_lower ≤ x ≤ col_upper,

so that the same numbers can be handed to HiGHS (one-shot LPs), to OSQP
(warm-started QPs re-solved every ADMM round) or to cvxpy.  Blocks of
variables and groups of rows carry names, which is what lets a failed solve
say *which* constraint of *which* agent is at fault.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp

Coefficient = float | np.ndarray | sp.spmatrix


@dataclass(frozen=True)
class LinearProgram:
    """A built program; ``blocks`` maps a variable name to its column slice."""

    cost: np.ndarray
    A: sp.csr_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    blocks: dict[str, slice]
    row_groups: dict[str, slice]
    integer: np.ndarray | None = None  # bool per column; None = a pure LP

    @property
    def is_mip(self) -> bool:
        return self.integer is not None and bool(self.integer.any())

    @property
    def n_cols(self) -> int:
        return self.cost.size

    @property
    def n_rows(self) -> int:
        return self.row_lower.size

    def block(self, x: np.ndarray, name: str) -> np.ndarray:
        """The values of block ``name`` in a solution vector ``x``."""
        return x[self.blocks[name]]


@dataclass
class ProgramBuilder:
    """Assemble a :class:`LinearProgram` block by block.

    ``add_variables`` reserves a named block; ``add_rows`` adds a named group of
    ``m`` rows as a sum of terms ``(block, coefficient)``, where a coefficient
    is a scalar or length-``m`` vector (diagonal, the block must have ``m``
    entries) or an ``m × size`` matrix.
    """

    _sizes: dict[str, int] = field(default_factory=dict)
    _starts: dict[str, int] = field(default_factory=dict)
    _lower: list[np.ndarray] = field(default_factory=list)
    _upper: list[np.ndarray] = field(default_factory=list)
    _cost: list[np.ndarray] = field(default_factory=list)
    _integer: list[np.ndarray] = field(default_factory=list)
    _row_blocks: list[sp.coo_matrix] = field(default_factory=list)
    _row_lower: list[np.ndarray] = field(default_factory=list)
    _row_upper: list[np.ndarray] = field(default_factory=list)
    _row_groups: dict[str, slice] = field(default_factory=dict)
    _n_cols: int = 0
    _n_rows: int = 0

    def add_variables(
        self,
        name: str,
        size: int,
        lower: float | np.ndarray = 0.0,
        upper: float | np.ndarray = np.inf,
        cost: float | np.ndarray = 0.0,
        integer: bool = False,
    ) -> slice:
        """Reserve block ``name``; ``integer=True`` makes its columns integral (MILP)."""
        if name in self._sizes:
            raise ValueError(f"variable block {name!r} defined twice")
        self._sizes[name] = size
        self._starts[name] = self._n_cols
        self._lower.append(np.broadcast_to(np.asarray(lower, float), (size,)).copy())
        self._upper.append(np.broadcast_to(np.asarray(upper, float), (size,)).copy())
        self._cost.append(np.broadcast_to(np.asarray(cost, float), (size,)).copy())
        self._integer.append(np.full(size, integer))
        self._n_cols += size
        return slice(self._starts[name], self._n_cols)

    def add_rows(
        self,
        name: str,
        terms: list[tuple[str, Coefficient]],
        lower: float | np.ndarray,
        upper: float | np.ndarray,
        n_rows: int | None = None,
    ) -> slice:
        """Add ``lower ≤ Σ coefficient·x[block] ≤ upper`` as a named row group."""
        if name in self._row_groups:
            raise ValueError(f"row group {name!r} defined twice")
        m = n_rows if n_rows is not None else self._infer_rows(terms)
        parts = [self._term_matrix(block, coefficient, m) for block, coefficient in terms]
        self._row_blocks.append(sp.coo_matrix((
            np.concatenate([p.data for p in parts]),
            (np.concatenate([p.row for p in parts]), np.concatenate([p.col for p in parts])),
        ), shape=(m, self._n_cols)))
        self._row_lower.append(np.broadcast_to(np.asarray(lower, float), (m,)).copy())
        self._row_upper.append(np.broadcast_to(np.asarray(upper, float), (m,)).copy())
        self._row_groups[name] = slice(self._n_rows, self._n_rows + m)
        self._n_rows += m
        return self._row_groups[name]

    def _infer_rows(self, terms: list[tuple[str, Coefficient]]) -> int:
        for block, coefficient in terms:
            if sp.issparse(coefficient) or np.ndim(coefficient) == 2:
                return coefficient.shape[0]
            return self._sizes[block]
        raise ValueError("a row group needs at least one term")

    def _term_matrix(self, block: str, coefficient: Coefficient, m: int) -> sp.coo_matrix:
        size, start = self._sizes[block], self._starts[block]
        if sp.issparse(coefficient) or np.ndim(coefficient) == 2:
            local = sp.coo_matrix(coefficient)
            if local.shape != (m, size):
                raise ValueError(
                    f"term on {block!r} has shape {local.shape}, expected {(m, size)}"
                )
            rows, cols, vals = local.row, local.col, local.data
        else:
            if size != m:
                raise ValueError(f"diagonal term on {block!r} needs {m} entries, has {size}")
            rows = cols = np.arange(m)
            vals = np.broadcast_to(np.asarray(coefficient, float), (m,))
        return sp.coo_matrix((vals, (rows, cols + start)), shape=(m, self._n_cols))

    def build(self) -> LinearProgram:
        """Freeze the program.  Rows must be added after all variables."""
        widths = {blk.shape[1] for blk in self._row_blocks}
        if widths - {self._n_cols}:
            raise ValueError("add every variable block before the first row group")
        A = sp.vstack(self._row_blocks).tocsr() if self._row_blocks else sp.csr_matrix(
            (0, self._n_cols)
        )
        return LinearProgram(
            cost=np.concatenate(self._cost),
            A=A,
            row_lower=np.concatenate(self._row_lower) if self._row_lower else np.zeros(0),
            row_upper=np.concatenate(self._row_upper) if self._row_upper else np.zeros(0),
            col_lower=np.concatenate(self._lower),
            col_upper=np.concatenate(self._upper),
            blocks={n: slice(s, s + self._sizes[n]) for n, s in self._starts.items()},
            row_groups=dict(self._row_groups),
            integer=np.concatenate(self._integer) if any(i.any() for i in self._integer)
            else None,
        )


def stack_programs(programs: dict[str, LinearProgram]) -> tuple[LinearProgram, dict[str, slice]]:
    """Block-diagonal union of independent programs (no coupling rows yet).

    Block and row-group names are prefixed with the program's key
    (``"DC1/lambda_I"``).  Returns the union and each program's column slice.
    """
    offsets, col, row = {}, 0, 0
    blocks: dict[str, slice] = {}
    groups: dict[str, slice] = {}
    for key, lp in programs.items():
        offsets[key] = slice(col, col + lp.n_cols)
        for name, s in lp.blocks.items():
            blocks[f"{key}/{name}"] = slice(s.start + col, s.stop + col)
        for name, s in lp.row_groups.items():
            groups[f"{key}/{name}"] = slice(s.start + row, s.stop + row)
        col += lp.n_cols
        row += lp.n_rows
    lps = list(programs.values())
    union = LinearProgram(
        cost=np.concatenate([lp.cost for lp in lps]),
        A=sp.block_diag([lp.A for lp in lps], format="csr"),
        row_lower=np.concatenate([lp.row_lower for lp in lps]),
        row_upper=np.concatenate([lp.row_upper for lp in lps]),
        col_lower=np.concatenate([lp.col_lower for lp in lps]),
        col_upper=np.concatenate([lp.col_upper for lp in lps]),
        blocks=blocks,
        row_groups=groups,
        integer=np.concatenate([lp.integer if lp.integer is not None else
                                np.zeros(lp.n_cols, bool) for lp in lps])
        if any(lp.is_mip for lp in lps) else None,
    )
    return union, offsets


def append_rows(
    lp: LinearProgram, name: str, A: sp.spmatrix, lower: np.ndarray, upper: np.ndarray
) -> LinearProgram:
    """A copy of ``lp`` with a named group of coupling rows appended."""
    start = lp.n_rows
    groups = dict(lp.row_groups)
    groups[name] = slice(start, start + A.shape[0])
    return replace(
        lp,
        A=sp.vstack([lp.A, sp.csr_matrix(A)]).tocsr(),
        row_lower=np.concatenate([lp.row_lower, lower]),
        row_upper=np.concatenate([lp.row_upper, upper]),
        row_groups=groups,
    )
