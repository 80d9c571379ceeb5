"""Rules page callbacks: the selected segment's rules, sentences, scatter, top products.

One request, resolved once. Asking for rules resolves the page's inputs into a
``RulesQuery`` (the dataset's own segmentation, the checked thresholds); the
answer carries what was resolved, so no later hop resolves it again. A move of a
control that only filters the stored mining (a tighter threshold, a segment, a
product) is answered without storage by the ask (``rules_key``), draws a new grid
without storage (``show_view``), and the grid's first request of the view reads
the dataset's record once and the stored mining once, answering its rows and
drawing the sentences, the scatter and the top products (``rules_rows``). The
mining job draws the first view of all customers and of each segment ahead
(``draw_ahead``), so that picking a group only reads what it drew.
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go
from dash import ALL, MATCH, Dash, Input, Output, State, ctx, no_update, set_props

from basket_segments import figures, ids
from basket_segments.analytics.errors import DataError
from basket_segments.analytics.rule_filters import view_rules
from basket_segments.analytics.rule_graph import graph_size
from basket_segments.analytics.stages import ALL_CUSTOMERS, ALL_CUSTOMERS_NAME
from basket_segments.callbacks import long_work, rule_views
from basket_segments.callbacks.common import NO_DATASET, after_the_answer, download_link
from basket_segments.callbacks.grid_rows import filtered, rows_block, sorted_rows
from basket_segments.layouts import rules as layout
from basket_segments.layouts.common import DOWNLOAD_WAITING, message
from basket_segments.layouts.grids import BLOCK_SIZE
from basket_segments.queries import (
    MAX_FILTER_PRODUCTS,
    THRESHOLDS,
    RulesQuery,
    basket_choice,
    rule_filter,
    rule_params,
    side_filters,
    text_or_none,
    texts,
    whole_number,
)
from basket_segments.store import jobs, results
from basket_segments.store.owner import current_owner
from basket_segments.web import downloads

if TYPE_CHECKING:
    import pandas as pd

#: Most rules drawn in the scatter; the grid pages through all of them.
MAX_SCATTER_RULES = 1000
#: Most products a product box offers for what is typed.
MAX_OFFERED = 50
#: What a Rules request's rules depend on besides the segments (the Customers page's too).
RULE_CHOICE = (*THRESHOLDS, "basket")
SHOWN, HIDDEN = {}, {"display": "none"}
#: The download of the rules a view's grid lists.
SHOWN_RULES_FILE = "rules_shown.csv"
#: The download of the top products a view's charts draw.
SHOWN_PRODUCTS_FILE = "top_products_shown.csv"
NO_ROWS = {"rowData": [], "rowCount": 0}


def init_rules(_ready, active, selected):
    """Segment choices and basket choices, for the open dataset (the product boxes find
    their products as the user types: ``suggest_products``).

    Only stored results: segments not computed yet are computed by the mining job,
    whose answer then fills in their names (``segment_choices``).
    """
    if active is None:
        return [], None, [], message(NO_DATASET, "info")
    owner = current_owner()
    try:
        data = results.prepared(owner, active)
        names = _stored_names(owner, active)
    except DataError as error:
        return [], None, [], message(str(error))
    if not data.has_products:
        return [], None, [], message(results.NO_PRODUCTS, "info")
    chosen = whole_number(selected)
    value = str(chosen if chosen in names else ALL_CUSTOMERS)
    baskets = [
        {"label": "a customer", "value": "customer"},
        {"label": "an invoice", "value": "invoice", "disabled": not data.has_invoices},
    ]
    return segment_options(names), value, baskets, None


def _stored_names(owner: str, dataset: int) -> dict[int, str]:
    """The names of the dataset's own segments, if they are stored."""
    params = results.current_segments(owner, dataset)
    found = results.segments(owner, dataset, params, only_cached=True) if params else None
    return found.names if found is not None else {}


def segment_options(names: dict[int, str]) -> list[dict]:
    """All customers, then each segment by name; a select's values are text, so each
    is the segment's number written out (read back by ``segment_choice``).

    >>> segment_options({0: "Young"})
    [{'label': 'All customers', 'value': '-1'}, {'label': 'Young', 'value': '0'}]
    """
    return [{"label": ALL_CUSTOMERS_NAME, "value": str(ALL_CUSTOMERS)}] + [
        {"label": name, "value": str(segment)} for segment, name in names.items()
    ]


