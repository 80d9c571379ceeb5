"""Dashboard callbacks called as plain functions on small and real data."""

import json
import random

import pytest
from dash import no_update

from basket_segments import ids
from basket_segments.analytics import rules as rules_module
from basket_segments.analytics.local import LocalEngine
from basket_segments.callbacks import customers, data, frame, long_work, rules, segments
from basket_segments.layouts import rules as layouts_rules
from basket_segments.layouts import segments as layouts_segments
from basket_segments.layouts import words
from basket_segments.layouts.grids import column_defs
from basket_segments.store import storage
from tests.callbacks_support import (
    logged_in_as,
    look_up,
    rules_answer,
    rules_view,
    segment_charts,
    store_upload,
    text_of,
    through_long_work,
    triggered,
    upload_contents,
    walk,
    with_props,
)

#: No plain callback these tests drive may compute: only background jobs do.
pytestmark = pytest.mark.usefixtures("engine_only_in_jobs")

TABLE = "CustomerID,Age,Income,Product\n" + "".join(
    f"{i},{20 + i % 50},{30 + (i * 7) % 90},{p}\n"
    for i in range(120)
    for p in (["bread", "milk"] if i % 3 else ["tea", "jam"])
)


@pytest.fixture
def user(app):
    with logged_in_as(app) as user:
        yield user


@pytest.fixture
def dataset(user):
    return storage.save_upload(user.get_id(), "shop.csv", TABLE.encode()).id


SETTINGS = {"features": ["Age", "Income"], "k": 3, "scale": True}
THRESHOLDS = (0.05, 0.5, 1.0, 3)


def test_upload_stores_and_opens_the_dataset(user):
    progress = []
    active, message, version = store_upload(upload_contents(TABLE), "shop.csv", progress=progress)
    assert storage.get_dataset(user.get_id(), active).name == "shop"
    assert "Stored shop" in str(message)
    assert version == 1
    assert [value for value, _text in progress] == [5, 40, 80]
    assert progress[-1][1] == "Storing"


def test_the_sample_is_stored_as_a_background_job(user):
    progress = []
    active, _message, _ = store_upload(None, None, sample=1, progress=progress)
    assert storage.get_dataset(user.get_id(), active).name == data.SAMPLE_NAME
    assert len(progress) == 3


def test_bad_upload_gives_a_message_and_keeps_state(user, dataset):
    active, message, version = store_upload(upload_contents("\x00\x01\x02"), "bad.csv", 4)
    assert "binary data" in str(message)
    assert active is version  # both no_update
    assert [d.id for d in storage.list_datasets(user.get_id())] == [dataset]


def test_delete_asks_then_deletes(user, dataset):
    button = json.dumps(ids.delete_button(dataset), separators=(",", ":"), sort_keys=True)
    is_open, pending = triggered(button + ".n_clicks", 1, data.ask_delete, [1], None, None)
    assert (is_open, pending) == (True, dataset)
    active, message, _ = triggered(
        f"{ids.DELETE_CONFIRM}.n_clicks",
        1,
        data.change_datasets,
        1,
        None,
        dataset,
        None,
        dataset,
        1,
    )
    assert active is None
    assert storage.list_datasets(user.get_id()) == []
    assert "deleted" in str(message)


def test_components_appearing_do_not_act(user, dataset):
    assert (
        triggered(
            f"{ids.RENAME}.n_clicks",
            None,
            data.change_datasets,
            None,
            None,
            None,
            "x",
            dataset,
            1,
        )[0]
        is not None
    )


def test_details_show_roles_report_and_preview(user, dataset):
    text = text_of(list(data.show_details(dataset, 1)))
    assert "customers with their attributes and products" in text
    assert "Read 240 rows." in text


def test_a_roles_none_choice_means_no_column(user, dataset):
    """Each role is a select whose "(none)" option has the empty value: applying it leaves
    the role to no column (here the product: a customer table remains)."""
    details, _preview = data.show_details(dataset, 1)
    products = [c for c in walk(details) if getattr(c, "id", None) == ids.role_choice("product")]
    assert products[0].options[0] == {"label": "(none)", "value": ""}
    roles = [ids.role_choice(role) for role in ("customer", "product", "categories")]
    values = ["CustomerID", "", []]
    clicked = f"{ids.APPLY_ROLES}.n_clicks"
    said, version = triggered(clicked, 1, data.apply_roles, 1, values, roles, dataset, 1)
    assert "Roles applied" in text_of(said) and version == 2
    info = storage.get_dataset(user.get_id(), dataset)
    assert info.shape == "customers" and not info.roles.get("product")


def test_another_users_dataset_id_shows_nothing(app, dataset):
    with logged_in_as(app, "intruder"):
        assert data.show_details(dataset, 1) == (None, None)
        result = segment_charts(SETTINGS, "Age", "Income", None, dataset)
        assert "does not exist" in str(result[-1])
        assert "That dataset does not exist" in text_of(look_up("1", SETTINGS, dataset))


