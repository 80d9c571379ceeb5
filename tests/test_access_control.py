"""Access control, proved from the outside: every route, every Dash callback, forged payloads.

The forged-payload test drives every callback of the dashboard through Dash's
real endpoint with payloads built from the app's own callback map and page
layouts, so a callback added later is covered without editing this file.
"""

from __future__ import annotations

import json
import logging
import re
import time
from typing import Any

import pytest

from basket_segments import ids
from basket_segments.app import DASH_EXTENSION, create_app
from basket_segments.layouts import customers as customers_layout
from basket_segments.layouts import data as data_layout
from basket_segments.layouts import over_time as over_time_layout
from basket_segments.layouts import rules as rules_layout
from basket_segments.layouts import segments as segments_layout
from basket_segments.layouts.frame import serve_layout
from basket_segments.pages import PAGES, navbar_links
from basket_segments.store import storage
from basket_segments.web.accounts import User, db
from tests.callbacks_support import logged_in_as, walk
from tests.callbacks_support import rules_answer as answer_rules
from tests.conftest import PASSWORD, make_config
from tests.test_callbacks import SETTINGS, rules_view, segment_charts

#: No plain callback these tests drive may compute: only background jobs do.
pytestmark = pytest.mark.usefixtures("engine_only_in_jobs")

PREFIX = "/analytics/"
UPDATE = PREFIX + "_dash-update-component"
#: The only routes anyone may open without logging in: the account pages and their files.
PUBLIC_ENDPOINTS = {
    "static",
    "accounts.static",
    "accounts.home",
    "accounts.signup",
    "accounts.login",
    "accounts.logout",
}
#: Alice's data is full of words nobody else could guess; any of them in Bob's answers is a leak.
SECRET_PRODUCTS = ("zyxbread", "zyxmilk", "zyxtea", "zyxjam")
SECRET_NAME = "alice-private-list"
ALICE_TABLE = "CustomerID,Age,Income,Product\n" + "".join(
    f"QZC{i:04d},{20 + i % 50},{30 + (i * 7) % 90},{product}\n"
    for i in range(120)
    for product in (SECRET_PRODUCTS[:2] if i % 3 else SECRET_PRODUCTS[2:])
)
THRESHOLDS = [0.05, 0.3, 1.0, 3]


# --- the URL map ------------------------------------------------------------------------------


def every_route(app):
    """Each route of the whole site, placeholders filled in, with its endpoint and methods."""
    fillers = {
        "filename": "style.css",
        "package_name": "dash",
        "fingerprinted_path": "x.js",
        "path": "segments",
        "name": "rules.csv",
    }
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        values = {name: fillers[name] for name in rule.arguments}
        url = adapter.build(rule.endpoint, values)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, url, method


def test_every_route_but_the_account_pages_needs_a_login(app, client):
    checked = set()
    for endpoint, url, method in every_route(app):
        if endpoint in PUBLIC_ENDPOINTS:
            continue
        response = client.open(url, method=method, json={} if method == "POST" else None)
        assert response.status_code in (401, 302), (url, method)
        if response.status_code == 302:
            assert response.location.startswith("/login?next="), url
        checked.add(url)
    for dash_route in ("_dash-layout", "_dash-dependencies", "_dash-update-component", ""):
        assert PREFIX + dash_route in checked
    assert len(checked) >= 9
    assert {endpoint for endpoint, _, _ in every_route(app)} >= PUBLIC_ENDPOINTS


# --- payloads built from the app's own callbacks ------------------------------------------------


def dash_app(app):
    return app.extensions[DASH_EXTENSION][0]


def layout_values() -> dict[tuple[str, str], Any]:
    """The value of every property of every component the pages show at first."""
    pages = [
        serve_layout(pages=navbar_links()),
        data_layout.data_page(10**6, "/analytics/upload"),
        segments_layout.segments_page("combined", PREFIX),
        rules_layout.rules_page("combined", PREFIX),
        customers_layout.customers_page("combined", PREFIX),
        over_time_layout.over_time_page("transactions", PREFIX, dated=True),
    ]
    values: dict[tuple[str, str], Any] = {}
    for page in pages:
        for component in walk(page):
            component_id = getattr(component, "id", None)
            if isinstance(component_id, str):
                for prop in component._prop_names:
                    values[(component_id, prop)] = getattr(component, prop, None)
    return values