def segment_choice(value) -> int | None:
    """The segment the segment select holds: its number (``ALL_CUSTOMERS`` for all
    customers), from the text the browser sends or a number; None for anything else.

    >>> segment_choice("2"), segment_choice("-1"), segment_choice(0), segment_choice("all")
    (2, -1, 0, None)
    """
    return whole_number(value)


def segment_choices(answer, options):
    """The segments the answer's mining was made on, once the job has made them."""
    result = long_work.result_of(answer) or {}
    given = result.get("names") if isinstance(result.get("names"), dict) else {}
    names = {
        whole_number(segment): name
        for segment, name in given.items()
        if whole_number(segment) is not None and isinstance(name, str)
    }
    wanted = segment_options(names)
    return no_update if not names or wanted == options else wanted


def suggest_products(typed, view):
    """A product box's list: up to ``MAX_OFFERED`` products of the view's stored rules
    whose name holds what is typed (a segment's thousands of products never travel to
    the browser at once)."""
    wanted = (text_or_none(typed) or "").strip().casefold()
    products = _rule_products(view)
    if not wanted or products is None:
        return []
    found = sorted(name for name in products if wanted in name.casefold())
    return layout.product_options(found[:MAX_OFFERED])


def add_product(_submit, typed, options, chosen, view):
    """Enter in a product box: the product typed (any case) joins the box's ticked
    products and the box empties; a name no product of the rules has gets a sentence."""
    name = (text_or_none(typed) or "").strip()
    products = _rule_products(view)
    if not name or products is None:
        return no_update, no_update, no_update, None
    named = {product.casefold(): product for product in products}
    product = name if name in products else named.get(name.casefold())
    if product is None:
        return no_update, no_update, no_update, layout.unknown_product(name)
    ticked = list(dict.fromkeys([*texts(chosen), product]))
    if len(ticked) > MAX_FILTER_PRODUCTS:
        return no_update, no_update, no_update, layout.too_many_products()
    listed = list(dict.fromkeys([*_option_values(options), product]))
    if len(listed) > 2 * MAX_FILTER_PRODUCTS:  # unticked ones go first
        listed = ticked
    boxes = [{"label": item, "value": item} for item in listed]
    return boxes, ticked, "", None


def _option_values(options) -> list[str]:
    """The values of a checklist's options as the browser sends them back."""
    found = options if isinstance(options, list) else []
    return texts([option.get("value") for option in found if isinstance(option, dict)])


def _rule_products(view) -> set[str] | None:
    """The products of the view's group's stored rules (None: no view or rules yet)."""
    if not isinstance(view, dict) or RULES.answered(view.get("answer")) is None:
        return None
    try:
        query = answered_query(view["answer"])
        rules = results.mining(current_owner(), query, only_cached=True).rules
    except DataError:
        return None
    segment = whole_number(view.get("segment"))
    return rule_products(rules, ALL_CUSTOMERS if segment is None else segment)


def rule_products(rules: pd.DataFrame, segment: int) -> set[str]:
    """The products of a group's rules, on either side.

    >>> import pandas as pd
    >>> rules = pd.DataFrame({"segment": [0, 1], "antecedent": [("tea",), ("jam",)],
    ...     "consequent": [("milk",), ("bread",)]})
    >>> sorted(rule_products(rules, 0))
    ['milk', 'tea']
    """
    group = rules[rules["segment"].to_numpy() == segment]
    return {
        item
        for side in (group["antecedent"], group["consequent"])
        for items in side
        for item in items
    }


def choose_segment(value):
    """Picking a segment here selects it everywhere (None means all customers)."""
    segment = segment_choice(value)
    return None if segment in (None, ALL_CUSTOMERS) else segment


def asked_query(owner: str, request: dict) -> RulesQuery:
    """The query of a request, resolved on the dataset's own segmentation."""
    thresholds = [request.get(name) for name in THRESHOLDS]
    return results.rules_query(owner, request["dataset"], thresholds, request["basket"])


def described(owner: str, query: RulesQuery) -> dict:
    """What an answer carries: the segmentation the rules were mined on, and its names."""
    names = {}
    if query.segments is not None:
        found = results.segments(owner, query.dataset, query.segments, only_cached=True)
        names = found.names if found is not None else {}
    segments = query.segments.key() if query.segments else None
    return {"segments": segments, "names": {str(s): name for s, name in names.items()}}