def test_segment_charts_use_fixed_colours_and_highlight_the_selection(user, dataset):
    progress = []
    scatter, pie, records, _columns, silhouettes, note = segment_charts(
        SETTINGS, "Age", "Income", 1, dataset, progress
    )
    assert sum(len(trace.x) for trace in silhouettes.data) == 120  # a bar per customer
    assert tuple(silhouettes.layout.xaxis.range) == (-1, 1)
    assert [text for _value, text in progress][:2] == ["Reading the dataset", "Finding 3 segments"]
    assert len(pie.data[0].values) == 3
    assert sum(r["size"] for r in records) == 120
    opacities = {trace.name: trace.marker.opacity for trace in scatter.data}
    assert sorted(opacities.values()) == [0.15, 0.15, 1.0]
    colours = [trace.marker.color for trace in scatter.data]
    assert colours == list(pie.data[0].marker.colors)
    assert "Silhouette" in str(note)


def test_a_selection_restyles_the_drawn_charts_without_redrawing(user, dataset):
    """A drill-down click sends opacities and the slice's pull, equal to a full redraw's."""
    full = segment_charts(SETTINGS, "Age", "Income", 1, dataset)
    stored, _ = through_long_work(segments.SEGMENTS, SETTINGS, dataset)
    selected = f"{ids.SELECTED_SEGMENT}.data"
    draw = segments.update_charts
    answer = triggered(selected, 1, draw, stored, "Age", "Income", segments.SEGMENT, 1)
    scatter, pie, *rest = answer
    assert all(item is no_update for item in rest)
    opacities = {
        operation["location"][1]: operation["params"]["value"]
        for operation in scatter.to_plotly_json()["operations"]
    }
    assert opacities == {i: trace.marker.opacity for i, trace in enumerate(full[0].data)}
    assert sorted(opacities.values()) == [0.15, 0.15, 1.0]
    (pull,) = pie.to_plotly_json()["operations"]
    assert pull["params"]["value"] == list(full[1].data[0].pull) == [0, 0.12, 0]


def test_a_forged_k_gets_no_restyle(user, dataset):
    forged = {"request": {"settings": {**SETTINGS, "k": 10**9}, "dataset": dataset}}
    draw = segments.update_charts
    answer = triggered(
        f"{ids.SELECTED_SEGMENT}.data", 1, draw, forged, "Age", "Income", segments.SEGMENT, 1
    )
    assert all(item is no_update for item in answer)


def test_suggest_k_offers_the_best_k(user, dataset):
    progress = []
    answer, _ = through_long_work(segments.SUGGEST_K, SETTINGS, dataset, 1, progress=progress)
    (_figure, style, best, label), shown = with_props(segments.show_k_scores, answer)
    # As far as the K box goes (it tried 2 to 10 before).
    assert [text for _value, text in progress] == [f"Trying K = {k}" for k in range(2, 16)]
    assert style == {"display": "block"}
    assert label == f"Use K={best}"
    assert 2 <= best <= 15
    assert f"K = {best} separates the customers" in text_of(shown[ids.SEGMENT_MESSAGE]["children"])


def test_rules_for_a_segment_and_filters(user, dataset):
    progress = []
    rows, sentences, _scatter, _note = rules_view(
        (0.05, 0.5, 1.0, 3), "customer", True, None, "any", -1, None, dataset, progress
    )
    texts = [text for _value, text in progress]
    # Nothing chosen on the Segments page: the dataset's own segmentation (all its
    # features, the default K) is made first, in the mining job.
    assert texts[:2] == ["Reading the dataset", "Finding 5 segments"]
    assert "Finding the rules of all customers" in texts and texts[-1] == "Counting top products"
    fractions = [value for value, _text in progress]
    assert fractions == sorted(fractions) and fractions[-1] < 100
    pairs = {(r["antecedent"], r["consequent"]) for r in rows}
    assert ("bread", "milk") in pairs and ("tea", "jam") in pairs
    assert "Customers who buy" in text_of(sentences)
    recommends_milk = rules_view(
        (0.05, 0.5, 1.0, 3), "customer", True, "milk", "consequent", -1, SETTINGS, dataset
    )[0]
    assert {r["consequent"] for r in recommends_milk} == {"milk"}


def test_customer_lookup_recommends_with_reasons(user, dataset):
    text = text_of(look_up("2", SETTINGS, dataset))
    assert "Customer 2" in text
    assert "bread" in text  # bought
    assert "There is no customer 'nobody'" in text_of(look_up("nobody", SETTINGS, dataset))


def test_empty_lookup_does_nothing(user, dataset):
    asked = long_work.ask(customers.LOOKUP, "  ", dataset, None, 1, None, True, None)
    assert asked[0] is None and asked[1] is no_update and asked[2] is no_update


def test_pages_render_for_each_path(user, dataset):
    for path, marker in [
        ("/analytics/", ids.DATA_PAGE),
        ("/analytics/segments", ids.SEGMENTS_PAGE),
        ("/analytics/rules", ids.RULES_PAGE),
        ("/analytics/customers", ids.CUSTOMERS_PAGE),
        ("/analytics/over-time", ids.OVER_TIME_PAGE),
    ]:
        page = frame.render_page(path, dataset, "/analytics/")
        assert page.id == marker


def test_anonymous_callbacks_are_refused(app):
    with (
        app.test_request_context("/analytics/_dash-update-component", method="POST"),
        pytest.raises(PermissionError),
    ):
        data.list_datasets(0, None)


