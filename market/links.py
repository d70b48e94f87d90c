"""Trading links and the coupling rows E_i of the compact form (37).

A link ``e = (i, j)`` of the trading graph has one coupling row per hour:
``q_{ij,t} + q_{ji,t} = 0`` (30).  Rows are numbered link-major
(``e·T + t``), links in the sorted order of their endpoint names, so that
every DC can build the same global index from the (public) trading graph.
"""

from __future__ import annotations

from dataclasses import dataclass

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
        return sorted({b if a == dc else a for a, b in self.links if dc in (a, b)})

    def link_of(self, i: str, j: str) -> int:
        return self.links.index(tuple(sorted((i, j))))

    def link_labels(self, rows: np.ndarray) -> tuple[str, ...]:
        """``"DC1–DC2"`` for each coupling row (the message log's ``link`` column)."""
        names = ["–".join(link) for link in self.links]
        return tuple(names[int(r) // self.hours] for r in rows)

    def rows_of(self, dc: str) -> np.ndarray:
        """Global coupling row of each entry of DC's ``trades`` block."""
        T = self.hours
        return np.concatenate(
            [self.link_of(dc, j) * T + np.arange(T) for j in self.partners(dc)]
        ).astype(int) if self.partners(dc) else np.zeros(0, int)
