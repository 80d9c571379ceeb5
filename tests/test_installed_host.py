"""The dashboard installed from its wheel into a fresh venv, embedded in examples/host_site.

This is what a real host does: ``pip install`` the wheel, import
``basket_segments`` beside its own generic ``app``, ``config``, ``auth``,
``storage`` and ``models``, and serve both from its own folder.
"""

import json
import re
import tomllib
import zipfile
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from basket_segments import ids
from tests.host_site import HOST_MODULES, MEMBER, REPO, sign_in, user_name_request

#: Our modules named as the host's own generic ones (app, auth, config, storage).
PACKAGE_MODULES = (
    "basket_segments.app",
    "basket_segments.web.auth",
    "basket_segments.web.config",
    "basket_segments.store.storage",
)
REPORT_MODULES = """
import json, os, sys
from app import create_app

create_app({"TESTING": True, "INSTANCE_PATH": sys.argv[1]})
files = {name: sys.modules[name].__file__ for name in sys.argv[2:]}
print(json.dumps({"files": files, "path": [os.path.abspath(entry) for entry in sys.path]}))
"""


@pytest.fixture
def member(host_server) -> requests.Session:
    """A session signed in through the host's form that has opened the dashboard once."""
    session = sign_in(host_server)
    assert session.get(f"{host_server}/analytics/", timeout=10).status_code == 200
    return session


def test_the_wheel_installs_only_the_basket_segments_package(installed_host):
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    with zipfile.ZipFile(installed_host.wheel) as wheel:
        top_level = {name.split("/")[0] for name in wheel.namelist()}
    assert top_level == {"basket_segments", f"basket_segments-{version}.dist-info"}
    location = installed_host.run(
        installed_host.command("python"),
        "-c",
        "import basket_segments; print(basket_segments.__file__)",
    )
    assert Path(location.strip()).resolve().is_relative_to(installed_host.site_packages)


def test_the_hosts_generic_module_names_stay_its_own(installed_host, tmp_path):
    output = installed_host.run(
        installed_host.command("python"),
        "-c",
        REPORT_MODULES,
        tmp_path / "instance",
        *HOST_MODULES,
        *PACKAGE_MODULES,
    )
    report = json.loads(output)
    for name in HOST_MODULES:
        assert Path(report["files"][name]) == installed_host.site / f"{name}.py"
    for name in PACKAGE_MODULES:
        package = installed_host.site_packages / "basket_segments"
        assert Path(report["files"][name]).resolve().is_relative_to(package)
    assert not any(Path(entry).resolve().is_relative_to(REPO) for entry in report["path"])


def test_anonymous_visitors_go_to_the_hosts_login(host_server):
    response = requests.get(f"{host_server}/analytics/", allow_redirects=False, timeout=10)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/auth/login"
    assert parse_qs(location.query) == {"next": ["/analytics/"]}
    layout = requests.get(f"{host_server}/analytics/_dash-layout", timeout=10)
    assert layout.status_code == 401


def test_the_pages_assets_are_served_under_the_prefix(host_server, member):
    """The dashboard's own stylesheet and Dash's renderer, at the URLs the page names."""
    page = member.get(f"{host_server}/analytics/", timeout=10).text
    stylesheet = re.search(r'href="(/analytics/assets/vendor/bootstrap\.min\.css[^"]*)"', page)
    renderer = re.search(
        r'src="(/analytics/_dash-component-suites/dash/dash-renderer/[^"]+)"', page
    )
    javascript = {"text/javascript", "application/javascript"}  # both are in use
    for found, media_types in ((stylesheet, {"text/css"}), (renderer, javascript)):
        response = member.get(host_server + found.group(1), timeout=10)
        assert response.status_code == 200
        assert response.headers["Content-Type"].split(";")[0] in media_types
    anonymous = requests.get(host_server + stylesheet.group(1), allow_redirects=False, timeout=10)
    assert anonymous.status_code == 302


def test_a_callback_answers_with_the_members_email(host_server, member):
    token = member.cookies.get("_csrf_token", path="/analytics/")
    assert token
    response = member.post(
        f"{host_server}/analytics/_dash-update-component",
        json=user_name_request(),
        headers={"X-CSRFToken": token},
        timeout=10,
    )
    assert response.status_code == 200
    assert response.json()["response"][ids.USER_NAME]["children"] == MEMBER


def test_the_hosts_csrf_protection_covers_the_callbacks(host_server, member):
    response = member.post(
        f"{host_server}/analytics/_dash-update-component", json=user_name_request(), timeout=10
    )
    assert response.status_code == 400


def test_the_host_and_the_dashboard_keep_their_files_in_the_hosts_instance(
    installed_host, host_server
):
    files = {
        path.relative_to(installed_host.instance).as_posix()
        for path in installed_host.instance.rglob("*")
    }
    ours = {"basket_segments.db", "data", "jobs"}
    assert {"site.db", "secret_key", *(f"basket_segments/{name}" for name in ours)} <= files
    assert {name for name in files if "/" not in name} == {
        "site.db",
        "secret_key",
        "basket_segments",
    }
    assert not (installed_host.venv / "var").exists()
