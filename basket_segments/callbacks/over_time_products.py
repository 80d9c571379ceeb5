"""The Over time page's products and rules per period, per segment.

When the comparison is answered, each period's rules and top products are asked for
(a job with progress and Cancel, stored per dataset, comparison, basket and
mining thresholds); the picked segment's tables for the first and the later
period are then drawn from storage only, the strongest ``TOP`` rows of each.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dash import Dash, Input, Output, State

from basket_segments import figures, ids
from basket_segments.analytics.errors import DataError
from basket_segments.callbacks import long_work
from basket_segments.callbacks.common import rules_asked
from basket_segments.callbacks.over_time_work import answered_query, stored
from basket_segments.layouts import over_time_products as layout
from basket_segments.layouts.rules import sentences
from basket_segments.queries import PeriodRulesQuery, whole_number
from basket_segments.store import results
from basket_segments.store.owner import current_owner

if TYPE_CHECKING:
    import pandas as pd

    from basket_segments.analytics.over_time import OverTime

#: Rows of each table: the strongest rules (by lift) and products (by share) of either period.
TOP = 20
#: Sentences said above the rules table, as the Rules page says its strongest.
SENTENCES = 5
KINDS = {"appeared": "New", "disappeared": "Gone", "kept": "Kept"}


def changes_query(owner: str, request: dict) -> PeriodRulesQuery | None:
    """The query of a request: the answered comparison, at the thresholds the Rules page
    last showed for its dataset (None: no comparison answered yet)."""
    comparison = answered_query(request["comparison"])
    if comparison is None:
        return None
    asked = {"dataset": comparison.dataset, "rules": request["rules"]}
    return results.period_rules_query(owner, comparison, *rules_asked(asked))


def changes_ready(owner: str, request: dict) -> dict | bool | None:
    """What the answer carries when the rules per period are stored; False when a job
    must mine them; None before the comparison is answered."""
    query = changes_query(owner, request)
    if query is None:
        return None
    if not results.prepared(owner, query.dataset).has_products:
        raise DataError(results.NO_PRODUCTS)
    return {"query": query.to_json()} if results.period_mining_ready(owner, query) else False


def mine_periods(owner: str, request: dict, report) -> dict:
    """Mine and store each period's rules and top products (in a background job)."""
    query = changes_query(owner, request)
    if query is None:
        raise DataError("Compare the periods first.")
    results.period_mining(owner, query, report=report)
    return {"query": query.to_json()}


CHANGES = long_work.LongWork(
    ids=ids.PERIOD_CHANGES_WORK,
    message=ids.PERIOD_CHANGES_MESSAGE,
    request={
        "comparison": Input(ids.OVER_TIME_WORK.answer, "data"),
        "rules": State(ids.RULES_CHOICE, "data"),
    },
    ready=changes_ready,
    compute=mine_periods,
    busy=(ids.PERIOD_RULES_TABLE,),
)


def segment_choices(answer, current, selected):
    """The comparison's segments to pick from, the one picked kept (else the one selected
    on the other pages, else the first), and the picker framed in its colour."""
    try:
        found = stored(answer)
    except DataError:
        found = None
    if found is None:
        return [], None, {}
    names = found[1].names
    options = [{"label": name, "value": str(segment)} for segment, name in names.items()]
    for wanted in (whole_number(current), whole_number(selected), next(iter(names), None)):
        if wanted in names:
            return options, str(wanted), layout.segment_box_style(figures.segment_colour(wanted))
    return options, None, {}


def show_changes(answer, later, segment):
    """The picked segment's top products and rules in the first and the later period,
    from storage, the sentences of its strongest rules and a caption."""
    empty = (layout.product_changes_grid("", ""), layout.rule_changes_grid("", ""), None)
    request = CHANGES.answered(answer)
    chosen = whole_number(segment)
    if request is None or chosen is None:
        return (*empty, layout.PICK_A_SEGMENT)
    try:
        query = PeriodRulesQuery.from_json((long_work.result_of(answer) or {}).get("query"))
        found = results.over_time(current_owner(), query.comparison, only_cached=True)
        mined = results.period_mining(current_owner(), query, only_cached=True)
    except DataError as error:
        return (*empty, str(error))
    pair = period_pair(found, later)
    if chosen not in found.names:
        return (*empty, layout.PICK_A_SEGMENT)
    return changes_views(mined, query, found.names[chosen], chosen, pair)


