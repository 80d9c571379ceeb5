"""The Rules page's grouped matrix of a rules table, and the rules a click on its views
selects.

**Grouped matrix** (after arulesViz's ``method = "grouped"``): antecedents in rows,
grouped; consequents in columns; one circle per group and consequent, coloured by the
mean lift and sized by the mean support of its rules. arulesViz groups antecedents by
k-means on their lift profiles and names each group by its most frequent items. Here a
rule's antecedent joins the group of its *most interesting item*: the one with the
highest mean lift over the rules whose antecedent holds it (ties: the larger total
support, then the name). This is deterministic (no seed, the same rows on every load),
costs one group-by instead of a clustering of 20,000 lift profiles on each click, names
every row by a product the analyst can look up, and puts each two-product rule (most
rules) exactly in its product's row.

The item graph is ``rule_graph``'s. A click selects rules (``Selection``): a matrix
cell's, an item's among the rules the graph draws, or one rule of the graph.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from basket_segments.analytics.rule_graph import DEFAULT_GRAPH_RULES, graph_rules, graph_size

if TYPE_CHECKING:  # a host importing the dashboard loads no pandas (its layout names limits here)
    import pandas as pd

#: Most antecedent groups (rows) and consequents (columns) the matrix shows, by lift.
MAX_GROUPS, MAX_CONSEQUENTS = 20, 20
#: What a click can select: a matrix cell, an item of the graph, one rule of the graph.
KINDS = ("cell", "item", "rule")
#: Longest product name a selection carries (a forged one is cut, not trusted).
MAX_NAME = 500


@dataclass(frozen=True)
class Selection:
    """The rules a click selects.

    ``cell``: antecedent group ``left[0]``, consequent ``right``; ``item``: the rules
    among the graph's ``top`` that hold ``left[0]`` on either side; ``rule``: the rule
    ``left`` -> ``right``.
    """

    kind: str
    left: tuple[str, ...]
    right: tuple[str, ...] = ()
    top: int = DEFAULT_GRAPH_RULES

    def to_json(self) -> dict:
        """The selection as JSON values.

        >>> Selection.from_json(Selection("cell", ("tea",), ("jam",)).to_json())
        Selection(kind='cell', left=('tea',), right=('jam',), top=20)
        """
        return {
            "kind": self.kind,
            "left": list(self.left),
            "right": list(self.right),
            "top": self.top,
        }

    @classmethod
    def from_json(cls, data: Any) -> Selection:
        """A selection back from the browser; a ``ValueError`` for one that is not."""
        if not isinstance(data, dict) or data.get("kind") not in KINDS:
            raise ValueError("selection: not a selection")
        left, right = _names(data.get("left")), _names(data.get("right", []))
        if not left or (data["kind"] != "item" and not right):
            raise ValueError("selection: a side is missing")
        return cls(data["kind"], left, right, graph_size(data.get("top")))

    def label(self) -> str:
        """What the selection is, in words, for the chip above the grid.

        >>> Selection("cell", ("tea",), ("jam",)).label()
        'the group "tea" -> jam'
        """
        right = ", ".join(self.right)
        if self.kind == "cell":
            return f'the group "{self.left[0]}" -> {right}'
        if self.kind == "item":
            return f'the graph\'s rules with "{self.left[0]}"'
        return f"the rule {', '.join(self.left)} -> {right}"


def _names(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValueError("selection: a side is not a list of names")
    return tuple(v[:MAX_NAME] for v in value[:MAX_NAME])


def side_text(items: Any) -> str:
    """A rule's side as one text (the grid's and the matrix's way of writing it)."""
    return ", ".join(items)


def antecedent_groups(rules: pd.DataFrame) -> pd.Series:
    """Each rule's antecedent group: the antecedent's item with the highest mean lift over
    the rules whose antecedent holds it (ties: larger total support, then the name).

    >>> import pandas as pd
    >>> rules = pd.DataFrame({"antecedent": [("tea",), ("tea", "jam"), ("jam",)],
    ...     "lift": [3.0, 2.0, 1.5], "support": [0.1, 0.1, 0.2]})
    >>> antecedent_groups(rules).tolist()
    ['tea', 'tea', 'jam']
    """
    import pandas as pd

    if rules.empty:
        return pd.Series([], index=rules.index, dtype=object)
    sides = rules["antecedent"].tolist()
    rule = np.repeat(np.arange(len(sides)), [len(side) for side in sides])
    codes, names = pd.factorize(np.array([item for side in sides for item in side], dtype=object))
    lift, support = rules["lift"].to_numpy(float)[rule], rules["support"].to_numpy(float)[rule]
    score = np.bincount(codes, lift) / np.bincount(codes)
    weight = np.bincount(codes, support)
    by_name = np.argsort(np.argsort(names.astype(str), kind="stable"))
    order = np.lexsort((by_name[codes], -weight[codes], -score[codes], rule))
    first = order[np.r_[True, rule[order][1:] != rule[order][:-1]]]
    return pd.Series(names[codes[first]], index=rules.index, dtype=object)


@dataclass(frozen=True)
class GroupedMatrix:
    """The matrix's cells (``group``, ``consequent`` as text and ``right`` as items,
    ``rules``, ``lift``, ``support``, ``antecedents``: distinct antecedents), its rows and
    columns in order, and how many groups and consequents the rules had in all."""

    cells: pd.DataFrame
    groups: list[str]
    consequents: list[str]
    all_groups: int
    all_consequents: int


