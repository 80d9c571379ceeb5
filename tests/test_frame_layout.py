"""The navbar's account controls, as the standalone app and a host site get them."""

import re

from basket_segments import ids
from basket_segments.layouts.frame import serve_layout
from tests.callbacks_support import walk


def test_log_out_is_a_form_posting_the_csrf_token():
    page = list(walk(serve_layout("/analytics/", "/auth/logout", csrf_token="t0ken")))
    (form,) = [c for c in page if type(c).__name__ == "Form"]
    assert (form.method, form.action) == ("post", "/auth/logout")
    fields = {getattr(c, "name", None): c for c in walk(form) if c is not form}
    assert (fields["csrf_token"].type, fields["csrf_token"].value) == ("hidden", "t0ken")
    assert [c.type for c in walk(form) if getattr(c, "id", None) == ids.LOGOUT_LINK] == ["submit"]


def test_a_host_gets_no_password_link_and_may_keep_a_get_logout():
    page = list(walk(serve_layout("/analytics/", "/bye", logout_method="get")))
    hrefs = [getattr(c, "href", None) for c in page]
    assert "/bye" in hrefs and not any(h and "password" in h for h in hrefs)
    assert not [c for c in page if type(c).__name__ == "Form"]
    standalone = walk(serve_layout("/analytics/", "/logout", password_url="/password"))
    assert "/password" in [getattr(c, "href", None) for c in standalone]


def test_the_navbar_lists_every_registered_page_in_order():
    from basket_segments.pages import PAGES, navbar_links

    page = walk(serve_layout("/analytics/", "/logout", pages=navbar_links()))
    links = [c for c in page if type(c).__name__ == "NavLink" and isinstance(c.id, dict)]
    assert [link.id["page"] for link in links] == [p.key for p in PAGES]
    labels = ["Data", "Segments", "Rules", "Customers", "Over time"]
    assert [link.children for link in links] == labels
    assert links[2].href == "/analytics/rules"


def test_the_logout_script_knows_the_navbars_logout_control():
    """assets/logged_out.js forgets the tab's stores when this control logs out."""
    from basket_segments.app import PACKAGE

    script = (PACKAGE / "assets" / "logged_out.js").read_text()
    assert f'"#{ids.LOGOUT_LINK}"' in script and f'"a#{ids.LOGOUT_LINK}"' in script
    prefix = re.search(r'const TAB_STATE = "([^"]+)"', script).group(1)
    layout = serve_layout("/analytics/", "/logout", csrf_token="t")
    kept = [c.id for c in walk(layout) if getattr(c, "storage_type", None) in ("session", "local")]
    assert kept and all(store.startswith(prefix) for store in kept), kept
    # A page's own stores kept in the browser must carry the prefix too.
    store = re.compile(r'dcc\.Store\(\s*id=ids\.(\w+),\s*storage_type="(?:session|local)"')
    sources = [path.read_text() for path in (PACKAGE / "layouts").glob("*.py")]
    named = {name for source in sources for name in store.findall(source)}
    assert named and all(getattr(ids, name).startswith(prefix) for name in named), named