def test_over_size_upload_is_explained(tmp_path):
    from basket_segments.app import create_app
    from tests.conftest import make_config

    small = create_app(make_config(tmp_path, BASKET_SEGMENTS_MAX_UPLOAD_MB=0.001))
    with logged_in_as(small):
        _, message, _ = store_upload(upload_contents(TABLE), "big.csv")
    assert "over the upload limit of 0 MB" in str(message)


def test_stored_results_are_shown_without_a_job(user, dataset):
    progress = []
    segment_charts(SETTINGS, "Age", "Income", None, dataset, progress)
    assert progress
    answer, asked, _ = long_work.ask(segments.SEGMENTS, SETTINGS, dataset, True, None)
    assert asked is no_update and answer["request"]["settings"] == SETTINGS
    rules_view(THRESHOLDS, "customer", True, None, "any", -1, SETTINGS, dataset)
    tighter = long_work.ask(
        rules.RULES, dataset, 0.1, 0.6, 1.0, 3, "customer", None, [], True, None
    )
    assert tighter[1] is no_update
    assert tighter[0]["request"]["support"] == 0.1
    assert tighter[0]["result"]["segments"]["k"] == SETTINGS["k"]  # the dataset's own
    looser = long_work.ask(
        rules.RULES, dataset, 0.01, 0.5, 1.0, 3, "customer", None, [], True, None
    )
    assert looser[0] is None  # the old table clears while mining
    assert looser[1]["request"]["support"] == 0.01


def test_one_stored_copy_per_mining_whatever_the_confidence(user, dataset):
    """Each confidence asked for once wrote another copy of the filtered rules (104 MB each
    on an explosive file); now every threshold inside the mining filters the one copy."""

    def stored_files():
        folder = storage._owner_folder(user.get_id())
        return sorted(path.name.split("-")[0] for path in folder.rglob("results/*.pickle"))

    shown = [
        rules_view((0.05, confidence, 1.0, 3), "customer", True, None, "any", -1, SETTINGS, dataset)
        for confidence in (0.5, 0.51, 0.52, 0.53, 0.9)
    ]
    # the mining job's views drawn ahead are its query's only: another confidence draws on
    # the spot, as before
    assert stored_files() == ["drawn", "mining", "prepared", "segments"]
    assert all(len(rows) > 0 for rows, *_ in shown)


def test_tighter_thresholds_filter_the_stored_mining_instead_of_mining_again(
    user, dataset, monkeypatch
):
    mined = []
    real = LocalEngine.mine
    monkeypatch.setattr(LocalEngine, "mine", lambda *a: mined.append(1) or real(*a))
    loose = rules_view(THRESHOLDS, "customer", True, None, "any", -1, SETTINGS, dataset)[0]
    tight = rules_view((0.5, 0.9, 1.0, 2), "customer", True, None, "any", -1, SETTINGS, dataset)[0]
    assert mined == [1] and 0 < len(tight) < len(loose)
    rules_view((0.01, 0.5, 1.0, 3), "customer", True, None, "any", -1, SETTINGS, dataset)
    assert mined == [1, 1]  # looser than the stored mining: mined again


#: Six products bought in overlapping pairs and triples: rules with many sides to filter.
RICH_TABLE = "CustomerID,Age,Income,Product\n" + "".join(
    f"{i},{20 + i % 50},{30 + (i * 7) % 90},{p}\n"
    for i in range(150)
    for p in ["bread", "milk", "tea", "jam", "eggs", "rice"]
    if (i + len(p) * ["bread", "milk", "tea", "jam", "eggs", "rice"].index(p)) % 3
)


def side_filtered(table: list[dict], sides: dict) -> list[dict]:
    """A plain filter of the grid's rows (sides written "a, b"), as an analyst would
    write it on the CSV: include any of a box's products, exclude all of them."""

    def holds(row, side, products):
        names = set(row["antecedent"].split(", ")) if side != "consequent" else set()
        if side != "antecedent":
            names |= set(row["consequent"].split(", "))
        return bool(names & set(products))

    kept = []
    for row in table:
        passes = all(
            holds(row, box.split("_", 1)[1], products) == box.startswith("include")
            for box, products in sides.items()
        )
        if passes:
            kept.append(row)
    return kept


@pytest.mark.parametrize(
    "sides",
    [
        {"include_antecedent": ["milk"], "exclude_consequent": ["bread"]},
        {"include_antecedent": ["milk", "tea"]},
        {"exclude_antecedent": ["jam"], "include_consequent": ["eggs", "rice"]},
        {"include_either": ["tea"]},
        {"exclude_either": ["milk", "bread"]},
        {"include_antecedent": ["caviar"]},
    ],
)
def test_the_product_boxes_filter_the_grid_as_a_plain_filter_does(user, sides):
    dataset = storage.save_upload(user.get_id(), "rich.csv", RICH_TABLE.encode()).id
    thresholds = (0.05, 0.3, 0.0, 3)
    everything, *_ = rules_view(thresholds, "customer", False, None, "any", -1, SETTINGS, dataset)
    answer, _ = rules_answer(thresholds, "customer", dataset)
    boxes = [ids.side_filter(box) for box in sides]
    (view, _grid), _ = with_props(
        rules.show_view, answer, False, rules.chosen_sides(boxes, list(sides.values())), "-1"
    )
    shown, _drawn = with_props(rules.rules_rows, {"startRow": 0, "endRow": 500}, view)
    wanted = side_filtered(everything, sides)
    assert len(everything) > 20
    assert shown["rowData"] == wanted and shown["rowCount"] == len(wanted)
    if "caviar" not in str(sides):
        assert 0 < len(wanted) < len(everything)


