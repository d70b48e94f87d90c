"""Trading links and the coupling rows E_i of the compact form (37).

A link ``e = (i, j)`` of the trading graph has one coupling row per hour:
``q_{ij,t} + q_{ji,t} = 0`` (30).  Rows are numbered link-major
(``e·T + t``), links in the sorted order of their endpoint names, so that
every DC can build the same global index from the (public) trading graph.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import networkx as nx
import numpy as np


@dataclass(frozen=True)
class LinkIndex:
    links: tuple[tuple[str, str], ...]
    hours: int

    @classmethod
    def of(cls, trading_graph: nx.Graph, hours: int) -> LinkIndex:
        links = tuple(sorted(tuple(sorted((str(a), str(b)))) for a, b in trading_graph.edges))
        return cls(links=links, hours=hours)

    @property
    def n_rows(self) -> int:
        return len(self.links) * self.hours

    def partners(self, dc: str) -> list[str]:
        """DC's trading partners, in the order of its ``trades`` block."""
        return list(self._partners.get(dc, ()))

    def link_of(self, i: str, j: str) -> int:
        try:
            return self._position[(i, j) if i <= j else (j, i)]
        except KeyError:
            raise ValueError(f"{min(i, j)}–{max(i, j)} is not a trading link") from None

    def link_labels(self, rows: np.ndarray) -> tuple[str, ...]:
        """``"DC1–DC2"`` for each coupling row (the message log's ``link`` column)."""
        names = self._names
        return tuple(names[int(r) // self.hours] for r in rows)

    def partner_slice(self, dc: str, partner: str) -> slice:
        """Where DC's link with ``partner`` sits in its ``trades`` block (and in
        :meth:`rows_of`, which lists its links partner by partner), one entry per hour."""
        n = self.partners(dc).index(partner)
        return slice(n * self.hours, (n + 1) * self.hours)

    def rows_of(self, dc: str) -> np.ndarray:
        """Global coupling row of each entry of DC's ``trades`` block (read-only)."""
        rows = self._rows.get(dc)
        if rows is None:
            T = self.hours
            partners = self._partners.get(dc, ())
            rows = np.concatenate(
                [self.link_of(dc, j) * T + np.arange(T) for j in partners]
            ).astype(int) if partners else np.zeros(0, int)
            rows.flags.writeable = False
            self._rows[dc] = rows
        return rows

    # Indexes built once per LinkIndex (a round asks each DC's rows several times:
    # scanning every link each time made a round O(DCs × links)).
    @cached_property
    def _position(self) -> dict[tuple[str, str], int]:
        return {link: e for e, link in enumerate(self.links)}

    @cached_property
    def _partners(self) -> dict[str, tuple[str, ...]]:
        partners: dict[str, set[str]] = {}
        for a, b in self.links:
            partners.setdefault(a, set()).add(b)
            partners.setdefault(b, set()).add(a)
        return {dc: tuple(sorted(js)) for dc, js in partners.items()}

    @cached_property
    def _names(self) -> list[str]:
        return ["–".join(link) for link in self.links]

    @cached_property
    def _rows(self) -> dict[str, np.ndarray]:
        return {}
