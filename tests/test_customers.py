"""The Customers page's customer box suggests a real customer id of the open dataset,
read from the dataset's record (nothing loaded), and a neutral placeholder otherwise."""

import pytest
import sqlalchemy
from dash import html, no_update

from basket_segments import figures, ids
from basket_segments.callbacks import customers
from basket_segments.layouts import customers as layout
from basket_segments.store import results, storage
from tests.callbacks_support import (
    logged_in_as,
    look_up,
    store_upload,
    text_of,
    walk,
    with_props,
)
from tests.test_callbacks import SETTINGS, TABLE

pytestmark = pytest.mark.usefixtures("engine_only_in_jobs")

NEUTRAL = "Customer id"
PURCHASES = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID\n" + "".join(
    f"{500 + i},{10 + i % 4},{name},1,2010-12-0{1 + i % 5} 10:00,2.5,K-{40 + i % 7}\n"
    for i, name in enumerate(["tea", "jam", "milk", "bread"] * 10)
)


@pytest.fixture
def user(app):
    with logged_in_as(app) as user:
        yield user


@pytest.fixture
def nothing_loaded(monkeypatch):
    """Fail if the placeholder reads more than the dataset's record."""

    def refuse(*_args, **_kwargs):
        raise AssertionError("the placeholder must not load the dataset or its results")

    for module, name in [
        (storage, "load_raw"),
        (storage, "load_result"),
        (storage, "stored_table"),
        (results, "prepared"),
    ]:
        monkeypatch.setattr(module, name, refuse)


def test_the_page_starts_neutral_and_asks_for_its_placeholder():
    page = list(walk(layout.customers_page("combined", "/analytics/")))
    (box,) = [c for c in page if getattr(c, "id", None) == ids.CUSTOMER_INPUT]
    assert box.placeholder == NEUTRAL
    assert ids.CUSTOMERS_READY in [getattr(c, "id", None) for c in page]
    assert "17850" not in repr(page)


def test_the_sample_suggests_one_of_its_own_ids(user, nothing_loaded):
    active, _message, _version = store_upload(None, None, sample=1)
    assert customers.show_placeholder(0, active) == "Customer id, e.g. C000001"


def test_purchases_suggest_a_customer_of_theirs(user, nothing_loaded):
    dataset = storage.save_upload(user.get_id(), "retail.csv", PURCHASES.encode())
    assert dataset.shape == "transactions"  # RFM: customers from purchases
    assert customers.show_placeholder(0, dataset.id) == "Customer id, e.g. K-40"


def test_the_suggested_id_looks_up_a_customer(user):
    dataset = storage.save_upload(user.get_id(), "shop.csv", TABLE.encode()).id
    suggested = customers.show_placeholder(0, dataset).removeprefix("Customer id, e.g. ")
    assert suggested == "0"
    assert f"Customer {suggested}" in text_of(look_up(suggested, SETTINGS, dataset))


@pytest.mark.parametrize("active", [None, "abc", 10**12, -1, [1], {"index": 1}])
def test_without_an_open_dataset_the_placeholder_is_neutral(user, nothing_loaded, active):
    assert customers.show_placeholder(0, active) == NEUTRAL


def test_another_users_dataset_suggests_nothing(app, nothing_loaded):
    with logged_in_as(app, "ana") as ana:
        dataset = storage.save_upload(ana.get_id(), "shop.csv", TABLE.encode()).id
    with logged_in_as(app, "bob"):
        assert customers.show_placeholder(0, dataset) == NEUTRAL


def test_a_dataset_stored_before_the_suggestion_gets_one_when_its_roles_are_applied(app, user):
    dataset = storage.save_upload(user.get_id(), "shop.csv", TABLE.encode())
    engine = sqlalchemy.create_engine(app.config["BASKET_SEGMENTS_DATABASE_URL"])
    with engine.begin() as connection:  # as stored by version 0.1
        connection.exec_driver_sql("UPDATE bs_datasets SET example_customer = NULL")
    engine.dispose()
    assert customers.show_placeholder(0, dataset.id) == NEUTRAL
    storage.update_roles(user.get_id(), dataset.id, dataset.roles)
    assert customers.show_placeholder(0, dataset.id) == "Customer id, e.g. 0"


