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
    table = pd.DataFrame(
        {
            "group": antecedent_groups(rules).to_numpy(dtype=object),
            "consequent": rules["consequent"].map(side_text).to_numpy(dtype=object),
            "antecedent": rules["antecedent"].to_numpy(dtype=object),
            "right": rules["consequent"].to_numpy(dtype=object),
            "lift": rules["lift"].to_numpy(float),
            "support": rules["support"].to_numpy(float),
        }
    )
    every = (table["group"].nunique(), table["consequent"].nunique())
    groups = _top_by_lift(table, "group", max_groups)
    table = table[table["group"].isin(groups)]
    consequents = _top_by_lift(table, "consequent", max_consequents)
    table = table[table["consequent"].isin(consequents)]
    groups = [group for group in groups if group in set(table["group"])]  # no empty rows
    return GroupedMatrix(_cells(table, groups, consequents), groups, consequents, *every)


def _cells(table: pd.DataFrame, groups: list[str], consequents: list[str]) -> pd.DataFrame:
    """One row per (group, consequent) that has rules, rows in the matrix's order."""
    import pandas as pd

    row = table["group"].map({name: i for i, name in enumerate(groups)}).to_numpy(int)
    column = table["consequent"].map({name: i for i, name in enumerate(consequents)})
    cell = row * max(len(consequents), 1) + column.to_numpy(int)
    codes, found = pd.factorize(cell, sort=True)
    count = np.bincount(codes, minlength=len(found))
    distinct = table.assign(code=codes).drop_duplicates(["code", "antecedent"])["code"]
    first = pd.Series(np.arange(len(codes))).groupby(codes).first().to_numpy()
    return pd.DataFrame(
        {
            "group": table["group"].to_numpy()[first],
            "consequent": table["consequent"].to_numpy()[first],
            "right": table["right"].to_numpy()[first],
            "rules": count,
            "lift": np.bincount(codes, table["lift"].to_numpy()) / count,
            "support": np.bincount(codes, table["support"].to_numpy()) / count,
            "antecedents": np.bincount(distinct.to_numpy(int), minlength=len(found)),
        }
    )


def _top_by_lift(table: pd.DataFrame, column: str, top: int) -> list[str]:
    """The ``top`` values of ``column`` by the mean lift of their rules (ties: the name)."""
    import pandas as pd

    if table.empty:
        return []
    codes, names = pd.factorize(table[column].to_numpy(dtype=object))
    mean = np.bincount(codes, table["lift"].to_numpy(float)) / np.bincount(codes)
    by_name = np.argsort(np.argsort(names.astype(str), kind="stable"))
    return names[np.lexsort((by_name, -mean))][:top].tolist()


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