def rules_ready(owner: str, request: dict) -> dict | bool | None:
    """What the answer carries when the rules asked for are stored; False when a job must
    mine them; None when no dataset is open."""
    if request["dataset"] is None:
        return None
    query = asked_query(owner, request)
    return described(owner, query) if results.mining_ready(owner, query) else False


def mine(owner: str, request: dict, report) -> dict:
    """Mine and store the rules and top products asked for (in a background job)."""
    query = asked_query(owner, request)
    results.mining(owner, query, report=report)
    answer = described(owner, query)
    groups = [ALL_CUSTOMERS, *(whole_number(segment) for segment in answer["names"])]
    groups = [group for group in groups if group is not None][:MAX_DRAWN_AHEAD]
    drawn, rest = draw_ahead(owner, query, groups, within=AHEAD_SECONDS)
    if rest:  # the page shows the rules meanwhile
        jobs.after_the_result(lambda: draw_ahead(owner, query, rest, drawn))
    return answer


def rules_key(request: dict) -> dict | None:
    """Which stored mining answers a request, from the request alone: a request with the
    same key as the answered one only filters it (None: a request that cannot be read)."""
    try:
        wanted = rule_params(*(request.get(name) for name in THRESHOLDS))
        basket = basket_choice(request["basket"])
    except (DataError, KeyError, TypeError):
        return None
    return {
        "dataset": request["dataset"],
        "basket": basket,
        "mining": asdict(results.mining_params(wanted)),
    }


RULES = long_work.LongWork(
    ids=ids.RULES_WORK,
    message=ids.RULES_MESSAGE,
    request={
        "dataset": State(ids.ACTIVE_DATASET, "data"),
        "support": Input(ids.MIN_SUPPORT, "value"),
        "confidence": Input(ids.MIN_CONFIDENCE, "value"),
        "lift": Input(ids.MIN_LIFT, "value"),
        "length": Input(ids.MAX_LENGTH, "value"),
        "basket": Input(ids.BASKET_CHOICE, "value"),
        "limit": Input(ids.RULE_LIMIT, "value"),
    },
    # The page's controls are filled first (init_rules), then the rules are asked for.
    triggers=[Input(ids.RULES_SEGMENT, "options")],
    ready=rules_ready,
    compute=mine,
    key=rules_key,
    busy=(ids.RULES_TABLE,),
)


def answered_query(answer: dict | None) -> RulesQuery | None:
    """The query an answer answers: the request's thresholds (checked again: they came
    back from the browser) on the segmentation the answer was resolved with."""
    request = RULES.answered(answer)
    if request is None:
        return None
    if not isinstance(request, dict):
        raise DataError("That request is damaged; change a setting to ask again.")
    fields = ("min_support", "min_confidence", "min_lift", "max_length", "max_rules")
    asked = {
        "dataset": request.get("dataset"),
        "segments": (long_work.result_of(answer) or {}).get("segments"),
        "rules": {field: request.get(name) for field, name in zip(fields, THRESHOLDS, strict=True)},
        "basket": request.get("basket"),
    }
    return RulesQuery.from_json(asked)


def show_view(answer, hide, sides, segment, significant=False, measures=None, top=None):
    """A new rules grid for what the page shows now (``sides``: the product boxes' values
    by box, ``chosen_sides``; the extra ``measures`` chosen, ``top`` rules in the item
    graph); it asks for its rows (``rules_rows``), which draw the rest. No storage is read
    here."""
    segment = segment_choice(segment)
    if segment is None or RULES.answered(answer) is None:
        _clear_view()
        return None, []
    try:
        checked = side_filters(sides)
    except DataError as error:
        set_props(ids.RULES_MESSAGE, {"children": message(str(error))})
        return no_update, no_update
    view = {"answer": answer, "hide": hide, "sides": checked.to_json(), "segment": segment}
    view["significant"] = significant is True
    view["measures"] = [m for m in layout.MORE_MEASURES if m in texts(measures)]
    view["top"] = graph_size(top)
    # Picking a segment leaves everyone's top products as drawn; anything else redraws them.
    view["everyone"] = set(ctx.triggered_prop_ids) != {f"{ids.RULES_SEGMENT}.value"}
    segmented = (long_work.result_of(answer) or {}).get("segments") is not None
    grid = layout.rules_grid(ids.view_token(view), segmented, view["measures"])
    return view, grid