def test_a_product_box_offers_what_is_typed_and_takes_a_product_on_enter(user, dataset):
    rules_view(THRESHOLDS, "customer", True, None, "any", -1, SETTINGS, dataset)
    answer, _ = rules_answer(THRESHOLDS, "customer", dataset)
    (view, _grid), _ = with_props(rules.show_view, answer, True, {}, -1)
    offered = with_props(rules.suggest_products, " MIL", view)[0]
    assert [option.value for option in offered] == ["milk"]
    assert with_props(rules.suggest_products, "caviar", view)[0] == []
    assert with_props(rules.suggest_products, "milk", None)[0] == []  # no rules yet
    tea = [{"label": "tea", "value": "tea"}]
    options, ticked, box, said = with_props(rules.add_product, 1, "Milk ", tea, [], view)[0]
    assert options == [*tea, {"label": "milk", "value": "milk"}] and ticked == ["milk"]
    assert box == "" and said is None
    *unchanged, said = with_props(rules.add_product, 1, "caviar", tea, ["tea"], view)[0]
    assert unchanged == [no_update] * 3 and said.startswith("No product of these rules is called")
    full = [f"p{i}" for i in range(50)]
    said = with_props(rules.add_product, 1, "milk", [], full, view)[0][-1]
    assert "at most 50 products" in said


def test_too_many_products_in_a_box_is_a_sentence(user, dataset):
    rules_view(THRESHOLDS, "customer", True, None, "any", -1, SETTINGS, dataset)
    answer, _ = rules_answer(THRESHOLDS, "customer", dataset)
    many = {"include_either": [f"p{i}" for i in range(51)]}
    result, drawn = with_props(rules.show_view, answer, True, many, -1)
    assert result == (no_update, no_update)
    assert "at most 50 products" in text_of(drawn[ids.RULES_MESSAGE]["children"])


def test_picking_a_segment_draws_its_products_beside_everyones(user, dataset):
    rules_view(THRESHOLDS, "customer", True, None, "any", -1, SETTINGS, dataset)
    answer, _ = rules_answer(THRESHOLDS, "customer", dataset)

    def drawn_for(segment, trigger):
        changed = [{"prop_id": trigger, "value": segment}]
        (view, _grid), _ = with_props(
            rules.show_view, answer, True, None, segment, triggered_inputs=changed
        )
        return with_props(rules.rules_rows, {"startRow": 0, "endRow": 100}, view)[1]

    everyone = drawn_for(-1, f"{ids.RULES_WORK.answer}.data")  # new rules: all drawn
    picked = drawn_for(0, f"{ids.RULES_SEGMENT}.value")  # a segment picked
    assert len(everyone[ids.OVERALL_PRODUCTS]["figure"]["data"][0]["y"]) > 0
    # All customers' own chart is the comparison already: not shown twice.
    assert everyone[ids.OVERALL_PRODUCTS_BOX]["style"] == rules.HIDDEN
    assert picked[ids.OVERALL_PRODUCTS_BOX]["style"] == rules.SHOWN
    assert ids.OVERALL_PRODUCTS not in picked  # everyone's stays as drawn
    assert len(picked[ids.SEGMENT_PRODUCTS]["figure"]["data"][0]["y"]) > 0
    assert picked[ids.SEGMENT_PRODUCTS]["figure"] != everyone[ids.SEGMENT_PRODUCTS]["figure"]


def test_each_groups_first_view_is_drawn_ahead_as_it_would_be_drawn_on_the_spot(
    user, dataset, monkeypatch
):
    """The mining job draws all customers' and each segment's first view ahead (the page's
    switches as they start); opening one reads it, and sends what drawing it on the spot
    sends. A view with another switch is drawn on the spot."""
    from plotly.io.json import to_json_plotly

    from basket_segments.store import results

    rules_view(THRESHOLDS, "customer", True, None, "any", -1, SETTINGS, dataset)
    answer, _ = rules_answer(THRESHOLDS, "customer", dataset)
    groups = [-1, *sorted(int(segment) for segment in answer["result"]["names"])]
    assert len(groups) == 1 + SETTINGS["k"]
    new_rules, picked = f"{ids.RULES_WORK.answer}.data", f"{ids.RULES_SEGMENT}.value"
    triggers = (new_rules, picked)
    opened = [(g, hide, trigger) for g in groups for hide in (True, False) for trigger in triggers]

    def sent(group, hide, trigger) -> str:
        changed = [{"prop_id": trigger, "value": str(group)}]
        (view, _grid), _ = with_props(
            rules.show_view, answer, hide, None, str(group), triggered_inputs=changed
        )
        rows, drawn = with_props(rules.rules_rows, dict(rules.FIRST_REQUEST), view)
        return to_json_plotly({"rows": rows, "drawn": drawn})

    read_ahead, found = results.drawn_ahead, []
    monkeypatch.setattr(
        results, "drawn_ahead", lambda *key: found.append(read_ahead(*key)) or found[-1]
    )
    served = {view: sent(*view) for view in opened}
    ahead = [view for view, block in zip(opened, found, strict=True) if block is not None]
    assert ahead == [view for view in opened if view[1] is layouts_rules.HIDE_REDUNDANT_DEFAULT]
    monkeypatch.setattr(results, "drawn_ahead", lambda *_key: None)  # all drawn on the spot
    for view in opened:
        assert served[view] == sent(*view), view
    assert '"rowCount": 0' not in "".join(served.values())


