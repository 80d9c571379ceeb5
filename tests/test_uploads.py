"""The upload route: files reach the server outside callbacks, per user, within the limit."""

import io

import pytest

from basket_segments.analytics.errors import DataError
from basket_segments.app import create_app
from basket_segments.store import storage
from basket_segments.web.auth import CSRF_COOKIE
from basket_segments.web.uploads import FILENAME_HEADER
from tests.callbacks_support import logged_in_as
from tests.conftest import PASSWORD, make_config
from tests.test_callbacks import TABLE

URL = "/analytics/upload"


@pytest.fixture
def guarded(tmp_path):
    """The standalone app with CSRF protection on, as in production, and 1 MB uploads."""
    return create_app(make_config(tmp_path, WTF_CSRF_ENABLED=True, BASKET_SEGMENTS_MAX_UPLOAD_MB=1))


def signed_up(app, username="ana"):
    """A client signed up through the form, holding the dashboard's CSRF cookie."""
    client = app.test_client()
    page = client.get("/signup").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    data = {"username": username, "password": PASSWORD, "confirm": PASSWORD, "csrf_token": token}
    client.post("/signup", data=data)
    client.get("/analytics/")
    return client, client.get_cookie(CSRF_COOKIE, path="/analytics/").value


def post(client, content: bytes, token: str | None, name: str = "shop%20list.csv"):
    headers = {FILENAME_HEADER: name, **({"X-CSRFToken": token} if token else {})}
    return client.post(URL, data=content, headers=headers, content_type="text/csv")


def test_a_logged_in_user_gets_a_handle_to_a_stored_copy(guarded):
    client, token = signed_up(guarded)
    answer = post(client, TABLE.encode(), token)
    assert answer.status_code == 200
    sent = answer.get_json()
    assert sent["filename"] == "shop list.csv" and len(sent["upload"]) == 32
    with logged_in_as(guarded, "ana") as ana:
        owner = ana.get_id()
        assert storage.take_upload(owner, sent["upload"]) == TABLE.encode()
        with pytest.raises(DataError, match="no longer on the server"):
            storage.take_upload(owner, sent["upload"])  # read once, then gone


def test_uploads_need_a_login_and_the_csrf_token(app, guarded):
    assert post(app.test_client(), b"a,b\n1,2\n", None).status_code == 401  # CSRF off here
    # Anonymous: the login guard answers before the CSRF check (the page then goes to log in).
    assert post(guarded.test_client(), b"a,b\n1,2\n", None).status_code == 401
    client, _token = signed_up(guarded)
    refused = post(client, b"a,b\n1,2\n", None)
    assert refused.status_code == 400 and b"CSRF" in refused.data


def test_a_file_over_the_limit_is_refused_with_a_sentence(guarded):
    client, token = signed_up(guarded)
    answer = post(client, b"x" * (2**20 + 1), token)
    assert answer.status_code == 413
    assert answer.get_json() == {
        "error": "The file is 1.0 MB, over the upload limit of 1 MB.",
    }


def test_a_handle_opens_only_its_owners_upload(app):
    with logged_in_as(app, "alice"):
        handle = storage.receive_upload("alice-id", io.BytesIO(b"secret"), 6)
        for forged in (handle, "../" * 3 + "etc/passwd", None, "0" * 32):
            with pytest.raises(DataError, match="no longer on the server"):
                storage.take_upload("bob-id", forged)
        assert storage.take_upload("alice-id", handle) == b"secret"


def test_a_stream_longer_than_declared_is_cut_at_the_limit(app):
    with logged_in_as(app, "alice"), pytest.raises(storage.UploadTooLarge):
        storage.receive_upload("alice-id", io.BytesIO(b"x" * (50 * 2**20 + 1)), None)