def chosen_sides(boxes, values) -> dict:
    """The product boxes' values by box name, from the boxes' ids and values as the
    pattern-matching callback gets them (lists in the same order).

    >>> chosen_sides([{"box": "include_either"}, "junk"], [["tea"], ["jam"]])
    {'include_either': ['tea']}
    """
    if not isinstance(boxes, list) or not isinstance(values, list):
        return {}
    return {
        box["box"]: value
        for box, value in zip(boxes, values, strict=False)
        if isinstance(box, dict) and isinstance(box.get("box"), str)
    }


def _clear_view() -> None:
    """No rules to show (no answer yet, or a new request on its way): old ones go."""
    set_props(ids.RULE_SENTENCES, {"children": layout.sentences([])})
    set_props(ids.RULES_SCATTER, {"figure": go.Figure()})
    set_props(ids.RULES_SCATTER_BOX, {"style": HIDDEN})
    set_props(ids.SEGMENT_PRODUCTS, {"figure": go.Figure()})
    set_props(ids.OVERALL_PRODUCTS, {"figure": go.Figure()})
    set_props(ids.OVERALL_PRODUCTS_BOX, {"style": HIDDEN})
    set_props(ids.SIGNIFICANCE_NOTE, {"children": None})
    rule_views.clear_views()


def rules_rows(grid_request, view, prefix: str | None = None):
    """One block of the rules grid: the view's rules after the grid's own column filters
    and sort order (AG Grid's infinite row model asks as the user pages). The first
    block of a view also draws the sentences, the scatter and the top products (drawn
    ahead by the mining job for each group's first view: ``draw_ahead``); every first
    block (a new view, sort or filter) points "Download these rules" at exactly these
    rows in this order."""
    if not isinstance(view, dict) or RULES.answered(view.get("answer")) is None:
        return NO_ROWS  # answered all the same: a request left waiting jams the grid's loader
    first = _first_block(grid_request)
    owner = current_owner()
    try:
        query = answered_query(view["answer"])
        choice = rule_filter(view, query)
        if first:
            rows = _draw_first_block(owner, query, choice, view, grid_request)
        else:
            mined = results.mining(owner, query, only_cached=True)
            picked = rule_views.picked_rules(view_rules(mined.rules, choice), view)
            rows = rows_block(grid_table(picked), grid_request)
    except DataError as error:
        return _say_failure(error, first)
    asked = grid_request if isinstance(grid_request, dict) else {}
    if prefix is not None and not asked.get("startRow"):
        grid = {key: asked.get(key) for key in ("sortModel", "filterModel")}
        href, look = download_link(prefix, SHOWN_RULES_FILE, {"request": {"view": view, **grid}})
        set_props(ids.DOWNLOAD_SHOWN_RULES, {"href": href, "className": look})
    if prefix is not None and first:
        href, look = download_link(prefix, SHOWN_PRODUCTS_FILE, {"request": {"view": view}})
        set_props(ids.DOWNLOAD_PRODUCTS, {"href": href, "className": look})
    return rows


@dataclass(frozen=True)
class FirstBlock:
    """A view's first block as the grid's first request answers it: its rows, what it
    draws (properties by component id), and everyone's top products (drawn only when
    more than the segment changed)."""

    rows: dict
    drawn: dict[str, dict]
    everyone: dict[str, dict]


def _draw_first_block(owner: str, query: RulesQuery, choice, view: dict, grid_request) -> dict:
    """Draw a view's first block, from what its mining job drew ahead when it is one of
    those views, else from the stored mining; its rows."""
    kept = results.drawn_ahead(owner, query, first_block_key(choice, view, grid_request))
    block = FirstBlock(**kept) if kept is not None else None
    everyone = view.get("everyone", True)
    if block is None:
        mined = results.mining(owner, query, only_cached=True)
        block = first_block(mined, query, choice, view, grid_request, everyone)
    else:  # a click on its views filters the mining: read it once the answer is sent
        after_the_answer(lambda: _read_mining(owner, query))
    for component, props in block.drawn.items():
        set_props(component, props)
    if everyone:
        for component, props in block.everyone.items():
            set_props(component, props)
    return block.rows


def _read_mining(owner: str, query: RulesQuery) -> None:
    """Read the query's mining into this process's recent results (``RECENT_RESULTS_MB``),
    if it is still there to read."""
    with contextlib.suppress(DataError):
        results.mining(owner, query, only_cached=True)