def test_views_that_miss_the_results_time_are_drawn_after_it(user, dataset, monkeypatch):
    """Past ``AHEAD_SECONDS`` (here none) the mining's result waits only for all customers'
    view, which the page opens with; the job draws the segments' views after its result."""
    from basket_segments.store import jobs, results

    later = []
    monkeypatch.setattr(rules, "AHEAD_SECONDS", 0.0)
    monkeypatch.setattr(jobs, "after_the_result", later.append)
    rules_view(THRESHOLDS, "customer", True, None, "any", -1, SETTINGS, dataset)
    answer, _ = rules_answer(THRESHOLDS, "customer", dataset)
    query, owner = rules.answered_query(answer), user.get_id()

    def drawn() -> list[int]:
        kept = storage.load_result(
            owner, dataset, results.DRAWN_AHEAD, results._drawn_key(owner, query)
        )
        return sorted(json.loads(key)["filter"]["segment"] for key in kept)

    assert drawn() == [-1] and len(later) == 1
    storage._forget()
    later[0]()  # the job, once its result is stored
    assert drawn() == [-1, *range(SETTINGS["k"])]


def test_a_view_drawn_ahead_reads_its_mining_once_its_answer_is_sent(app, user, dataset):
    """A pick answered from what the job drew ahead reads no mining; once the answer is
    sent, its request thread reads it into the process's recent results, which a click on
    the views then filters (before, the pick itself read it)."""
    rules_view(THRESHOLDS, "customer", True, None, "any", -1, SETTINGS, dataset)
    answer, _ = rules_answer(THRESHOLDS, "customer", dataset)
    recent = storage._state().recent
    changed = [{"prop_id": f"{ids.RULES_SEGMENT}.value", "value": "0"}]
    with logged_in_as(app):
        (view, _grid), _ = with_props(
            rules.show_view, answer, True, None, "0", triggered_inputs=changed
        )
    with logged_in_as(app):
        recent._held.clear()
        recent._bytes = 0
        rows, _drawn = with_props(rules.rules_rows, dict(rules.FIRST_REQUEST), view)
        assert rows["rowCount"] > 0
        response = app.process_response(app.response_class("answer"))

    def held() -> set[str]:
        return {identity[0].rsplit("/", 1)[-1].split("-")[0] for identity in recent._held}

    assert "mining" not in held()  # not read while the answer was made
    response.close()  # the server has sent it
    assert "mining" in held()


def test_a_new_request_supersedes_a_running_job(user, dataset):
    """While a job runs (its Cancel enabled), any newer request re-asks the job's callback,
    so Dash terminates the running job and its answer never overwrites the newer one."""
    segment_charts(SETTINGS, "Age", "Income", None, dataset)
    stored = long_work.ask(segments.SEGMENTS, SETTINGS, dataset, False, None)
    assert stored[0]["request"]["settings"] == SETTINGS
    assert stored[1]["request"] is None and stored[1]["nonce"]
    assert long_work.run(segments.SEGMENTS, [].append, stored[1]) == (no_update, no_update)
    idle = long_work.ask(segments.SEGMENTS, SETTINGS, dataset, True, None)
    assert idle[1] is no_update
    nothing = long_work.ask(segments.SEGMENTS, {**SETTINGS, "features": []}, dataset, False, None)
    assert nothing[0] is None and nothing[1]["request"] is None


def test_the_selection_badge_shows_a_name_as_text_never_as_markdown(user):
    """A column named like a Markdown link made the "Selected:" badge a real link."""
    phishing = "[Session expired - log in](https://evil.example/phish)"
    owner = user.get_id()
    dataset = storage.save_upload(owner, "p.csv", TABLE.replace("Income", phishing).encode()).id
    settings = {**SETTINGS, "features": ["Age", phishing]}
    segment_charts(settings, "Age", phishing, None, dataset)
    badge = segments.show_selection(0, settings, None, dataset)
    tree = json.dumps(badge.to_plotly_json(), default=lambda c: c.to_plotly_json())
    assert "Markdown" not in tree and "Link" not in tree
    assert phishing in text_of(badge)


#: Three in four customers who buy bread also buy milk; customer 0 bought bread alone.
BREAD_THEN_MILK = "CustomerID,Age,Income,Product\n" + "".join(
    f"{i},{20 + i % 50},{30 + (i * 7) % 90},{p}\n"
    for i in range(120)
    for p in (["bread"] if i % 4 == 0 else ["bread", "milk"])
)


def component_with_id(component, wanted):
    """The component with id ``wanted`` inside a component tree, or None."""
    if getattr(component, "id", None) == wanted:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if child is not None and not isinstance(child, str):
            found = component_with_id(child, wanted)
            if found is not None:
                return found
    return None


