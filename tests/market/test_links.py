"""The link index: partners, link positions and coupling rows, indexed once,
equal what the definition (37) gives by scanning the links."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from dcmarket.market.links import LinkIndex


def test_the_index_equals_a_scan_of_the_links():
    graph = nx.relabel_nodes(nx.random_regular_graph(4, 30, seed=3), lambda k: f"DC{k + 1}")
    index = LinkIndex.of(graph, hours=5)
    for dc in graph:
        mine = [e for e, link in enumerate(index.links) if dc in link]
        partners = sorted(b if a == dc else a for a, b in (index.links[e] for e in mine))
        assert index.partners(dc) == partners == sorted(graph.neighbors(dc))
        rows = np.concatenate([index.links.index(tuple(sorted((dc, j)))) * 5 + np.arange(5)
                               for j in partners])
        np.testing.assert_array_equal(index.rows_of(dc), rows)
    assert index.n_rows == graph.number_of_edges() * 5


def test_rows_are_read_only_and_an_unknown_link_is_named():
    index = LinkIndex.of(nx.path_graph(["DC1", "DC2", "DC3"]), hours=2)
    with pytest.raises(ValueError, match="read-only"):
        index.rows_of("DC2")[0] = 7
    with pytest.raises(ValueError, match="DC1–DC3 is not a trading link"):
        index.link_of("DC3", "DC1")
    assert index.rows_of("DC9").size == 0 and index.partners("DC9") == []