def first_block(mined, query: RulesQuery, choice, view: dict, grid_request, everyone: bool):
    """A view's first block (``FirstBlock``) drawn from its stored mining."""
    shown = view_rules(mined.rules, choice)
    picked = rule_views.picked_rules(shown, view)  # a click on the matrix or the graph
    considered = shown  # the rules the significance test was asked of
    if choice.significance is not None:
        considered = view_rules(mined.rules, replace(choice, significance=None))
    hint = few_rules_hint(mined, query, choice, len(shown))
    drawn = {ids.SIGNIFICANCE_NOTE: {"children": significance_note(considered)}}
    drawn |= _view_drawing(picked, mined, choice.segment, hint)
    drawn |= rule_views.views_drawing(shown, view, len(picked))
    rows = rows_block(grid_table(picked), grid_request)
    return FirstBlock(rows, drawn, _everyone_drawing(mined) if everyone else {})


def _everyone_drawing(mined) -> dict[str, dict]:
    """Everyone's top products, as a ``FirstBlock`` draws them (``everyone``)."""
    figure = figures.products_bar(mined.products, ALL_CUSTOMERS)
    return {ids.OVERALL_PRODUCTS: {"figure": figure.to_plotly_json()}}


def first_block_key(choice, view: dict, grid_request) -> str:
    """What a view's first block depends on besides its query, as text: its rule filter,
    the selection of a view, the graph's size and the block's length (a view's
    ``everyone`` only adds everyone's products, which a block drawn ahead has)."""
    selection = rule_views.selection_of(view)
    asked = grid_request if isinstance(grid_request, dict) else {}
    wanted = {
        "filter": asdict(choice),
        "selection": None if selection is None else selection.to_json(),
        "top": graph_size(view.get("top")),
        "end": whole_number(asked.get("endRow")),
    }
    return json.dumps(wanted, sort_keys=True, default=str)


#: The first block the grid asks for as a view opens (``layouts.grids.BLOCK_SIZE`` rows).
FIRST_REQUEST = {"startRow": 0, "endRow": BLOCK_SIZE, "sortModel": [], "filterModel": {}}
#: Most groups whose first views a mining job draws ahead (all customers first).
MAX_DRAWN_AHEAD = 16
#: CPU seconds of the job's thread a mining's result waits for views drawn ahead (all
#: customers' always, which the page opens with); the rest are drawn after the result.
#: CPU, not wall time: a busy machine slows the job, not which views come first. Every
#: view of a small file fits (``bench.load``'s users pick a segment the moment the rules
#: show, about 20 ms each); the medium benchmark file's six took 0.3 s, which made its
#: first mining 1.09 s against 0.78 s.
AHEAD_SECONDS = 0.15


def draw_ahead(
    owner: str,
    query: RulesQuery,
    groups: list[int],
    kept: dict | None = None,
    within: float | None = None,
) -> tuple[dict, list[int]]:
    """Draw the first view of each group (``ALL_CUSTOMERS`` or a segment) as the page
    opens it (its default switches), and keep them with the mining, beside the ``kept``
    ones: picking a group then costs the request thread no filtering or drawing, which
    run here in the job, at the job's lower priority. A view drawn ahead is what
    ``first_block`` draws; one that cannot be kept (a full quota) is drawn when asked, as
    any other view. With ``within`` seconds, no view is started after that time but the
    first (CPU seconds of this thread). Returns every view kept, and the groups not
    drawn."""
    blocks, started = dict(kept or {}), time.thread_time()
    try:
        mined = results.mining(owner, query, only_cached=True)
    except DataError:
        return blocks, []
    everyone = _everyone_drawing(mined)  # the same for every group
    for done, group in enumerate(groups):
        if done and within is not None and time.thread_time() - started > within:
            return blocks, groups[done:]
        view = default_view(group)
        choice = rule_filter(view, query)
        block = first_block(mined, query, choice, view, FIRST_REQUEST, everyone=False)
        block = replace(block, everyone=everyone)  # kept as plain data, read as a FirstBlock
        drawn = {**blocks, first_block_key(choice, view, FIRST_REQUEST): vars(block)}
        try:  # kept view by view: a pick soon after the result finds the first ones
            results.keep_drawn_ahead(owner, query, drawn)
        except DataError:
            return blocks, []
        blocks = drawn
    return blocks, []


