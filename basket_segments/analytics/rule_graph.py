"""The Rules page's item graph (after arulesViz's ``method = "graph"``): the ``top`` rules
by lift, each a small node between its antecedent's items and its consequent's, placed
by a force-directed layout started from a circle (no randomness: the same rules are
always drawn the same way).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # a host importing the dashboard loads no pandas (its layout names limits here)
    import pandas as pd

#: How many rules the item graph draws, by default and at most.
MIN_GRAPH_RULES, DEFAULT_GRAPH_RULES, MAX_GRAPH_RULES = 5, 20, 100


def graph_size(value: Any) -> int:
    """How many rules the graph draws: ``value`` within bounds, the default otherwise.

    >>> graph_size(50), graph_size(1000), graph_size("x"), graph_size(None)
    (50, 100, 20, 20)
    """
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return DEFAULT_GRAPH_RULES
    return int(min(max(value, MIN_GRAPH_RULES), MAX_GRAPH_RULES))


def graph_rules(rules: pd.DataFrame, top: int = DEFAULT_GRAPH_RULES) -> pd.DataFrame:
    """The ``top`` rules by lift (ties: higher support, then the table's order) that the
    item graph draws.

    >>> import pandas as pd
    >>> rules = pd.DataFrame({"lift": [1.5, 3.0, 3.0], "support": [0.1, 0.1, 0.2]})
    >>> graph_rules(rules, 2).index.tolist()
    [2, 1]
    """
    order = np.lexsort(
        (np.arange(len(rules)), -rules["support"].to_numpy(float), -rules["lift"].to_numpy(float))
    )
    return rules.iloc[order[:top]]


@dataclass(frozen=True)
class ItemGraph:
    """The graph's rules (``rules``, with ``x`` and ``y``), its items (``item``, ``x``,
    ``y``, ``rules``: how many drawn rules hold it) and how many rules there were in all."""

    rules: pd.DataFrame
    items: pd.DataFrame
    all_rules: int


def item_graph(rules: pd.DataFrame, top: int = DEFAULT_GRAPH_RULES) -> ItemGraph:
    """The ``top`` rules by lift as a graph: items and rules as nodes, placed.

    >>> import pandas as pd
    >>> rules = pd.DataFrame({"antecedent": [("tea",), ("jam",)],
    ...     "consequent": [("milk",), ("tea",)], "lift": [3.0, 2.0], "support": [0.1, 0.2]})
    >>> found = item_graph(rules)
    >>> sorted(found.items["item"]), int(found.items.set_index("item")["rules"]["tea"])
    (['jam', 'milk', 'tea'], 2)
    """
    import pandas as pd

    drawn = graph_rules(rules, top).reset_index(drop=True)
    sides = (
        [list(a) + list(c) for a, c in zip(drawn["antecedent"], drawn["consequent"], strict=True)]
        if len(drawn)
        else []
    )
    names = sorted({item for side in sides for item in side})
    index = {name: i for i, name in enumerate(names)}
    edges = tuple((len(names) + r, index[item]) for r, side in enumerate(sides) for item in side)
    positions = laid_out(len(names) + len(drawn), edges)
    counts = Counter(item for side in sides for item in set(side))
    items = pd.DataFrame(
        {
            "item": names,
            "x": positions[: len(names), 0],
            "y": positions[: len(names), 1],
            "rules": np.array([counts[name] for name in names], dtype=int),
        }
    )
    placed = drawn.assign(x=positions[len(names) :, 0], y=positions[len(names) :, 1])
    return ItemGraph(placed, items, len(rules))


#: Layouts kept by ``laid_out``: a view's graph, redrawn for each click on it.
LAYOUTS_KEPT = 64


@lru_cache(maxsize=LAYOUTS_KEPT)
def laid_out(nodes: int, edges: tuple[tuple[int, int], ...]) -> np.ndarray:
    """``force_layout``, kept for the graphs laid out last (read-only): a click on the
    matrix or the graph redraws the same view's graph with another selection, and its
    layout was a fifth of that answer's time. A graph here is only its shape (node
    numbers), never a product's name.

    >>> laid_out(3, ((0, 1), (1, 2))) is laid_out(3, ((0, 1), (1, 2)))
    True
    """
    positions = force_layout(nodes, list(edges))
    positions.setflags(write=False)
    return positions


def force_layout(nodes: int, edges: list[tuple[int, int]], steps: int = 50) -> np.ndarray:
    """Fruchterman-Reingold positions in the unit square, started from a circle, so the
    same graph is always drawn the same way.

    >>> force_layout(3, [(0, 1), (1, 2)]).shape
    (3, 2)
    """
    if nodes == 0:
        return np.zeros((0, 2))
    # Positions as complex numbers: half the array calls of x and y apart (a click on
    # the Rules page lays out a graph: 5 ms of its CPU before, 2.4 ms now).
    place = np.exp(2j * np.pi * np.arange(nodes) / nodes) * 0.5
    ideal = 1.0 / np.sqrt(nodes)
    pairs = np.array(edges, dtype=int).reshape(-1, 2)
    start, end = pairs[:, 0], pairs[:, 1]
    temperature = 0.1
    for _ in range(steps):
        delta = place[:, None] - place[None, :]
        squared = np.maximum(delta.real**2 + delta.imag**2, 1e-6)  # distance at least 1e-3
        push = (delta / squared).sum(axis=1) * ideal**2
        pull = delta[start, end] * np.sqrt(squared[start, end]) / ideal
        push -= _sum_at(start, pull, nodes)
        push += _sum_at(end, pull, nodes)
        length = np.maximum(np.abs(push), 1e-9)
        place = place + push / length * np.minimum(length, temperature)
        temperature *= 0.93
    position = np.column_stack([place.real, place.imag])
    low, high = position.min(axis=0), position.max(axis=0)
    return (position - low) / np.where(high - low > 0, high - low, 1)


def _sum_at(nodes_of: np.ndarray, values: np.ndarray, nodes: int) -> np.ndarray:
    """The complex ``values`` summed per node (``np.bincount`` takes real weights)."""
    real = np.bincount(nodes_of, values.real, minlength=nodes)
    return real + 1j * np.bincount(nodes_of, values.imag, minlength=nodes)
