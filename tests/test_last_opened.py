"""The dataset a user last opened opens again at their next login, kept on the server per
user; another user never gets it, and a deleted dataset is forgotten, never an error."""

import json
from datetime import UTC, datetime

import pytest
import sqlalchemy
from sqlalchemy.orm import Session

from basket_segments import ids
from basket_segments.app import create_app
from basket_segments.callbacks import data
from basket_segments.store import storage
from tests.callbacks_support import (
    logged_in_as,
    store_upload,
    triggered,
    upload_contents,
    with_props,
)
from tests.conftest import AuthActions, make_config
from tests.test_callbacks import TABLE

LAYOUT = "/analytics/_dash-layout"


def opened_at_load(client) -> int | None:
    """The active dataset a page load starts with, as the layout route serves it."""
    response = client.get(LAYOUT)
    assert response.status_code == 200

    def stores(node):
        if isinstance(node, dict):
            props = node.get("props", {})
            if isinstance(props, dict) and props.get("id") == ids.ACTIVE_DATASET:
                yield props
            for value in node.values():
                yield from stores(value)
        elif isinstance(node, list):
            for value in node:
                yield from stores(value)

    (store,) = stores(json.loads(response.get_data()))
    assert store["storage_type"] == "session"  # the tab's own value wins when it has one
    return store.get("data")


def click_open(app, username: str, dataset: int):
    """The "Open" button of ``dataset`` in "Your datasets", clicked by ``username``."""
    button = json.dumps(ids.open_button(dataset), separators=(",", ":"), sort_keys=True)
    clicked = [{"prop_id": f"{button}.n_clicks", "value": 1}]
    with logged_in_as(app, username):
        return with_props(data.open_dataset, [1], triggered_inputs=clicked)[0]


def delete(app, username: str, dataset: int, active) -> None:
    """Confirm the deletion of ``dataset`` on the Data page, ``active`` being open."""
    with logged_in_as(app, username):
        triggered(
            f"{ids.DELETE_CONFIRM}.n_clicks",
            1,
            data.change_datasets,
            1,
            None,
            dataset,
            None,
            active,
            1,
        )


def two_datasets(app, username: str = "ana") -> tuple[int, int]:
    with logged_in_as(app, username) as user:
        first = storage.save_upload(user.get_id(), "a.csv", TABLE.encode()).id
        second = storage.save_upload(user.get_id(), "b.csv", TABLE.encode()).id
    return first, second


@pytest.fixture
def ana(app, client, auth):
    """ "ana" signed up, logged in, with two datasets."""
    auth.signup()
    return two_datasets(app)


def test_a_new_login_opens_the_dataset_last_opened(app, client, auth, ana):
    first, second = ana
    assert opened_at_load(client) is None  # nothing opened yet
    assert click_open(app, "ana", second) == second
    auth.logout()
    assert client.get(LAYOUT).status_code == 401
    auth.login()
    assert opened_at_load(client) == second
    assert click_open(app, "ana", first) == first
    auth.logout()
    auth.login()
    assert opened_at_load(client) == first


def test_an_upload_is_the_dataset_last_opened(app, client, ana):
    with logged_in_as(app, "ana"):
        active, _message, _version = store_upload(upload_contents(TABLE), "c.csv")
    assert active not in ana
    assert opened_at_load(client) == active


def test_another_user_never_gets_it(app, client, ana):
    _first, second = ana
    click_open(app, "ana", second)
    bob = app.test_client()
    AuthActions(bob).signup("bob")
    assert opened_at_load(bob) is None
    assert click_open(app, "bob", second) is not second  # not his: nothing opens
    assert opened_at_load(bob) is None
    assert opened_at_load(client) == second
    with logged_in_as(app, "bob") as bob_user:
        with pytest.raises(storage.DatasetNotFound):
            storage.remember_open(bob_user.get_id(), second)
        assert storage.last_opened(bob_user.get_id()) is None


def database(app) -> sqlalchemy.Engine:
    """The dashboard's database, reached directly as an administrator would."""
    return sqlalchemy.create_engine(app.config["BASKET_SEGMENTS_DATABASE_URL"])


def remembered_rows(app) -> list[tuple[str, int]]:
    engine = database(app)
    with Session(engine) as session:
        rows = session.scalars(sqlalchemy.select(storage.LastOpened)).all()
        found = [(row.owner, row.dataset_id) for row in rows]
    engine.dispose()
    return found


def test_a_row_naming_another_users_dataset_opens_nothing(app, ana):
    """Even a row that names someone else's dataset (none is ever written so) opens
    nothing for anyone but the dataset's owner."""
    _first, second = ana
    engine = database(app)
    with Session(engine) as session, session.begin():
        row = storage.LastOpened(owner="bob", dataset_id=second, opened=datetime.now(UTC))
        session.add(row)
    engine.dispose()
    with app.app_context():
        assert storage.last_opened("bob") is None


def test_a_deleted_dataset_is_forgotten(app, client, ana):
    first, second = ana
    click_open(app, "ana", second)
    delete(app, "ana", second, second)
    assert opened_at_load(client) is None
    click_open(app, "ana", first)
    assert remembered_rows(app) != []
    delete(app, "ana", first, None)  # deleted from a tab that had nothing open
    assert opened_at_load(client) is None
    assert remembered_rows(app) == []  # the row went with the dataset


def test_a_failing_database_opens_nothing_and_still_loads_the_page(app, client, ana, monkeypatch):
    _first, second = ana
    click_open(app, "ana", second)

    def unavailable(_owner):
        raise storage.StorageUnavailable("The server's database is not available.")

    monkeypatch.setattr(storage, "last_opened", unavailable)
    assert opened_at_load(client) is None


def test_opening_works_when_the_database_refuses_the_write(app, ana, monkeypatch):
    _first, second = ana

    def refused(_owner, _dataset):
        raise storage.StorageUnavailable("The server's data folder is read-only.")

    monkeypatch.setattr(storage, "remember_open", refused)
    assert click_open(app, "ana", second) == second


def test_a_database_of_an_earlier_version_gets_the_new_table_and_column(tmp_path):
    """A deployment's existing database keeps working: the table of last opened datasets
    is created and the datasets table gains its column, its old rows empty there."""
    config = make_config(tmp_path)
    app = create_app(config)
    with app.app_context():
        old = storage.save_upload("1", "a.csv", TABLE.encode()).id
    engine = database(app)
    with engine.begin() as connection:  # as version 0.1 left it
        connection.exec_driver_sql("DROP TABLE bs_last_opened")
        connection.exec_driver_sql("ALTER TABLE bs_datasets DROP COLUMN example_customer")
    engine.dispose()

    app = create_app(config)
    with app.app_context():
        assert storage.get_dataset("1", old).example_customer is None
        storage.remember_open("1", old)
        assert storage.last_opened("1") == old
        new = storage.save_upload("1", "b.csv", TABLE.encode())
        assert new.example_customer == "0"
    create_app(config)  # a second start finds everything in place
