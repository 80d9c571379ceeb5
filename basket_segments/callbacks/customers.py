"""Customers page callbacks: one customer's segment, standing, purchases and what to offer.

Looking a customer up is long work the first time: the segments and the rules
it needs are computed (and stored) in a background job. The rules are the ones
the Rules page showed for this dataset, at its thresholds, not the defaults.
"""

from __future__ import annotations

from dash import Dash, Input, Output, State, no_update

from basket_segments import ids, results
from basket_segments.analytics.errors import DataError
from basket_segments.analytics.profiles import customer_standing
from basket_segments.analytics.recommend import recommend_for_customer
from basket_segments.analytics.rules import ALL_CUSTOMERS, RuleParams, filter_rules
from basket_segments.auth import current_owner
from basket_segments.callbacks import long_work
from basket_segments.choices import RULE_DEFAULTS, SegmentParams, rule_params
from basket_segments.layouts import customers as layout
from basket_segments.layouts.common import message

#: Products offered to one customer.
TOP = 5


def rules_asked(request: dict) -> tuple[RuleParams, str]:
    """The thresholds and basket the Rules page last showed for this dataset, else the
    defaults.

    >>> rules_asked({"dataset": 1, "rules": {"dataset": 1, "support": 0.01, "confidence":
    ...     0.3, "lift": 1.0, "length": 3, "basket": "invoice"}})[0].min_support
    0.01
    """
    chosen = request.get("rules") or {}
    if chosen.get("dataset") != request["dataset"]:
        return RULE_DEFAULTS, "customer"
    thresholds = (chosen.get(name) for name in ("support", "confidence", "lift", "length"))
    return rule_params(*thresholds), chosen.get("basket") or "customer"


def _choices(owner: str, request: dict) -> tuple[SegmentParams | None, RuleParams, str]:
    params = results.chosen_segments(owner, request["dataset"], request["settings"])
    return (params, *rules_asked(request))


def lookup_ready(owner: str, request: dict) -> bool | None:
    """Whether the segments and rules a lookup needs are stored (None: nothing asked)."""
    if not (request["customer"] or "").strip() or request["dataset"] is None:
        return None
    params, wanted, basket = _choices(owner, request)
    ready = params is None or results.segments_ready(owner, request["dataset"], params)
    if results.prepared(owner, request["dataset"]).has_products:
        ready = ready and results.mining_ready(owner, request["dataset"], params, wanted, basket)
    return ready


def prepare_lookup(owner: str, request: dict, report) -> None:
    """Compute and store what a lookup needs (in a background job)."""
    params, wanted, basket = _choices(owner, request)
    if results.prepared(owner, request["dataset"]).has_products:
        results.mining(owner, request["dataset"], params, wanted, basket, report=report)
    elif params is not None:
        results.segments(owner, request["dataset"], params, report)


LOOKUP = long_work.LongWork(
    ids=ids.CUSTOMERS_WORK,
    message=ids.CUSTOMER_MESSAGE,
    request={
        "customer": State(ids.CUSTOMER_INPUT, "value"),
        "settings": State(ids.SEGMENT_SETTINGS, "data"),
        "dataset": State(ids.ACTIVE_DATASET, "data"),
        "rules": State(ids.RULES_CHOICE, "data"),
    },
    triggers=[Input(ids.CUSTOMER_LOOKUP, "n_clicks"), Input(ids.CUSTOMER_INPUT, "n_submit")],
    ready=lookup_ready,
    compute=prepare_lookup,
)


def show_customer(answer):
    """Segment, standing, purchases and up to five recommendations, each with its reason."""
    request = long_work.answered(answer)
    if request is None:
        return no_update
    owner, customer = current_owner(), request["customer"].strip()
    try:
        return _card(owner, request, customer)
    except DataError as error:
        return message(str(error))


def _card(owner: str, request: dict, customer: str):
    dataset = request["dataset"]
    data = results.prepared(owner, dataset)
    bought = results.purchases_of(owner, dataset, customer) if data.has_products else None
    if customer not in data.customers.index and not bought:
        return message(f"There is no customer '{customer}' in this dataset.")
    params, wanted, basket = _choices(owner, request)
    segment, name, standing = _segment_of(owner, dataset, params, customer)
    if not data.has_products:
        return layout.customer_card(customer, segment, name, standing, None, None, None)
    mined = results.mining(owner, dataset, params, wanted, basket)
    group = ALL_CUSTOMERS if segment is None else segment
    rules = filter_rules(mined.rules, wanted)
    picks = recommend_for_customer(bought, group, rules, mined.products, top=TOP)
    note = source_note(picks, wanted)
    return layout.customer_card(customer, segment, name, standing, bought, picks, note)


def _segment_of(owner: str, dataset, params: SegmentParams | None, customer: str):
    """The customer's segment number, name and standing in it (None: not segmented)."""
    if params is None:
        return None, None, None
    result = results.segments(owner, dataset, params)
    row = result.table[result.table["customer"] == customer]
    if row.empty:
        return None, None, None
    segment = int(row["segment"].iat[0])
    standing = customer_standing(result.table, result.segments.features, customer)
    return segment, result.names[segment], standing


def source_note(picks, wanted: RuleParams) -> str | None:
    """Where the recommendations come from: the user's rules, and popularity only for the
    places no rule fills.

    >>> import pandas as pd
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


def register(app: Dash) -> None:
    long_work.register(app, LOOKUP)
    app.callback(
        Output(ids.CUSTOMER_RESULT, "children"),
        Input(ids.CUSTOMERS_WORK.answer, "data"),
        prevent_initial_call=True,
    )(show_customer)