def wildcard_matches(pattern: dict, dataset: int) -> list[dict]:
    """Concrete ids a browser would send for a pattern-matching (ALL or MATCH) id."""
    choices = {
        "index": [dataset],
        "role": ["customer"],
        "page": [page.key for page in PAGES],
        "view": ["v0"],
        "box": ["include_antecedent"],
    }
    (key,) = [name for name, value in pattern.items() if value in (["ALL"], ["MATCH"])]
    return [{**pattern, key: choice} for choice in choices[key]]


def is_match(component_id: str) -> bool:
    """A MATCH id: the browser sends one component for it, not a list."""
    return component_id.startswith("{") and ["MATCH"] in json.loads(component_id).values()


def dependency(dep: dict, values: dict, dataset: int) -> dict | list:
    component_id, prop = dep["id"], dep["property"]
    if component_id.startswith("{"):
        pattern = json.loads(component_id)
        found = [
            {"id": match, "property": prop, "value": match if prop == "id" else 1}
            for match in wildcard_matches(pattern, dataset)
        ]
        if is_match(component_id):
            value = values.get((pattern["type"], prop), 1)
            return {**found[0], "value": value}
        return found
    return {"id": component_id, "property": prop, "value": values.get((component_id, prop))}


def outputs_of(key: str, dataset: int) -> list | dict:
    parts = key[2:-2].split("...") if key.startswith("..") else [key]
    outputs = []
    for part in parts:
        component_id, prop = part.rsplit(".", 1)
        if is_match(component_id):
            (match,) = wildcard_matches(json.loads(component_id), dataset)
            outputs.append({"id": match, "property": prop})
        elif component_id.startswith("{"):
            matches = wildcard_matches(json.loads(component_id), dataset)
            outputs.append([{"id": match, "property": prop} for match in matches])
        else:
            outputs.append({"id": component_id, "property": prop})
    return outputs if key.startswith("..") else outputs[0]


def payload(key: str, spec: dict, values: dict, dataset: int, trigger: int = 0) -> dict:
    """The JSON the browser posts for callback ``key``, as if input ``trigger`` changed."""
    inputs = [dependency(dep, values, dataset) for dep in spec["inputs"]]
    changed = inputs[trigger]
    changed = changed[0] if isinstance(changed, list) else changed
    changed_id = changed["id"]
    if isinstance(changed_id, dict):
        changed_id = json.dumps(changed_id, sort_keys=True, separators=(",", ":"))
    return {
        "output": key,
        "outputs": outputs_of(key, dataset),
        "inputs": inputs,
        "state": [dependency(dep, values, dataset) for dep in spec["state"]],
        "changedPropIds": [f"{changed_id}.{changed['property']}"],
    }


def end_id(client) -> str:
    page = client.get(PREFIX).get_data(as_text=True)
    config = re.search(r'<script id="_dash-config" type="application/json">(.*?)</script>', page)
    return json.loads(config.group(1))["end_id"]


def call(client, body: dict, timeout: float = 30) -> tuple[int, str]:
    """Post a callback as the browser does, polling a background job to its end."""
    url = f"{UPDATE}?endId={end_id(client)}"
    response = client.post(url, json=body)
    answer = response.get_json(silent=True) or {}
    if "cacheKey" not in answer:
        return response.status_code, response.get_data(as_text=True)
    poll = f"{url}&cacheKey={answer['cacheKey']}&job={answer['job']}"
    deadline, texts = time.monotonic() + timeout, []
    while time.monotonic() < deadline:
        time.sleep(0.05)
        response = client.post(poll, json=body)
        texts.append(response.get_data(as_text=True))
        polled = response.get_json(silent=True) or {}
        if response.status_code != 200 or "response" in polled or polled.get("done"):
            break
    return response.status_code, "\n".join(texts)