def periods_shown(card) -> list[str]:
    """The lines of the card's strip of periods, in order ([] when it has none)."""
    strips = [c for c in walk(card) if getattr(c, "id", None) == ids.CUSTOMER_PERIODS]
    return [" ".join(text_of(item).split()) for item in strips[0].children] if strips else []


def test_a_customer_shows_a_segment_per_period_once_periods_are_compared(user):
    from tests.test_over_time_callbacks import SETTINGS as BY_RFM
    from tests.test_over_time_callbacks import ask, expected, stored_dated

    dataset = stored_dated(user)
    assert periods_shown(look_up("C040", BY_RFM, dataset)) == []  # nothing compared yet
    answer, _ = ask(dataset)
    found = expected(user, answer)
    first, later = found.periods.labels
    table = found.by_period.set_index(["customer", "period"])
    for customer in ("C040", "C010", "C070"):  # in both periods, the first only, the later only
        shown = periods_shown(look_up(customer, BY_RFM, dataset))
        assert [line.split(":")[0] for line in shown] == [first, later]
        for line, period in zip(shown, (first, later), strict=True):
            if (customer, period) in table.index:
                row = table.loc[(customer, period)]
                assert f": {row['segment_name']} (Recency {row['Recency']:.3g}" in line
            else:
                assert line.endswith(layout.NO_PURCHASE_IN_PERIOD)
    card = look_up("C040", BY_RFM, dataset)
    (strip,) = [c for c in walk(card) if getattr(c, "id", None) == ids.CUSTOMER_PERIODS]
    colours = [item.style["borderLeft"] for item in strip.children]
    segments = [int(table.loc[("C040", p), "segment"]) for p in (first, later)]
    assert colours == [f"6px solid {figures.segment_colour(s)}" for s in segments]


def test_other_periods_or_segments_than_compared_show_no_strip(user):
    from tests.test_over_time_callbacks import SETTINGS as BY_RFM
    from tests.test_over_time_callbacks import ask, stored_dated

    dataset = stored_dated(user)
    ask(dataset)
    assert periods_shown(look_up("C040", BY_RFM, dataset))
    assert periods_shown(look_up("C040", {**BY_RFM, "k": 2}, dataset)) == []  # not compared


@pytest.mark.parametrize(
    ("cell", "opened"),
    [
        ({"colId": "customer", "value": "C000042"}, ("/analytics/customers", "?customer=C000042")),
        ({"colId": "customer", "value": "a&b=c"}, ("/analytics/customers", "?customer=a%26b%3Dc")),
        ({"colId": "Recency then", "value": 12}, (no_update, no_update)),
        ({"colId": "customer", "value": ["x"]}, (no_update, no_update)),
        ("junk", (no_update, no_update)),
    ],
)
def test_a_click_on_a_customer_in_the_over_time_grid_opens_them(cell, opened):
    clicked = [{"prop_id": f'{{"type":"{ids.MOVED_GRID}","view":"v"}}.cellClicked', "value": cell}]
    done = with_props(customers.open_customer, [cell], "/analytics/", triggered_inputs=clicked)
    assert done[0] == opened


def test_rules_that_cannot_be_mined_leave_the_segment_and_say_why(user, monkeypatch):
    """A file whose rules at the Rules page's thresholds are too many to count still shows
    its customer's segment (and periods); the page says why nothing is recommended."""
    too_many = "These thresholds make over 1,000,000 combinations of 2 products to count."

    def refuse(_owner, _query, report=None, only_cached=False):
        raise results.DataError(results.NOT_MINED if only_cached else too_many)

    monkeypatch.setattr(results, "mining", refuse)
    dataset = storage.save_upload(user.get_id(), "retail.csv", PURCHASES.encode()).id
    settings = {"features": ["Recency", "Frequency", "Monetary"], "k": 2, "scale": "standard"}
    card = look_up("K-40", settings, dataset)
    said = text_of(card)
    assert said.startswith(f"No recommendations: {too_many}") and "Customer K-40" in said
    segment = [c for c in walk(html.Div(card)) if getattr(c, "id", None) == ids.CUSTOMER_SEGMENT]
    assert len(segment) == 1 and ids.CUSTOMER_RECOMMENDATIONS not in str(card)
