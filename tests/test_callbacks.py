"""Dashboard callbacks called as plain functions on small and real data."""

import base64
import csv
import io
import json

import pytest

import storage
from callbacks import customers, data, frame, rules, segments
from tests.callbacks_support import logged_in_as, triggered

TABLE = "CustomerID,Age,Income,Product\n" + "".join(
    f"{i},{20 + i % 50},{30 + (i * 7) % 90},{p}\n"
    for i in range(120)
    for p in (["bread", "milk"] if i % 3 else ["tea", "jam"])
)


def text_of(component) -> str:
    """All the text inside a component tree."""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(text_of(child) for child in component)
    children = getattr(component, "children", None)
    return "" if children is None else text_of(children)


def upload_contents(text: str) -> str:
    return "data:text/csv;base64," + base64.b64encode(text.encode()).decode()


@pytest.fixture
def user(app):
    with logged_in_as(app) as user:
        yield user


@pytest.fixture
def dataset(user):
    return storage.save_upload(user.get_id(), "shop.csv", TABLE.encode()).id


SETTINGS = {"features": ["Age", "Income"], "k": 3, "scale": True}


def test_upload_stores_and_opens_the_dataset(user):
    result = triggered(
        "data-upload.contents",
        "x",
        data.change_datasets,
        upload_contents(TABLE),
        None,
        None,
        None,
        "shop.csv",
        None,
        None,
        None,
        0,
    )
    active, message, version = result
    assert storage.get_dataset(user.get_id(), active).name == "shop"
    assert "Stored shop" in str(message)
    assert version == 1


def test_bad_upload_gives_a_message_and_keeps_state(user, dataset):
    active, message, version = triggered(
        "data-upload.contents",
        "x",
        data.change_datasets,
        upload_contents("\x00\x01\x02"),
        None,
        None,
        None,
        "bad.csv",
        None,
        None,
        dataset,
        4,
    )
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
        None,
        None,
        1,
        None,
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
        result = segments.update_charts(SETTINGS, "Age", "Income", None, dataset)
        assert "does not exist" in str(result[-1])
        assert customers.look_up(1, None, "1", SETTINGS, dataset).children.startswith(
            "That dataset does not exist"
        )


def test_segment_charts_use_fixed_colours_and_highlight_the_selection(user, dataset):
    scatter, pie, records, _columns, _silhouette, note = segments.update_charts(
        SETTINGS, "Age", "Income", 1, dataset
    )
    assert len(pie.data[0].values) == 3
    assert sum(r["size"] for r in records) == 120
    opacities = {trace.name: trace.marker.opacity for trace in scatter.data}
    assert sorted(opacities.values()) == [0.15, 0.15, 1.0]
    colours = [trace.marker.color for trace in scatter.data]
    assert colours == list(pie.data[0].marker.colors)
    assert "Silhouette" in str(note)


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
    _figure, style, best, label = segments.suggest(1, SETTINGS, dataset)
    assert style == {"display": "block"}
    assert label == f"Use K={best}"
    assert 2 <= best <= 10


def test_rules_for_a_segment_and_filters(user, dataset):
    rows, sentences, _scatter, _note = rules.update_rules(
        0.05, 0.5, 1.0, 3, "customer", True, None, "any", -1, SETTINGS, dataset
    )
    pairs = {(r["antecedent"], r["consequent"]) for r in rows}
    assert ("bread", "milk") in pairs and ("tea", "jam") in pairs
    assert "Customers who buy" in text_of(sentences)
    recommends_milk = rules.update_rules(
        0.05, 0.5, 1.0, 3, "customer", True, "milk", "consequent", -1, SETTINGS, dataset
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
    from app import create_app
    from tests.conftest import make_config

    small = create_app(make_config(tmp_path, MAX_UPLOAD_MB=0.001))
    with logged_in_as(small):
        _, message, _ = triggered(
            "data-upload.contents",
            "x",
            data.change_datasets,
            upload_contents(TABLE),
            None,
            None,
            None,
            "big.csv",
            None,
            None,
            None,
            0,
        )
    assert "over the upload limit of 0 MB" in str(message)