# --- logged out: every callback ------------------------------------------------------------------


def test_every_dash_callback_refuses_anonymous_callers(app, client):
    values = layout_values()
    callbacks = dash_app(app).callback_map
    for key, spec in list(callbacks.items()):
        response = client.post(UPDATE, json=payload(key, spec, values, dataset=1))
        assert response.status_code == 401, key
        polling = f"{UPDATE}?cacheKey=k&job=1"
        assert client.post(polling, json=payload(key, spec, values, 1)).status_code == 401, key
    assert len(callbacks) >= 30


# --- two users: Bob forges Alice's ids ----------------------------------------------------------


@pytest.fixture
def two_users(tmp_path):
    """Alice with a dataset, segments, rules and products; Bob with nothing; both logged in."""
    app = create_app(make_config(tmp_path))
    clients = {}
    for name in ("alice", "bob"):
        clients[name] = app.test_client()
        clients[name].post(
            "/signup", data={"username": name, "password": PASSWORD, "confirm": PASSWORD}
        )
    with app.app_context():
        alice = str(db.session.scalar(db.select(User).filter_by(username="alice")).id)
        dataset = storage.save_upload(alice, "alice.csv", ALICE_TABLE.encode(), name=SECRET_NAME).id
    with logged_in_as(app, "alice"):
        assert segment_charts(SETTINGS, "Age", "Income", None, dataset)[0] is not None
        rules_view(THRESHOLDS, "customer", [], None, "any", None, SETTINGS, dataset)
        rules_answer, _ = answer_rules(THRESHOLDS, "customer", dataset)
    assert rules_answer["request"] is not None  # Alice's rules are stored
    return app, clients, alice, dataset, rules_answer


def alices_values(dataset: int, rules_answer: dict) -> dict:
    """What Alice's browser would send, from the page defaults plus her choices."""
    segments_answer = {"request": {"settings": SETTINGS, "dataset": dataset}, "result": None}
    upload = {"upload": "0" * 32, "filename": "alice.csv"}
    lookup = {"customer": "QZC0004", "dataset": dataset, "rules": None}
    values = layout_values()
    values.update(
        {
            (ids.ACTIVE_DATASET, "data"): dataset,
            (ids.SEGMENT_SETTINGS, "data"): SETTINGS,
            (ids.SELECTED_SEGMENT, "data"): 0,
            (ids.DATA_VERSION, "data"): 1,
            (ids.DELETE_PENDING, "data"): dataset,
            (ids.RENAME_INPUT, "value"): "renamed by someone",
            (ids.UPLOADED, "data"): upload,
            (ids.DATA_WORK.asked, "data"): {"request": {"file": upload}, "nonce": "n0"},
            (ids.SEGMENTS_WORK.answer, "data"): segments_answer,
            (ids.SEGMENTS_WORK.asked, "data"): {**segments_answer, "nonce": "n1"},
            (ids.K_WORK.answer, "data"): segments_answer,
            (ids.K_WORK.asked, "data"): {**segments_answer, "nonce": "n3"},
            (ids.X_AXIS, "value"): "Age",
            (ids.Y_AXIS, "value"): "Income",
            (ids.RULES_WORK.answer, "data"): rules_answer,
            (ids.RULES_WORK.asked, "data"): {**rules_answer, "nonce": "n2"},
            (ids.RULES_SEGMENT, "value"): "0",  # a select sends text
            (ids.RULES_VIEW, "data"): {
                "answer": rules_answer,
                "hide": [],
                "sides": {"include_either": ["milk"]},
                "segment": 0,
            },
            (ids.RULES_GRID, "getRowsRequest"): {"startRow": 0, "endRow": 100},
            (ids.RULES_SEGMENT, "options"): [{"label": "Segment 1", "value": "0"}],
            (ids.MIN_SUPPORT, "value"): THRESHOLDS[0],
            (ids.MIN_CONFIDENCE, "value"): THRESHOLDS[1],
            (ids.MIN_LIFT, "value"): THRESHOLDS[2],
            (ids.MAX_LENGTH, "value"): THRESHOLDS[3],
            (ids.BASKET_CHOICE, "value"): "customer",
            (ids.CUSTOMER_INPUT, "value"): "QZC0004",
            (ids.CUSTOMERS_WORK.answer, "data"): {"request": lookup, "result": None},
            (ids.CUSTOMERS_WORK.asked, "data"): {"request": lookup, "nonce": "n4"},
        }
    )
    for component_id, prop in list(values):
        if prop in ("n_clicks", "n_submit"):
            values[(component_id, prop)] = 1
    return values