def test_recommendations_follow_the_rules_page_thresholds(user):
    dataset = storage.save_upload(user.get_id(), "bakery.csv", BREAD_THEN_MILK.encode()).id
    chosen = {"dataset": dataset, "support": 0.05, "confidence": 0.5, "lift": 1.0, "length": 3}
    card = look_up("0", SETTINGS, dataset, {**chosen, "basket": "customer"})
    rows = component_with_id(card, ids.CUSTOMER_RECOMMENDATIONS).rowData
    milk = next(row for row in rows if row["product"] == "milk")
    assert milk["source"] == "rule" and 0.5 <= milk["confidence"] < 1 and milk["lift"] >= 1
    assert "from the rules at support 0.05 and confidence 0.5 (as on the Rules page)" in text_of(
        card
    )

    # Stricter than any rule: the same customer gets popular products, and is told so.
    strict = look_up("0", SETTINGS, dataset, {**chosen, "confidence": 0.95, "basket": "customer"})
    rows = component_with_id(strict, ids.CUSTOMER_RECOMMENDATIONS).rowData
    assert rows and {row["source"] for row in rows} == {"popular in segment"}
    assert all(row["confidence"] is None for row in rows)
    assert "popular in the segment, where no rule applies" in text_of(strict)
    assert "from the rules" not in text_of(strict)


def test_scaling_choice_reaches_kmeans_and_is_reported(user):
    dataset = storage.save_upload(user.get_id(), "shop.csv", TABLE.encode()).id
    notes = {}
    for scale in ("auto", "standard", "none"):
        settings = {**SETTINGS, "scale": scale}
        *_charts, note = segment_charts(settings, "Age", "Income", None, dataset)
        notes[scale] = text_of(note)
    assert "Before KMeans: Age as is; Income as is." in notes["none"]
    assert "Age standardised" in notes["standard"] and "log" not in notes["standard"]
    assert "Age standardised" in notes["auto"]


def test_computing_outside_a_job_trips_the_guard(user, dataset):
    """The guard every test here runs under is real: a plain callback that segmented
    (as the Rules page once did on opening) would fail its test."""
    from basket_segments.queries import SegmentParams
    from basket_segments.store import results

    with pytest.raises(AssertionError, match="outside a background job"):
        results.segments(user.get_id(), dataset, SegmentParams(("Age", "Income"), 3))


BASKET_LINES = "bread,milk\n" * 30 + "tea,jam,honey\n" * 25 + "tea\n" * 5


def test_one_datasets_segment_settings_never_reach_another(user, dataset):
    """Opening a basket file after segmenting a customer file once left the Rules page
    with "no customer features to segment on" and no rules; each dataset now uses its own
    segmentation, whatever the browser remembers."""
    segment_charts(SETTINGS, "Age", "Income", None, dataset)  # K = 3 for this one
    baskets = storage.save_upload(user.get_id(), "baskets.csv", BASKET_LINES.encode()).id
    rows, _sentences, _scatter, note = rules_view(
        THRESHOLDS, "customer", True, None, "any", -1, None, baskets
    )
    assert {(r["antecedent"], r["consequent"]) for r in rows} >= {("bread", "milk")}
    assert "customer features" not in text_of(note)
    again = storage.save_upload(user.get_id(), "again.csv", TABLE.encode()).id
    answer, _ = rules_answer(THRESHOLDS, "customer", again)
    assert answer["result"]["segments"]["k"] == 5  # its own default, not the other's 3
    assert rules_answer(THRESHOLDS, "customer", dataset)[0]["result"]["segments"]["k"] == 3


def test_a_forged_rule_length_is_refused_at_once(user, dataset):
    """A rule length of 22 (the page offers 2 to 6) once mined for 135 s and 960 MB before
    refusing; now the ask answers with a sentence and hands no job over."""
    values = (dataset, 0.05, 0.5, 1.0, 22, "customer", None, [])
    answer, asked, note = long_work.ask(rules.RULES, *values, True, None)
    assert answer is None and asked is no_update
    assert text_of(note) == "Max rule length must be from 2 to 6, not 22."


def test_the_rule_limit_is_a_control_of_the_rules_page(app, user):
    """The note said "raise the rule limit to see more" and nothing on the page raised it:
    the Rules page's rule limit is what each group keeps, up to the host's ``MAX_RULES``,
    and a limit out of range is refused with a sentence."""
    products = ["tea", "jam", "bread", "milk", "eggs", "rice", "soap", "salt", "oil", "figs"]
    rows = [random.Random(seed).sample(products, 5 + seed % 4) for seed in range(60)]
    content = "\n".join(",".join(row) for row in rows).encode()
    dataset = storage.save_upload(user.get_id(), "baskets.txt", content).id
    loose = (0.02, 0.2, 0.0, 3)
    answer, _ = rules_answer(loose, "customer", dataset, limit=100)
    (view, _grid), _ = with_props(rules.show_view, answer, False, None, -1)
    rows, drawn = with_props(rules.rules_rows, {"startRow": 0, "endRow": 10}, view)
    assert rows["rowCount"] == 100
    assert text_of(drawn[ids.RULES_MESSAGE]["children"]).startswith("All customers: kept the 100")
    more, _ = rules_answer(loose, "customer", dataset, limit=100_000)
    (view, _grid), _ = with_props(rules.show_view, more, False, None, -1)
    rows, drawn = with_props(rules.rules_rows, {"startRow": 0, "endRow": 10}, view)
    assert rows["rowCount"] > 100 and drawn[ids.RULES_MESSAGE]["children"] is None
    app.config["BASKET_SEGMENTS_MAX_RULES"] = 150  # the host's ceiling wins over the page's limit
    capped, _ = rules_answer(loose, "customer", dataset, limit=100_000)
    (view, _grid), _ = with_props(rules.show_view, capped, False, None, -1)
    assert with_props(rules.rules_rows, {"startRow": 0, "endRow": 10}, view)[0]["rowCount"] == 150
    values = (dataset, *THRESHOLDS, "customer", 5, [])
    refused, asked, note = long_work.ask(rules.RULES, *values, True, None)
    assert refused is None and asked is no_update
    assert text_of(note) == "Rule limit must be from 10 to 100000, not 5."