def default_view(segment: int) -> dict:
    """The view of ``segment`` as the page makes it with its switches as they start
    (``show_view``), without its answer (which a first block does not depend on)."""
    return {
        "hide": layout.HIDE_REDUNDANT_DEFAULT,
        "sides": side_filters(None).to_json(),
        "segment": segment,
        "significant": False,
        "measures": [],
        "top": graph_size(None),
    }


def _say_failure(error: DataError, first: bool) -> dict:
    """No rows, and on a view's first block its sentence in place of the old rules."""
    if first:
        _clear_view()
        set_props(ids.RULES_MESSAGE, {"children": message(str(error))})
    return NO_ROWS


def grid_table(shown: pd.DataFrame) -> pd.DataFrame:
    """A view's rules as the grid lists them: its columns, the sides written out."""
    table = shown.assign(
        antecedent=shown["antecedent"].map(", ".join),
        consequent=shown["consequent"].map(", ".join),
    )
    return table[[column.field for column in layout.RULE_TABLE_COLUMNS]]


def shown_rules_table(owner: str, asked: dict) -> pd.DataFrame:
    """ "Download these rules": exactly the rows the grid lists, in its order (the view's
    segment, thresholds, product filter and redundant setting, then the grid's own column
    filters and sort, which its first block put in the link)."""
    table = filtered(view_table(owner, asked.get("view")), asked.get("filterModel"))
    return sorted_rows(table, asked.get("sortModel"))


def shown_products_table(owner: str, asked: dict) -> pd.DataFrame:
    """ "Download these top products": the rows the view's two charts draw, the view's
    segment then all customers (all customers once, when that is the view)."""
    import pandas as pd

    view = asked.get("view")
    if not isinstance(view, dict) or RULES.answered(view.get("answer")) is None:
        raise DataError("That download link is damaged; download from the page again.")
    products = results.mining(owner, answered_query(view["answer"]), only_cached=True).products
    segment = ALL_CUSTOMERS if view.get("segment") is None else whole_number(view["segment"])
    groups = [segment] if segment == ALL_CUSTOMERS else [segment, ALL_CUSTOMERS]
    return pd.concat([products[products["segment"] == group] for group in groups])


def view_table(owner: str, view: Any) -> pd.DataFrame:
    """The rules a view's grid lists (before the grid's own filter and sort), from
    storage; a ``DataError`` for a view that is not one (the download of the view)."""
    return grid_table(picked_view_rules(owner, view))


def picked_view_rules(owner: str, view: Any) -> pd.DataFrame:
    """The rules a view lists, in order, with all their columns; a ``DataError`` for a
    view that is not one."""
    if not isinstance(view, dict) or RULES.answered(view.get("answer")) is None:
        raise DataError("That download link is damaged; download from the page again.")
    query = answered_query(view["answer"])
    mined = results.mining(owner, query, only_cached=True)
    shown = view_rules(mined.rules, rule_filter(view, query))
    return rule_views.picked_rules(shown, view)


def significance_note(rules: pd.DataFrame) -> str | None:
    """How many of the view's rules are unlikely to be chance, beside "Significant only"."""
    from basket_segments.analytics.significance import USUAL_LEVEL

    if rules.empty or "p_adjusted" not in rules.columns:
        return None
    passing = int((rules["p_adjusted"] <= USUAL_LEVEL).sum())
    return (
        f"{passing:,} of {len(rules):,} rules are unlikely to be chance at "
        f"{USUAL_LEVEL:.0%} (Fisher's exact test, corrected for the number of rules tested)."
    )


def _first_block(grid_request) -> bool:
    """Whether the grid asks for its first rows as a view opens (not a page further, nor
    its own sort or filter)."""
    asked = grid_request or {}
    return not asked.get("startRow") and not asked.get("sortModel") and not asked.get("filterModel")


def view_notes(mined, segment) -> tuple[str, ...]:
    """The notes about the group a view shows (a note on another segment misleads: the
    Lapsed view said "Very big spend: kept the 20,000 strongest..."). A mining stored
    before notes were kept by group has them all."""
    grouped = getattr(mined, "group_notes", None)
    if not grouped:
        return tuple(mined.notes)
    return tuple(grouped.get(ALL_CUSTOMERS if segment is None else segment, ()))