def leaks(text: str, sent: dict) -> set[str]:
    """Alice's secrets in ``text`` that the request itself did not carry."""
    carried = json.dumps(sent)
    secrets = (*SECRET_PRODUCTS, SECRET_NAME, *(f"QZC{i:04d}" for i in range(120)))
    return {secret for secret in secrets if secret in text and secret not in carried}


def every_forgery(app, dataset: int, rules_answer: dict):
    """(callback key, payload) for every callback and each of its inputs as the trigger."""
    values = alices_values(dataset, rules_answer)
    for key, spec in list(dash_app(app).callback_map.items()):
        if "callback" not in spec:
            continue  # a clientside callback runs in the browser; the server has no function
        for trigger in range(len(spec["inputs"])):
            yield key, payload(key, spec, values, dataset, trigger)


def stored_state(app, owner: str) -> tuple:
    with app.app_context():
        datasets = [(d.id, d.name, d.rows, d.customers) for d in storage.list_datasets(owner)]
        folder = storage._owner_folder(owner)
        files = sorted(
            (str(path.relative_to(folder)), path.stat().st_size)
            for path in folder.rglob("*")
            if path.is_file()
        )
    return datasets, files


def test_forged_callbacks_never_show_or_change_another_users_data(two_users, caplog):
    caplog.set_level(logging.ERROR)
    app, clients, alice, dataset, rules_answer = two_users
    forgeries = list(every_forgery(app, dataset, rules_answer))
    revealed_to_alice = set()
    for key, body in forgeries:
        if re.search(f"{ids.DELETE_CONFIRM}|{ids.RENAME}", body["changedPropIds"][0]):
            continue  # Alice would change her own data; Bob's attempts are below
        status, text = call(clients["alice"], body)
        if status == 200 and leaks(text, body):
            revealed_to_alice.add(key.split("@")[0])
    # The payloads are real: the same requests show Alice her own data in many places
    # (the rules' sentences, scatter and top products come with the grid's rows now).
    assert len(revealed_to_alice) >= 6, revealed_to_alice
    assert any("rules-grid" in key for key in revealed_to_alice)

    before = stored_state(app, alice)

    for key, body in forgeries:
        status, text = call(clients["bob"], body)
        assert status in (200, 204), (key, status, text[:300])
        assert not leaks(text, body), (key, leaks(text, body))
        assert "Something went wrong" not in text, key  # a crash is not "missing"
    assert stored_state(app, alice) == before
    assert not [record for record in caplog.records if "Callback failed" in record.message]


# --- CSRF and passwords -------------------------------------------------------------------------


def signup_with_token(client, username: str, password: str = PASSWORD):
    page = client.get("/signup").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    form = {"csrf_token": token, "username": username, "password": password}
    return client.post("/signup", data={**form, "confirm": password})


def rename_request(app, dataset: int, new_name: str) -> dict:
    """The Rename button's callback, as the browser posts it."""
    (key, spec), *_ = [
        (key, spec)
        for key, spec in dash_app(app).callback_map.items()
        if any(dep["id"] == ids.RENAME for dep in spec["inputs"])
    ]
    values = {
        **layout_values(),
        (ids.RENAME, "n_clicks"): 1,
        (ids.RENAME_INPUT, "value"): new_name,
        (ids.ACTIVE_DATASET, "data"): dataset,
    }
    return payload(key, spec, values, dataset, trigger=1)