def grouped_matrix(
    rules: pd.DataFrame, max_groups: int = MAX_GROUPS, max_consequents: int = MAX_CONSEQUENTS
) -> GroupedMatrix:
    """Antecedent groups x consequents: the ``max_groups`` groups of highest mean lift,
    then the ``max_consequents`` consequents of highest mean lift among their rules (a
    group left without a cell by that second cut is left out too).

    >>> import pandas as pd
    >>> rules = pd.DataFrame({"antecedent": [("tea",), ("tea", "jam"), ("jam",)],
    ...     "consequent": [("milk",), ("milk",), ("tea",)],
    ...     "lift": [3.0, 2.0, 1.5], "support": [0.1, 0.3, 0.2]})
    >>> found = grouped_matrix(rules)
    >>> found.groups, found.consequents, found.cells["rules"].tolist()
    (['tea', 'jam'], ['milk', 'tea'], [2, 1])
    >>> found.cells[["lift", "support"]].iloc[0].tolist()
    [2.5, 0.2]
    """
    import pandas as pd

    if max_groups < 1 or max_consequents < 1:
        raise ValueError("max_groups and max_consequents must be at least 1")
    group, group_names = pd.factorize(antecedent_groups(rules).to_numpy(dtype=object))
    texts = np.array([side_text(side) for side in rules["consequent"]], dtype=object)
    right, right_names = pd.factorize(texts)
    lift = rules["lift"].to_numpy(float)
    top_groups = _top_by_lift(group, group_names, lift, max_groups)
    keep = np.isin(group, top_groups)
    top_rights = _top_by_lift(right[keep], right_names, lift[keep], max_consequents)
    keep &= np.isin(right, top_rights)
    with_cells = set(group[keep].tolist())
    rows = np.array([code for code in top_groups if code in with_cells], dtype=np.int64)
    kept = np.flatnonzero(keep)
    cells = _cells(rules, kept, (group, group_names, rows), (right, right_names, top_rights))
    return GroupedMatrix(
        cells,
        group_names[rows].tolist(),
        right_names[top_rights].tolist(),
        len(group_names),
        len(right_names),
    )


def _cells(
    rules: pd.DataFrame,
    kept: np.ndarray,
    groups: tuple[np.ndarray, np.ndarray, np.ndarray],
    rights: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> pd.DataFrame:
    """One row per (group, consequent) that has rules, rows in the matrix's order: of the
    rules at positions ``kept``; ``groups`` and ``rights`` each hold every rule's code,
    the codes' names, and the codes of the matrix's rows (columns) in order."""
    import pandas as pd

    (group, group_names, rows), (right, right_names, columns) = groups, rights
    row_of, column_of = np.full(len(group_names), -1), np.full(len(right_names), -1)
    row_of[rows], column_of[columns] = np.arange(len(rows)), np.arange(len(columns))
    cell = row_of[group[kept]] * max(len(columns), 1) + column_of[right[kept]]
    _, first, codes = np.unique(cell, return_index=True, return_inverse=True)
    codes = codes.reshape(-1)
    count = np.bincount(codes, minlength=len(first))
    antecedent, antecedents = pd.factorize(rules["antecedent"].to_numpy(dtype=object)[kept])
    distinct = np.unique(codes * max(len(antecedents), 1) + antecedent)
    at = kept[first]
    return pd.DataFrame(
        {
            "group": group_names[group[at]],
            "consequent": right_names[right[at]],
            "right": rules["consequent"].to_numpy(dtype=object)[at],
            "rules": count,
            "lift": np.bincount(codes, rules["lift"].to_numpy(float)[kept], len(first)) / count,
            "support": np.bincount(codes, rules["support"].to_numpy(float)[kept], len(first))
            / count,
            "antecedents": np.bincount(distinct // max(len(antecedents), 1), minlength=len(first)),
        }
    )


def _top_by_lift(codes: np.ndarray, names: np.ndarray, lift: np.ndarray, top: int) -> np.ndarray:
    """The codes of the ``top`` names (of those ``codes`` holds) by the mean lift of their
    rules (ties: the name)."""
    count = np.bincount(codes, minlength=len(names))
    mean = np.bincount(codes, lift, minlength=len(names)) / np.maximum(count, 1)
    present = np.flatnonzero(count)
    by_name = np.argsort(np.argsort(names.astype(str), kind="stable"))
    return present[np.lexsort((by_name[present], -mean[present]))][:top]


def selected_rules(rules: pd.DataFrame, selection: Selection | None) -> pd.DataFrame:
    """The rules a selection picks out of ``rules`` (all of them without one), in order.

    >>> import pandas as pd
    >>> rules = pd.DataFrame({"antecedent": [("tea",), ("tea", "jam"), ("jam",)],
    ...     "consequent": [("milk",), ("milk",), ("tea",)],
    ...     "lift": [3.0, 2.0, 1.5], "support": [0.1, 0.3, 0.2]})
    >>> selected_rules(rules, Selection("cell", ("tea",), ("milk",))).index.tolist()
    [0, 1]
    >>> selected_rules(rules, Selection("item", ("tea",), top=2)).index.tolist()
    [0, 1]
    """
    if selection is None or rules.empty:
        return rules
    if selection.kind == "cell":
        keep = (antecedent_groups(rules) == selection.left[0]) & (
            rules["consequent"].map(tuple) == selection.right
        )
        return rules[keep]
    if selection.kind == "item":
        drawn = graph_rules(rules, selection.top)
        item = selection.left[0]
        holds = [
            item in a or item in c
            for a, c in zip(drawn["antecedent"], drawn["consequent"], strict=True)
        ]
        return rules[rules.index.isin(drawn.index[holds])]
    keep = (rules["antecedent"].map(tuple) == selection.left) & (
        rules["consequent"].map(tuple) == selection.right
    )
    return rules[keep]