def few_rules_hint(mined, query: RulesQuery, choice, shown: int) -> str | None:
    """When a view shows fewer than ``FEW_RULES`` rules, the highest lower support that
    gives more: counted exactly from the stored rules down to the support they were
    mined at, below it from the stored pair counts (a basket file's, no product filter)."""
    from basket_segments.analytics.support_hint import FEW_RULES, SUPPORT_LADDER, support_hint

    if shown >= FEW_RULES:
        return None
    wanted, mined_at = query.rules, results.mining_params(query.rules).min_support
    pairs = getattr(mined, "pairs", None)  # None: an engine or a mining without them
    everyone = choice.segment == ALL_CUSTOMERS and choice.sides.empty
    rules_at = []
    for level in (level for level in SUPPORT_LADDER if level < wanted.min_support):
        if level >= mined_at:
            lower = replace(query, rules=replace(wanted, min_support=level))
            shown_at = view_rules(mined.rules, replace(choice, thresholds=lower.rules))
            rules_at.append((level, len(shown_at), True))
        elif pairs is not None and everyone:
            found = pairs.two_product_rules(level, wanted.min_confidence, wanted.min_lift)
            rules_at.append((level, found, False))
    return support_hint(rules_at, wanted.min_support, shown)


def _view_drawing(shown: pd.DataFrame, mined, segment, hint: str | None) -> dict[str, dict]:
    """Sentences, scatter, notes and the group's top products of a view's rules: the
    properties to set, by component id (figures as the JSON they are sent as)."""
    from basket_segments.analytics.recommend import recommend_for_segment

    notes = [*view_notes(mined, segment), *([hint] if hint else [])]
    if len(shown) > MAX_SCATTER_RULES:
        notes.append(
            f"The chart shows the first {MAX_SCATTER_RULES:,} of {len(shown):,} rules; the "
            "table pages through them all, and the CSV has them too."
        )
    top = recommend_for_segment(shown, segment, top=5)
    scatter = figures.rules_scatter(shown.head(MAX_SCATTER_RULES))
    products = figures.products_bar(mined.products, segment)
    return {
        ids.RULE_SENTENCES: {"children": layout.sentences(top)},
        ids.RULES_SCATTER: {"figure": scatter.to_plotly_json()},
        ids.RULES_SCATTER_BOX: {"style": SHOWN if len(shown) else HIDDEN},
        ids.RULES_MESSAGE: {"children": message(" ".join(notes), "info") if notes else None},
        ids.SEGMENT_PRODUCTS: {"figure": products.to_plotly_json()},
        # beside the group's chart, unless the group is everyone (the same chart twice)
        ids.OVERALL_PRODUCTS_BOX: {"style": SHOWN if segment != ALL_CUSTOMERS else HIDDEN},
    }


def show_clicked_rule(click, view):
    """The clicked rule's sentence. The point carries only its row among the view's
    rules: the chart's thousand sentences were most of a Rules click's answer, for the
    few points anyone clicks."""
    points = click.get("points") if isinstance(click, dict) else None
    point = points[0] if isinstance(points, list) and points else None
    row = point.get("customdata") if isinstance(point, dict) else None
    if isinstance(row, bool) or not isinstance(row, int) or not 0 <= row < MAX_SCATTER_RULES:
        return no_update
    try:
        picked = picked_view_rules(current_owner(), view)
    except DataError:
        return no_update
    return str(picked["sentence"].iat[row]) if row < len(picked) else no_update


def remember_choice(answer):
    """The thresholds and basket the Rules page shows, for the Customers page's
    recommendations (its rules are these, not the defaults)."""
    request = RULES.answered(answer)
    if request is None:
        return no_update
    return {key: request[key] for key in ("dataset", *RULE_CHOICE)}


def download_links(prefix: str, answer: dict | None) -> tuple:
    """Addresses and looks of the rules and the top products downloads: the link names
    the answered query, so the download resolves nothing again."""
    try:
        query = answered_query(answer)
    except DataError:  # a forged answer: no link
        query = None
    asked = None if query is None else {"request": query.to_json(), "result": None}
    return (
        *download_link(prefix, "rules.csv", asked),
        *download_link(prefix, "top_products.csv", asked),
    )