@pytest.mark.parametrize(
    ("couples", "hint"),
    [
        (30, "No rule meets these thresholds. At min support 0.03: 60 rules."),
        (300, "No rule meets these thresholds. At min support 0.002: at least 600 rules."),
    ],
)
def test_a_basket_file_with_few_rules_names_a_support_that_gives_some(user, couples, hint):
    """The defaults gave 0 rules on a basket-per-line file and 1 on a bakery's, with no
    hint: the page names the highest lower support that gives 10 rules or more, counted
    from the stored rules (exactly) or below their support from the stored pair counts."""
    lines = [f"left {i % couples},right {i % couples}" + ",bag" * (i % 7 == 0) for i in range(3000)]
    dataset = storage.save_upload(user.get_id(), "pairs.txt", "\n".join(lines).encode()).id
    rows, _sentences, _scatter, note = rules_view(
        THRESHOLDS, "customer", True, None, "any", -1, None, dataset
    )
    assert rows == [] and text_of(note) == hint


def test_a_forged_view_of_rules_never_mined_mines_nothing(user, dataset):
    """The grid's view comes back from the browser: thresholds no job mined give a
    sentence from storage, never a mining in the request (engine_only_in_jobs)."""
    answer, _message = rules_answer(THRESHOLDS, "customer", dataset)
    forged = {**answer, "request": {**answer["request"], "support": 0.001, "length": 6}}
    (view, _grid), _ = with_props(rules.show_view, forged, True, None, -1)
    rows, drawn = with_props(rules.rules_rows, {"startRow": 0, "endRow": 100}, view)
    assert rows == {"rowData": [], "rowCount": 0}
    assert "not mined yet" in text_of(drawn[ids.RULES_MESSAGE]["children"])


def test_an_out_of_range_k_is_refused_next_to_the_box():
    """A K of 40 became 15 without a word; now the box says what it takes, and the
    segments shown stay (nothing is asked for)."""
    assert segments.save_settings(["Age"], 40, "auto") is no_update
    assert segments.k_refused(40) and segments.k_refused(2.5) and segments.k_refused("x")
    assert segments.save_settings(["Age"], 4, "auto") == {
        "features": ["Age"],
        "k": 4,
        "scale": "auto",
    }
    assert segments.save_settings(["Age"], None, "auto")["k"] == 5  # an empty box: the default


def test_a_view_shows_only_the_notes_about_its_own_group(app, user, dataset):
    """A note on another segment than the one shown misleads (the Lapsed view said
    "Very frequent, very big spend: kept the 20,000 strongest..."): each view shows its own."""
    app.config["BASKET_SEGMENTS_MAX_RULES"] = (
        1  # every group's weaker rules are left out, and said so
    )
    answer, _ = rules_answer((0.05, 0.2, 0.0, 3), "customer", dataset)
    names = {int(s): name for s, name in answer["result"]["names"].items()}
    assert len(names) == 5
    for segment, name in names.items():
        (view, _grid), _ = with_props(rules.show_view, answer, True, None, segment)
        _rows, drawn = with_props(rules.rules_rows, {"startRow": 0, "endRow": 10}, view)
        note = text_of(drawn[ids.RULES_MESSAGE]["children"])
        assert note.startswith(f"{name}: kept the 1 strongest of"), note
        assert not any(other in note for s, other in names.items() if s != segment)
    (view, _grid), _ = with_props(rules.show_view, answer, True, None, -1)
    _rows, drawn = with_props(rules.rules_rows, {"startRow": 0, "endRow": 10}, view)
    assert text_of(drawn[ids.RULES_MESSAGE]["children"]).startswith("All customers: kept the 1")


def test_jargon_is_explained_where_it_first_appears(user):
    """ "RFM", "log1p" and the measures were never explained: each term gets one line of
    plain words on the page where the analyst first meets it."""
    segments_page = text_of(layouts_segments.segments_page("combined", "/analytics/"))
    assert words.RFM in segments_page and words.SCALING in segments_page
    rules_page = layouts_rules.rules_page("combined", "/analytics/")
    for line in (words.SUPPORT, words.CONFIDENCE, words.LIFT):
        assert line in text_of(component_with_id(rules_page, ids.MEASURES_EXPLAINED))
    tips = {c.field: c.tip for c in layouts_rules.RULE_TABLE_COLUMNS}
    assert tips["support"] == words.SUPPORT and tips["lift"] == words.LIFT
    assert {d.get("headerTooltip") for d in column_defs(layouts_rules.RULE_TABLE_COLUMNS)} >= {
        words.SUPPORT,
        words.CONFIDENCE,
        words.LIFT,
    }
    skewed = "\n".join(
        ["CustomerID,Age,Spend"]
        + [f"{i},{20 + i % 50},{10 * 1.3 ** (i % 40):.2f}" for i in range(200)]
    )
    dataset = storage.save_upload(user.get_id(), "skewed.csv", skewed.encode()).id
    settings = {"features": ["Age", "Spend"], "k": 3, "scale": "auto"}
    *_charts, note = segment_charts(settings, "Age", "Spend", None, dataset)
    assert words.SILHOUETTE in text_of(note)
    assert f"Spend {words.LOGARITHM}, then standardised" in text_of(note)


