"""Logged-in users get the dashboard; the account pages stay public.

That everything else refuses anonymous callers is proved in test_access_control.py.
"""

import pytest

from basket_segments import ids

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
