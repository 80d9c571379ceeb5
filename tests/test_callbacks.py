"""Dashboard callbacks called as plain functions on small and real data."""

import csv
import io
import json

import pytest
from dash import no_update

from basket_segments import storage
from basket_segments.callbacks import customers, data, frame, rules, segments
from tests.callbacks_support import (
    logged_in_as,
    rules_view,
    segment_charts,
    store_upload,
    text_of,
    triggered,
    upload_contents,
)

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
    button = json.dumps({"index": dataset, "type": "data-delete"}, separators=(",", ":"))
    is_open, pending = triggered(button + ".n_clicks", 1, data.ask_delete, [1], None, None)
    assert (is_open, pending) == (True, dataset)
    active, message, _ = triggered(
        "data-delete-confirm.n_clicks",
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
            "data-rename.n_clicks",
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
    text = text_of(data.show_details(dataset, 1))
    assert "customers with their attributes and products" in text
    assert "Read 240 rows." in text


def test_another_users_dataset_id_shows_nothing(app, dataset):
    with logged_in_as(app, "intruder"):
        assert data.show_details(dataset, 1) is None
        result = segment_charts(SETTINGS, "Age", "Income", None, dataset)
        assert "does not exist" in str(result[-1])
        assert customers.look_up(1, None, "1", SETTINGS, dataset).children.startswith(
            "That dataset does not exist"
        )


def test_segment_charts_use_fixed_colours_and_highlight_the_selection(user, dataset):
    progress = []
    scatter, pie, records, _columns, _silhouette, note = segment_charts(
        SETTINGS, "Age", "Income", 1, dataset, progress
    )
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
    computed, _, _ = segments.ask_for_segments(SETTINGS, dataset)
    answer = triggered(
        "state-selected-segment.data",
        1,
        segments.update_charts,
        computed,
        "Age",
        "Income",
        1,
        SETTINGS,
    )
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
    forged = {**SETTINGS, "k": 10**9}
    computed = {"request": {"settings": forged, "dataset": dataset}}
    draw = segments.update_charts
    answer = triggered("state-selected-segment.data", 1, draw, computed, "Age", "Income", 1, forged)
    assert all(item is no_update for item in answer)


def test_selecting_by_pie_and_scatter_click(user):
    pie_click = {"points": [{"customdata": 2}]}
    scatter_click = {"points": [{"customdata": [1, "C7"]}]}
    assert (
        triggered(
            "segments-pie.clickData", pie_click, segments.select_segment, None, pie_click, None
        )
        == 2
    )
    assert (
        triggered(
            "segments-scatter.clickData",
            scatter_click,
            segments.select_segment,
            scatter_click,
            None,
            None,
        )
        == 1
    )
    assert (
        triggered(
            "segments-clear-selection.n_clicks",
            1,
            segments.select_segment,
            scatter_click,
            pie_click,
            1,
        )
        is None
    )


def test_suggest_k_offers_the_best_k(user, dataset):
    progress = []
    _figure, style, best, label = segments.suggest(progress.append, 1, SETTINGS, dataset)
    assert [text for _value, text in progress] == [f"Trying K = {k}" for k in range(2, 11)]
    assert style == {"display": "block"}
    assert label == f"Use K={best}"
    assert 2 <= best <= 10


def test_rules_for_a_segment_and_filters(user, dataset):
    progress = []
    rows, sentences, _scatter, _note = rules_view(
        (0.05, 0.5, 1.0, 3), "customer", True, None, "any", -1, SETTINGS, dataset, progress
    )
    assert any(text == "Mining all customers" for _value, text in progress)
    assert progress[-1] == (90, "Counting top products")
    pairs = {(r["antecedent"], r["consequent"]) for r in rows}
    assert ("bread", "milk") in pairs and ("tea", "jam") in pairs
    assert "Customers who buy" in text_of(sentences)
    recommends_milk = rules_view(
        (0.05, 0.5, 1.0, 3), "customer", True, "milk", "consequent", -1, SETTINGS, dataset
    )[0]
    assert {r["consequent"] for r in recommends_milk} == {"milk"}


def test_downloads_neutralise_formulas(user):
    text = TABLE.replace("bread", "=HYPERLINK(evil)")
    owner = user.get_id()
    dataset = storage.save_upload(owner, "evil.csv", text.encode()).id
    for download in (
        rules.download_rules(1, 0.05, 0.5, 1.0, 3, "customer", SETTINGS, dataset),
        rules.download_products(1, "customer", SETTINGS, dataset),
    ):
        cells = [cell for row in csv.reader(io.StringIO(download["content"])) for cell in row]
        assert not [cell for cell in cells if cell.startswith(("=", "+", "@"))]
        assert any("=HYPERLINK(evil)" in cell for cell in cells)
    products = rules.download_products(1, "customer", SETTINGS, dataset)["content"]
    assert "'=HYPERLINK(evil)" in products


def test_customer_lookup_recommends_with_reasons(user, dataset):
    text = text_of(customers.look_up(1, None, "2", SETTINGS, dataset))
    assert "Customer 2" in text
    assert "bread" in text  # bought
    missing = customers.look_up(1, None, "nobody", SETTINGS, dataset)
    assert "There is no customer 'nobody'" in str(missing)


def test_empty_lookup_does_nothing(user, dataset):
    result = customers.look_up(1, None, "  ", SETTINGS, dataset)
    assert result is not None and not hasattr(result, "children")


def test_pages_render_for_each_path(user):
    for path, marker in [
        ("/analytics/", "data-page"),
        ("/analytics/segments", "segments-page"),
        ("/analytics/rules", "rules-page"),
        ("/analytics/customers", "customers-page"),
    ]:
        page = frame.render_page(path, "/analytics/")
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

    small = create_app(make_config(tmp_path, MAX_UPLOAD_MB=0.001))
    with logged_in_as(small):
        _, message, _ = store_upload(upload_contents(TABLE), "big.csv")
    assert "over the upload limit of 0 MB" in str(message)


def test_stored_results_are_shown_without_a_job(user, dataset):
    progress = []
    segment_charts(SETTINGS, "Age", "Income", None, dataset, progress)
    assert progress
    computed, asked, _ = segments.ask_for_segments(SETTINGS, dataset)
    assert asked is no_update and computed["request"]["settings"] == SETTINGS
    rules_view((0.05, 0.5, 1.0, 3), "customer", True, None, "any", -1, SETTINGS, dataset)
    tighter = rules.ask_for_rules(0.1, 0.6, 1.0, 3, "customer", [], SETTINGS, dataset)
    assert tighter[1] is no_update
    assert tighter[0]["request"]["thresholds"] == [0.1, 0.6, 1.0, 3]
    looser = rules.ask_for_rules(0.01, 0.5, 1.0, 3, "customer", [], SETTINGS, dataset)
    assert looser[0] == {"request": None}  # the old table clears while mining
    assert looser[1]["request"]["thresholds"][0] == 0.01


def test_rules_filtered_for_thresholds_are_kept_for_the_next_click(user, dataset, monkeypatch):
    from basket_segments import results

    thresholds = (0.05, 0.5, 1.0, 3)
    first = rules_view(thresholds, "customer", True, None, "any", -1, SETTINGS, dataset)
    filtered = []
    real = results.filter_rules
    monkeypatch.setattr(results, "filter_rules", lambda *a: filtered.append(1) or real(*a))
    for segment in (-1, 0, 1, -1):
        shown = rules_view(thresholds, "customer", True, None, "any", segment, SETTINGS, dataset)
    assert filtered == []
    assert shown[0] == first[0] and len(first[0]) > 0
    rules_view((0.1, 0.6, 1.0, 3), "customer", True, None, "any", -1, SETTINGS, dataset)
    assert filtered == [1]  # new thresholds: filtered once from the stored mining


def test_picking_a_segment_redraws_only_its_products(user, dataset):
    thresholds = (0.05, 0.5, 1.0, 3)
    rules_view(thresholds, "customer", True, None, "any", -1, SETTINGS, dataset)
    computed, _, _ = rules.ask_for_rules(*thresholds, "customer", [], SETTINGS, dataset)
    args = (computed, "customer", SETTINGS, dataset)
    picked = triggered("rules-segment.value", 0, rules.update_products, 0, *args)
    drawn = triggered("rules-computed.data", computed, rules.update_products, 0, *args)
    assert picked[1] is no_update and drawn[1] is not no_update
    assert picked[0].to_json() == drawn[0].to_json()
    assert len(drawn[1].data[0].y) > 0


def test_an_answer_to_an_earlier_choice_is_ignored(user, dataset):
    earlier = {**SETTINGS, "k": 4}
    computed = {"request": {"settings": earlier, "dataset": dataset}}
    assert segments.update_charts(computed, "Age", "Income", None, SETTINGS) == (no_update,) * 6
    old = {"request": rules._request(SETTINGS, dataset, [0.2, 0.5, 1.0, 3], "customer")}
    shown = rules.update_rules(
        old, True, None, "any", -1, 0.05, 0.5, 1.0, 3, "customer", SETTINGS, dataset
    )
    assert shown[0] == [] and shown[3] is no_update
