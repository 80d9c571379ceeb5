"""Which stored rules a view of the Rules page shows: one function, ``view_rules``.

The grid, its CSV, the sentences and the scatter (and any other view that follows
"the grid's current filters") all call ``view_rules`` with the stored rule table
and one ``RuleFilter``, so they can never disagree about which rules are shown.

Product filters work on each side of a rule, as arulesViz's ruleExplorer does
(``subset(rules, lhs %in% items)``): an *include* list keeps the rules whose side
holds **any** of its products, an *exclude* list drops the rules whose side holds
any of its products; lists on different sides (or include and exclude) combine
with AND. "Either side" looks at both sides together (ruleExplorer's "items"), so
the old single product filter is one product included on the left, the right, or
either side.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from basket_segments.analytics.stages import ALL_CUSTOMERS, RuleParams

if TYPE_CHECKING:  # a host importing the dashboard loads no pandas (queries import this)
    import numpy as np
    import pandas as pd

#: The sides a product filter looks at: a rule's left side, its right side, or both.
SIDES = ("antecedent", "consequent", "either")


@dataclass(frozen=True)
class SideFilters:
    """Products to include (any of them) and to exclude (all of them) on each side."""

    include_antecedent: tuple[str, ...] = ()
    exclude_antecedent: tuple[str, ...] = ()
    include_consequent: tuple[str, ...] = ()
    exclude_consequent: tuple[str, ...] = ()
    include_either: tuple[str, ...] = ()
    exclude_either: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """Whether no product is chosen anywhere (every rule passes).

        >>> SideFilters().empty, SideFilters(exclude_either=("tea",)).empty
        (True, False)
        """
        return not any(getattr(self, name) for name in box_names())

    def to_json(self) -> dict[str, list[str]]:
        """The chosen products by box name, as JSON values (only boxes with products)."""
        return {name: list(getattr(self, name)) for name in box_names() if getattr(self, name)}


def box_names() -> tuple[str, ...]:
    """The six product boxes, by field name (``include_antecedent``...).

    >>> box_names()[:2]
    ('include_antecedent', 'exclude_antecedent')
    """
    return tuple(field.name for field in fields(SideFilters))


@dataclass(frozen=True)
class RuleFilter:
    """Everything that picks a view's rules from the stored table: the group (a segment,
    or ``ALL_CUSTOMERS``), the thresholds (None: as stored), hiding redundant rules, the
    product filters, and keeping only rules whose corrected p-value is at most
    ``significance`` (None: every rule)."""

    segment: int = ALL_CUSTOMERS
    thresholds: RuleParams | None = None
    hide_redundant: bool = False
    sides: SideFilters = SideFilters()
    significance: float | None = None


def view_rules(rules: pd.DataFrame, choice: RuleFilter) -> pd.DataFrame:
    """The rules of ``rules`` (a stored rule table) that a view with ``choice`` shows, in
    the table's order, indexed from 0.

    The thresholds are applied first, with each p-value corrected over the group's
    rules that meet them (``analytics.rules.filter_rules``), so hiding redundant rules
    or filtering by product never changes a rule's corrected p-value.

    >>> import pandas as pd
    >>> from basket_segments.analytics.stages import ALL_CUSTOMERS as ALL
    >>> table = pd.DataFrame({"segment": [ALL, ALL, 0], "redundant": [False, True, False],
    ...     "antecedent": [("tea",), ("tea", "jam"), ("tea",)],
    ...     "consequent": [("milk",), ("milk",), ("jam",)], "p_adjusted": [0.01, 0.2, 0.01]})
    >>> jam_first = RuleFilter(sides=SideFilters(include_antecedent=("jam",)))
    >>> view_rules(table, jam_first)["antecedent"].tolist()
    [('tea', 'jam')]
    >>> len(view_rules(table, RuleFilter(hide_redundant=True, significance=0.05)))
    1
    """
    from basket_segments.analytics.rules import filter_rules

    shown = group_rules(rules, choice.segment)
    if choice.thresholds is not None:
        shown = filter_rules(shown, choice.thresholds)
    if choice.hide_redundant:
        shown = shown[~shown["redundant"].to_numpy(dtype=bool)]
    if not choice.sides.empty:
        shown = shown[side_mask(shown, choice.sides)]
    if choice.significance is not None and "p_adjusted" in shown.columns:
        shown = shown[shown["p_adjusted"].to_numpy() <= choice.significance]
    return shown.reset_index(drop=True)


def group_rules(rules: pd.DataFrame, segment: int) -> pd.DataFrame:
    """The rules of one group (a segment, or ``ALL_CUSTOMERS``), in the table's order.

    A stored table is sorted by segment (``rules.sort_rules``), so a group is one run
    of rows, sliced without copying; a table in another order is masked.

    >>> import pandas as pd
    >>> group_rules(pd.DataFrame({"segment": [-1, 0, 0, 2]}), 0).index.tolist()
    [1, 2]
    >>> group_rules(pd.DataFrame({"segment": [0, -1, 0]}), 0).index.tolist()
    [0, 2]
    """
    import numpy as np

    segments = rules["segment"].to_numpy()
    if len(segments) and np.all(segments[1:] >= segments[:-1]):
        start = np.searchsorted(segments, segment, side="left")
        stop = np.searchsorted(segments, segment, side="right")
        return rules.iloc[start:stop]
    return rules[segments == segment]


def side_mask(rules: pd.DataFrame, sides: SideFilters) -> np.ndarray:
    """Which rules pass every product filter of ``sides`` (one boolean per rule).

    >>> import pandas as pd
    >>> rules = pd.DataFrame({"antecedent": [("tea",), ("jam", "tea")],
    ...     "consequent": [("milk",), ("bread",)]})
    >>> side_mask(rules, SideFilters(include_antecedent=("tea",), exclude_consequent=("milk",)))
    array([False,  True])
    """
    import numpy as np

    keep = np.ones(len(rules), dtype=bool)
    for side in SIDES:
        wanted = getattr(sides, f"include_{side}")
        unwanted = getattr(sides, f"exclude_{side}")
        if wanted:
            keep &= _holds_any(rules, side, wanted)
        if unwanted:
            keep &= ~_holds_any(rules, side, unwanted)
    return keep


def _holds_any(rules: pd.DataFrame, side: str, products: tuple[str, ...]) -> np.ndarray:
    """Whether each rule's ``side`` (or either side) holds any of ``products``: every item
    of every rule in one flat array, tested at once, then summed back per rule."""
    import numpy as np
    import pandas as pd

    columns = ("antecedent", "consequent") if side == "either" else (side,)
    held = np.zeros(len(rules), dtype=np.int64)
    for column in columns:
        items = rules[column]
        sizes = items.map(len).to_numpy(dtype=np.int64)
        flat = pd.Index([item for sides in items for item in sides], dtype=object)
        owner = np.repeat(np.arange(len(rules)), sizes)
        hits = flat.isin(products)
        held += np.bincount(owner[hits], minlength=len(rules))
    return held > 0
