"""Customers page callbacks: one customer's segment, standing, purchases and what to offer.

Looking a customer up is long work the first time: the segments and the rules
it needs are computed (and stored) in a background job. The rules are the ones
the Rules page showed for this dataset, at its thresholds, not the defaults.
"""

from __future__ import annotations

from dash import ALL, Dash, Input, Output, State, no_update

from basket_segments import ids
from basket_segments.analytics.errors import DataError
from basket_segments.analytics.stages import ALL_CUSTOMERS, RuleParams
from basket_segments.callbacks import long_work
from basket_segments.callbacks.common import rules_asked
from basket_segments.layouts import customers as layout
from basket_segments.layouts.common import message, page_path
from basket_segments.queries import RulesQuery, text_or_none
from basket_segments.store import results, storage
from basket_segments.store.owner import current_owner

#: Products offered to one customer.
TOP = 5
#: The longest customer id the page's address may name.
MAX_CUSTOMER_ID = 200
#: The longest sentence shown for missing recommendations (it comes back from the browser).
MAX_NOTE_LENGTH = 300


def lookup_query(owner: str, request: dict) -> RulesQuery:
    """The rules a lookup recommends from, on the dataset's own segmentation."""
    return results.rules_query(owner, request["dataset"], *rules_asked(request))


def lookup_ready(owner: str, request: dict) -> bool | None:
    """Whether the segments and rules a lookup needs are stored (None: nothing asked)."""
    if not (text_or_none(request["customer"]) or "").strip() or request["dataset"] is None:
        return None
    query = lookup_query(owner, request)
    ready = query.segments is None or results.segments_ready(owner, query.dataset, query.segments)
    if results.prepared(owner, query.dataset).has_products:
        ready = ready and results.mining_ready(owner, query)
    return ready


def prepare_lookup(owner: str, request: dict, report) -> dict | None:
    """Compute and store what a lookup needs (in a background job). Rules that cannot be
    mined at the Rules page's thresholds (too many combinations) leave the customer's
    segment to show: the answer then says why there are no recommendations."""
    query = lookup_query(owner, request)
    if query.segments is not None:
        results.segments(owner, query.dataset, query.segments, report)
    if results.prepared(owner, query.dataset).has_products:
        try:
            results.mining(owner, query, report=report)
        except DataError as error:
            return {"no_rules": str(error)}
    return None


LOOKUP = long_work.LongWork(
    ids=ids.CUSTOMERS_WORK,
    message=ids.CUSTOMER_MESSAGE,
    request={
        "customer": State(ids.CUSTOMER_INPUT, "value"),
        "dataset": State(ids.ACTIVE_DATASET, "data"),
        "rules": State(ids.RULES_CHOICE, "data"),
    },
    triggers=[Input(ids.CUSTOMER_LOOKUP, "n_clicks"), Input(ids.CUSTOMER_INPUT, "n_submit")],
    ready=lookup_ready,
    compute=prepare_lookup,
    busy=(ids.CUSTOMER_RESULT,),
)


def show_customer(answer):
    """Segment, standing, purchases and up to five recommendations, each with its reason."""
    request = LOOKUP.answered(answer)
    if request is None:
        return no_update
    owner, customer = current_owner(), request["customer"].strip()
    no_rules = (long_work.result_of(answer) or {}).get("no_rules")
    try:
        return _card(owner, request, customer, no_rules if isinstance(no_rules, str) else None)
    except DataError as error:
        return message(str(error))


def _card(owner: str, request: dict, customer: str, no_rules: str | None = None):
    from basket_segments.analytics.recommend import recommend_for_customer
    from basket_segments.analytics.rules import filter_rules

    query = lookup_query(owner, request)
    data = results.prepared(owner, query.dataset)
    bought = results.purchases_of(owner, query.dataset, customer) if data.has_products else None
    if customer not in data.customers.index and not bought:
        return message(f"There is no customer '{customer}' in this dataset.")
    segment, name, standing, typical = _segment_of(owner, query, customer)
    periods = _periods_of(owner, query.dataset, customer)
    if not data.has_products:
        return layout.customer_card(
            customer, segment, name, standing, typical, None, None, None, periods
        )
    try:
        mined = results.mining(owner, query, only_cached=True)
    except DataError as error:  # not mined: the segment still shows, and why no offers
        why = f"No recommendations: {no_rules or error}"[:MAX_NOTE_LENGTH]
        card = layout.customer_card(
            customer, segment, name, standing, typical, bought, None, None, periods
        )
        return [message(why, "info"), card]
    group = ALL_CUSTOMERS if segment is None else segment
    rules = filter_rules(mined.rules, query.rules)
    picks = recommend_for_customer(bought, group, rules, mined.products, top=TOP)
    note = source_note(picks, query.rules)
    return layout.customer_card(
        customer, segment, name, standing, typical, bought, picks, note, periods
    )