def register(app: Dash) -> None:
    rule_views.register(app)  # the grouped matrix and the item graph, linked to the grid
    downloads.add_table(SHOWN_RULES_FILE, shown_rules_table)
    downloads.add_table(SHOWN_PRODUCTS_FILE, shown_products_table)
    app.callback(
        Output(ids.RULES_SEGMENT, "options"),
        Output(ids.RULES_SEGMENT, "value"),
        Output(ids.BASKET_CHOICE, "options"),
        Output(ids.RULES_MESSAGE, "children"),
        Input(ids.RULES_READY, "data"),
        State(ids.ACTIVE_DATASET, "data"),
        State(ids.SELECTED_SEGMENT, "data"),
    )(init_rules)
    app.callback(
        Output(ids.SELECTED_SEGMENT, "data", allow_duplicate=True),
        Input(ids.RULES_SEGMENT, "value"),
        prevent_initial_call=True,
    )(choose_segment)
    long_work.register(app, RULES)
    app.callback(
        Output(ids.RULES_SEGMENT, "options", allow_duplicate=True),
        Input(ids.RULES_WORK.answer, "data"),
        State(ids.RULES_SEGMENT, "options"),
        prevent_initial_call=True,
    )(segment_choices)
    app.callback(
        Output(ids.RULES_VIEW, "data"),
        Output(ids.RULES_TABLE, "children"),
        Input(ids.RULES_WORK.answer, "data"),
        Input(ids.HIDE_REDUNDANT, "value"),
        Input(ids.side_filter(ALL), "value"),
        Input(ids.RULES_SEGMENT, "value"),
        Input(ids.SIGNIFICANT_ONLY, "value"),
        Input(ids.MORE_MEASURES, "value"),
        Input(ids.RULE_GRAPH_SIZE, "value"),
        State(ids.side_filter(ALL), "id"),
        prevent_initial_call=True,
    )(
        lambda answer, hide, values, segment, significant, measures, top, boxes: show_view(
            answer, hide, chosen_sides(boxes, values), segment, significant, measures, top
        )
    )
    app.callback(
        Output(ids.side_choices(MATCH), "children"),
        Input(ids.side_search(MATCH), "value"),
        State(ids.RULES_VIEW, "data"),
        prevent_initial_call=True,
    )(suggest_products)
    app.callback(
        Output(ids.side_filter(MATCH), "options"),
        Output(ids.side_filter(MATCH), "value"),
        Output(ids.side_search(MATCH), "value"),
        Output(ids.side_feedback(MATCH), "children"),
        Input(ids.side_search(MATCH), "n_submit"),
        State(ids.side_search(MATCH), "value"),
        State(ids.side_filter(MATCH), "options"),
        State(ids.side_filter(MATCH), "value"),
        State(ids.RULES_VIEW, "data"),
        prevent_initial_call=True,
    )(add_product)
    prefix = app.config.url_base_pathname
    app.callback(
        Output(ids.rules_grid(MATCH), "getRowsResponse"),
        Input(ids.rules_grid(MATCH), "getRowsRequest"),
        State(ids.RULES_VIEW, "data"),
        prevent_initial_call=True,
    )(lambda grid_request, view: rules_rows(grid_request, view, prefix))
    app.callback(
        Output(ids.RULE_CLICKED, "children"),
        Input(ids.RULES_SCATTER, "clickData"),
        State(ids.RULES_VIEW, "data"),
        prevent_initial_call=True,
    )(show_clicked_rule)
    app.callback(Output(ids.RULES_CHOICE, "data"), Input(ids.RULES_WORK.answer, "data"))(
        remember_choice
    )
    prefix = app.config.url_base_pathname
    app.callback(
        Output(ids.DOWNLOAD_RULES, "href"),
        Output(ids.DOWNLOAD_RULES, "className"),
        Output(ids.DOWNLOAD_ALL_PRODUCTS, "href"),
        Output(ids.DOWNLOAD_ALL_PRODUCTS, "className"),
        Input(ids.RULES_WORK.answer, "data"),
    )(lambda answer: download_links(prefix, answer))
    app.callback(
        Output(ids.DOWNLOAD_SHOWN_RULES, "href"),
        Output(ids.DOWNLOAD_SHOWN_RULES, "className"),
        Output(ids.DOWNLOAD_PRODUCTS, "href"),
        Output(ids.DOWNLOAD_PRODUCTS, "className"),
        Input(ids.RULES_VIEW, "data"),
    )(lambda _view: (None, DOWNLOAD_WAITING) * 2)  # until the new view's rows are there
