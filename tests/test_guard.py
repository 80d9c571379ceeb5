"""Logged-in users get the dashboard; the account pages stay public.

That everything else refuses anonymous callers is proved in test_access_control.py.
"""

import pytest
from flask_login import UserMixin, login_user

from basket_segments import ids
from basket_segments.store import owner
from basket_segments.store.owner import current_owner

PREFIX = "/analytics/"


def test_logged_in_users_get_the_dashboard(logged_in):
    assert logged_in.get(PREFIX).status_code == 200
    assert logged_in.get(PREFIX + "_dash-layout").status_code == 200


@pytest.mark.parametrize("path", ["/", "/login", "/signup"])
def test_pages_outside_the_prefix_stay_public(client, path):
    assert client.get(path).status_code in (200, 302)


def test_callbacks_answer_with_the_users_name(logged_in):
    body = {
        "output": f"{ids.USER_NAME}.children",
        "outputs": {"id": ids.USER_NAME, "property": "children"},
        "inputs": [{"id": ids.URL, "property": "pathname", "value": "/analytics/"}],
        "changedPropIds": [f"{ids.URL}.pathname"],
        "state": [],
    }
    response = logged_in.post(PREFIX + "_dash-update-component", json=body)
    assert response.status_code == 200
    assert response.get_json()["response"][ids.USER_NAME]["children"] == "ana"


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/password"), ("POST", "/password"), ("POST", "/logout-everywhere")],
)
def test_account_settings_need_a_login(client, method, path):
    response = client.open(path, method=method)
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


def test_a_hosts_user_with_per_login_ids_keeps_one_data_owner(app):
    """A host using Flask-Login's alternative tokens names the stable owner ``owner_id``."""

    class HostUser(UserMixin):
        def __init__(self, token):
            self.owner_id, self.token = 42, token

        def get_id(self):
            return f"42:{self.token}"

    owners = []
    for token in ("first-login", "second-login"):
        with app.test_request_context(PREFIX):
            login_user(HostUser(token))
            owners.append((current_owner(), owner.request_owner()))
    assert owners == [("42", "42"), ("42", "42")]