def _periods_of(owner: str, dataset_id: int, customer: str):
    """The customer's segment in each period of the dataset's stored comparison (the Over
    time page's last, for its current segmentation); None when there is none, or the
    customer is in none of its periods."""
    from basket_segments.analytics.over_time import customer_periods

    found = results.current_over_time(owner, dataset_id)
    if found is None:
        return None
    periods = customer_periods(found, customer)
    return None if periods["segment"].isna().all() else periods


def _segment_of(owner: str, query: RulesQuery, customer: str):
    """The customer's segment number, name, standing in it and how typical of it they are
    (None: not segmented)."""
    from basket_segments.analytics.profiles import customer_standing
    from basket_segments.analytics.typicality import typicality

    if query.segments is None:
        return None, None, None, None
    result = results.segments(owner, query.dataset, query.segments, only_cached=True)
    if result is None:
        raise DataError(results.NOT_SEGMENTED)
    row = result.table[result.table["customer"] == customer]
    if row.empty:
        return None, None, None, None
    segment, found = int(row["segment"].iat[0]), result.segments
    standing = customer_standing(result.table, found.features, customer)
    typical = typicality(result.table, found.features, found.scaling, customer)
    return segment, result.names[segment], standing, typical


def source_note(picks, wanted: RuleParams) -> str | None:
    """Where the recommendations come from: the user's rules, and popularity only for the
    places no rule fills.

    >>> import pandas as pd
    >>> from basket_segments.queries import RULE_DEFAULTS
    >>> source_note(pd.DataFrame({"source": ["popular in segment"]}), RULE_DEFAULTS)
    '1 popular in the segment, where no rule applies.'
    """
    if not len(picks):
        return None
    from_rules = int((picks["source"] == "rule").sum())
    popular = len(picks) - from_rules
    parts = []
    if from_rules:
        parts.append(
            f"{from_rules} from the rules at support {wanted.min_support:g} and confidence "
            f"{wanted.min_confidence:g} (as on the Rules page)"
        )
    if popular:
        parts.append(f"{popular} popular in the segment, where no rule applies")
    return "; ".join(parts) + "."


def open_customer(clicked, prefix: str):
    """A click on a customer's id in a grid that lists customers opens them on this page."""
    from urllib.parse import urlencode

    from dash import ctx

    cell = ctx.triggered[0].get("value") if ctx.triggered else None
    if not isinstance(cell, dict) or cell.get("colId") != "customer":
        return no_update, no_update
    customer = cell.get("value")
    if not isinstance(customer, str) or not customer.strip():
        return no_update, no_update
    query = urlencode({"customer": customer.strip()[:MAX_CUSTOMER_ID]})
    return page_path(prefix, "customers"), f"?{query}"


def show_placeholder(_ready, active) -> str:
    """The customer box suggests a real customer id of the open dataset, read from its
    record (nothing is loaded); a neutral placeholder when none is known."""
    if active is None:
        return layout.customer_placeholder(None)
    try:
        info = storage.get_dataset(current_owner(), active)
    except DataError:  # not theirs, deleted, or a forged id
        return layout.customer_placeholder(None)
    return layout.customer_placeholder(info.example_customer)


def customer_from_address(_ready, search):
    """A customer the page's address names (``?customer=...``: a link from the Rules page's
    covered customers) goes in the box and is looked up at once.

    >>> customer_from_address(0, "?customer=17850&x=1")
    ('17850', 1)
    >>> customer_from_address(0, "") == (no_update, no_update)
    True
    """
    from urllib.parse import parse_qs

    text = search if isinstance(search, str) else ""
    named = parse_qs(text.removeprefix("?")).get("customer") or [""]
    customer = named[0].strip()[:MAX_CUSTOMER_ID]
    return (customer, 1) if customer else (no_update, no_update)


def register(app: Dash) -> None:
    prefix = app.config.url_base_pathname
    app.callback(
        Output(ids.URL, "pathname"),
        Output(ids.URL, "search"),
        Input(ids.moved_grid(ALL), "cellClicked"),
        prevent_initial_call=True,
    )(lambda clicked: open_customer(clicked, prefix))
    app.callback(
        Output(ids.CUSTOMER_INPUT, "value"),
        Output(ids.CUSTOMER_INPUT, "n_submit"),
        Input(ids.CUSTOMERS_READY, "data"),
        State(ids.URL, "search"),
    )(customer_from_address)
    app.callback(
        Output(ids.CUSTOMER_INPUT, "placeholder"),
        Input(ids.CUSTOMERS_READY, "data"),
        State(ids.ACTIVE_DATASET, "data"),
    )(show_placeholder)
    long_work.register(app, LOOKUP)
    app.callback(
        Output(ids.CUSTOMER_RESULT, "children"),
        Input(ids.CUSTOMERS_WORK.answer, "data"),
        prevent_initial_call=True,
    )(show_customer)