def period_pair(found: OverTime, later: Any) -> tuple[str, str]:
    """The reference period and the later one picked (the first later one, when the pick
    is not one of them)."""
    labels = list(found.periods.labels)
    reference = labels[found.reference]
    laters = [label for label in labels if label != reference]
    return reference, later if later in laters else laters[0]


def changes_views(mined, query: PeriodRulesQuery, name: str, segment: int, pair) -> tuple:
    """The two grids, the sentences and the caption of one segment in two periods."""
    from basket_segments.analytics.period_changes import product_changes, rule_changes

    first, later = pair
    rules = [segment_rules(mined.rules, query, segment, label) for label in pair]
    changed = rule_changes(*rules, top=None)
    products = [_rows(mined.products, segment, label) for label in pair]
    shown_products = product_changes(*products, top=TOP)
    shown = changed.head(TOP)
    return (
        layout.product_changes_grid(first, later, _records(shown_products)),
        layout.rule_changes_grid(first, later, _records(_sides_written(shown))),
        sentences(said(shown.head(SENTENCES))),
        caption(name, pair, [len(table) for table in rules], changed["kind"].value_counts()),
    )


def said(rules: pd.DataFrame) -> list[str]:
    """The rules' sentences (the Rules page's), each after what became of the rule.

    >>> import pandas as pd
    >>> said(pd.DataFrame({"kind": ["appeared"], "sentence": ["Customers who buy tea..."]}))
    ['New: Customers who buy tea...']
    """
    kinds = rules["kind"].map(KINDS)
    return [f"{kind}: {sentence}" for kind, sentence in zip(kinds, rules["sentence"], strict=True)]


def segment_rules(rules: pd.DataFrame, query: PeriodRulesQuery, segment: int, period: str):
    """One segment's rules of one period at the query's thresholds, redundant ones left
    out, as the Rules page shows them by default."""
    from basket_segments.analytics.rules import filter_rules

    group = filter_rules(_rows(rules, segment, period), query.rules)
    return group[~group["redundant"].astype(bool)] if len(group) else group


def _rows(table: pd.DataFrame, segment: int, period: str) -> pd.DataFrame:
    """The rows of one segment in one period."""
    keep = (table["segment"].to_numpy() == segment) & (table["period"].to_numpy() == period)
    return table[keep].reset_index(drop=True)


def caption(name: str, pair: tuple[str, str], counts: list[int], kinds: pd.Series) -> str:
    """How many rules each period holds and what changed, in one sentence.

    >>> import pandas as pd
    >>> caption("Big", ("A", "B"), [3, 2], pd.Series({"kept": 1, "appeared": 1}))
    'Big: 3 rules in A, 2 in B; 1 appeared, 2 disappeared, 1 kept.'
    """
    first, later = counts
    kept = int(kinds.get("kept", 0))
    return (
        f"{name}: {first:,} rules in {pair[0]}, {later:,} in {pair[1]}; "
        f"{later - kept:,} appeared, {first - kept:,} disappeared, {kept:,} kept."
    )


def _sides_written(rules: pd.DataFrame) -> pd.DataFrame:
    """The rules with their sides written out, as the Rules page's grid lists them."""
    return rules.assign(
        antecedent=rules["antecedent"].map(", ".join),
        consequent=rules["consequent"].map(", ".join),
    )


def _records(table: pd.DataFrame) -> list[dict]:
    """Rows as JSON-ready dicts (missing values as None)."""
    return table.astype(object).where(table.notna(), None).to_dict("records")


def register(app: Dash) -> None:
    long_work.register(app, CHANGES)
    app.callback(
        Output(ids.PERIOD_SEGMENT, "options"),
        Output(ids.PERIOD_SEGMENT, "value"),
        Output(ids.PERIOD_SEGMENT_BOX, "style"),
        Input(ids.OVER_TIME_WORK.answer, "data"),
        Input(ids.PERIOD_SEGMENT, "value"),
        State(ids.SELECTED_SEGMENT, "data"),
        prevent_initial_call=True,
    )(segment_choices)
    app.callback(
        Output(ids.PERIOD_PRODUCTS_TABLE, "children"),
        Output(ids.PERIOD_RULES_TABLE, "children"),
        Output(ids.PERIOD_RULE_SENTENCES, "children"),
        Output(ids.PERIOD_CHANGES_CAPTION, "children"),
        Input(ids.PERIOD_CHANGES_WORK.answer, "data"),
        Input(ids.LATER_PERIOD, "value"),
        Input(ids.PERIOD_SEGMENT, "value"),
        prevent_initial_call=True,
    )(show_changes)