def test_a_segmentation_starts_the_mining_worker_for_the_rules_to_come(user, dataset):
    """The first Rules view waited 0.5 s for the mining worker process to start and import
    (the command line pays none of it): a segmentation of data with products starts it."""
    from joblib.externals.loky import reusable_executor

    rules_module.mining_executor().shutdown(wait=True)
    reusable_executor._executor = None
    through_long_work(segments.SEGMENTS, SETTINGS, dataset)
    started = reusable_executor._executor
    assert started is not None and len(started._processes) == 1


#: Two groups by age and income, and customer 120: young, but with an income nearer the
#: older group's, on the edge of the young segment.
EDGE = (
    "CustomerID,Age,Income\n"
    + "".join(
        f"{i},{20 + i % 5 if i < 60 else 60 + i % 5},{30 + i % 7 if i < 60 else 80 + i % 7}\n"
        for i in range(120)
    )
    + "120,24,60\n"
)


def test_lookup_says_how_typical_the_customer_is_of_its_segment(user):
    """Issue 21: a customer far from the segment's centre is told that the name is the
    segment's, not theirs, and on what they differ; one near it, that it is typical."""
    dataset = storage.save_upload(user.get_id(), "edge.csv", EDGE.encode()).id
    settings = {"features": ["Age", "Income"], "k": 2, "scale": True}
    edge = component_with_id(look_up("120", settings, dataset), ids.CUSTOMER_TYPICALITY)
    assert text_of(edge) == (
        "Less typical than any other customer of this segment: the name describes the "
        "segment, not this customer; on Income (60) this customer is above the segment's "
        "median (33)."
    )
    centre = component_with_id(look_up("2", settings, dataset), ids.CUSTOMER_TYPICALITY)
    assert text_of(centre).startswith("Typical of its segment")


def test_significant_only_keeps_the_rules_fishers_test_and_holm_keep(user):
    """The p-value column, the "N of M" line, the "Significant only" switch and the
    evidence in the sentences, against scipy's Fisher test and statsmodels' Holm computed
    here from the baskets themselves."""
    from scipy.stats import fisher_exact
    from statsmodels.stats.multitest import multipletests

    products = ["bread", "milk", "eggs", "rice", "soap", "salt", "oil", "figs"]
    baskets = [random.Random(seed).sample(products, 2 + seed % 3) for seed in range(150)]
    baskets += [["tea", "jam", *random.Random(seed).sample(products, 1)] for seed in range(40)]
    content = "\n".join(",".join(basket) for basket in baskets).encode()
    dataset = storage.save_upload(user.get_id(), "baskets.txt", content).id
    answer, _ = rules_answer((0.02, 0.3, 0.0, 2), "customer", dataset)

    def view_of(significant, measures=None):
        (view, grid), _ = with_props(
            rules.show_view, answer, False, None, -1, significant, measures
        )
        rows, drawn = with_props(rules.rules_rows, {"startRow": 0, "endRow": 1000}, view)
        return view, grid, rows, drawn

    _view, _grid, every, drawn = view_of(False)
    sets = [set(basket) for basket in baskets]

    def p_value(row):
        left, right = set(row["antecedent"].split(", ")), set(row["consequent"].split(", "))
        both = sum(left | right <= b for b in sets)
        with_left = sum(left <= b for b in sets)
        with_right = sum(right <= b for b in sets)
        table = [
            [both, with_left - both],
            [with_right - both, len(sets) - with_left - with_right + both],
        ]
        return fisher_exact(table, alternative="greater").pvalue

    expected = multipletests([p_value(row) for row in every["rowData"]], method="holm")[1]
    got = [row["p_adjusted"] for row in every["rowData"]]
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-15)
    passing = int((expected <= 0.05).sum())
    assert 0 < passing < every["rowCount"]
    assert text_of(drawn[ids.SIGNIFICANCE_NOTE]["children"]).startswith(
        f"{passing:,} of {every['rowCount']:,} rules are unlikely to be chance at 5%"
    )
    assert "baskets; unlikely to be chance)." in text_of(drawn[ids.RULE_SENTENCES]["children"])

    view, grid, significant, _drawn = view_of(True, ["jaccard", "nonsense"])
    assert significant["rowCount"] == passing
    assert all(row["p_adjusted"] <= 0.05 for row in significant["rowData"])
    assert view["measures"] == ["jaccard"]
    hidden = {
        d["field"]
        for d in component_with_id(grid, ids.rules_grid(ids.view_token(view))).columnDefs
        if d.get("hide")
    }
    assert hidden == {"zhangs_metric", "kulczynski", "certainty"}
    assert len(rules.shown_rules_table(user.get_id(), {"view": view})) == passing