def test_dash_callbacks_need_the_sessions_csrf_token_and_cookie(tmp_path):
    app = create_app(make_config(tmp_path, WTF_CSRF_ENABLED=True))
    client = app.test_client()
    assert signup_with_token(client, "carol").status_code == 302
    client.get(PREFIX)  # the dashboard page sets the _csrf_token cookie for Dash
    with app.app_context():
        owner = str(db.session.scalar(db.select(User).filter_by(username="carol")).id)
        dataset = storage.save_upload(owner, "c.csv", ALICE_TABLE.encode(), name="before").id
    body = rename_request(app, dataset, "after")

    def name() -> str:
        with app.app_context():
            return storage.get_dataset(owner, dataset).name

    assert client.post(UPDATE, json=body).status_code == 400  # no token: a forged post
    assert client.post(UPDATE, json=body, headers={"X-CSRFToken": "guess"}).status_code == 400
    stranger = app.test_client()  # a cross-site post carries no session cookie (SameSite=Lax)
    assert stranger.post(UPDATE, json=body).status_code in (400, 401)
    assert name() == "before"

    token = client.get_cookie("_csrf_token", path=PREFIX).value
    assert client.post(UPDATE, json=body, headers={"X-CSRFToken": token}).status_code == 200
    assert name() == "after"


def test_an_answer_signs_a_new_csrf_cookie_only_when_the_one_sent_ages(tmp_path):
    """Signing the cookie for every answer cost 3.5 % of the workers' time under load:
    while the cookie sent has more than half its lifetime ahead, none is set."""
    app = create_app(make_config(tmp_path, WTF_CSRF_ENABLED=True, WTF_CSRF_TIME_LIMIT=6))
    client = app.test_client()
    assert signup_with_token(client, "erin").status_code == 302
    first = client.get(PREFIX).headers.getlist("Set-Cookie")
    assert [c for c in first if c.startswith("_csrf_token=")]  # the page gives Dash its token
    with app.app_context():
        owner = str(db.session.scalar(db.select(User).filter_by(username="erin")).id)
        dataset = storage.save_upload(owner, "e.csv", ALICE_TABLE.encode(), name="before").id

    def post() -> list[str]:
        token = client.get_cookie("_csrf_token", path=PREFIX).value
        body = rename_request(app, dataset, "after")
        answer = client.post(UPDATE, json=body, headers={"X-CSRFToken": token})
        assert answer.status_code == 200
        return [c for c in answer.headers.getlist("Set-Cookie") if c.startswith("_csrf_token=")]

    assert post() == []  # fresh: nothing signed
    # Past half of its 6 s, still within them: itsdangerous counts whole seconds, so
    # 4.1 s make an age of 4 or 5 (2.1 of 2 s could make 3, expired: a flaky 400).
    time.sleep(4.1)
    assert len(post()) == 1  # still valid, but aging: a new one
    assert post() == []  # and that one is fresh again
    client.set_cookie("_csrf_token", "forged", path=PREFIX)  # or another session's
    again = client.get(PREFIX).headers.getlist("Set-Cookie")
    assert [c for c in again if c.startswith("_csrf_token=")]


def test_passwords_are_never_logged_or_stored_in_clear(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    password = "unguessable-Pa55word-xyz"
    app = create_app(make_config(tmp_path))
    client = app.test_client()
    client.post("/signup", data={"username": "dan", "password": password, "confirm": password})
    client.get("/logout")
    client.post("/login", data={"username": "dan", "password": password + "!"})
    client.post("/login", data={"username": "dan", "password": password})
    assert client.get(PREFIX).status_code == 200

    assert password not in caplog.text
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert password.encode() not in path.read_bytes(), path
    with app.app_context():
        stored = db.session.scalar(db.select(User).filter_by(username="dan")).password_hash
    assert password not in stored and stored.startswith(("scrypt:", "pbkdf2:"))
