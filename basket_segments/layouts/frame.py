"""The page frame: navbar with the pages, the user's name, password and logout; the page area."""

from __future__ import annotations

from collections.abc import Sequence

import dash_bootstrap_components as dbc
from dash import dcc, html

from basket_segments import ids
from basket_segments.layouts.common import page_path

#: (page key, navbar label, path relative to the dashboard prefix), as ``pages`` lists them.
Links = Sequence[tuple[str, str, str]]
PRODUCT_NAME = "Basket Segments"


def logout_control(logout_url: str, csrf_token: str | None = None, method: str = "post"):
    """The navbar's "Log out": a button posting a form with the CSRF token to ``logout_url``.

    A POST, so no link or image on another site can log the user out; the
    token's field is Flask-WTF's ``csrf_token``. ``method="get"`` gives a plain
    link instead, for a host site whose logout answers GET only.

    >>> logout_control("/logout", "t0ken").method, logout_control("/logout", "t0ken").action
    ('post', '/logout')
    """
    if method.lower() == "get":
        return dbc.NavLink("Log out", href=logout_url, id=ids.LOGOUT_LINK, external_link=True)
    token = [dcc.Input(type="hidden", name="csrf_token", value=csrf_token)] if csrf_token else []
    button = html.Button("Log out", type="submit", id=ids.LOGOUT_LINK, className="nav-link")
    return html.Form([*token, button], method="post", action=logout_url)


def navbar(
    prefix: str,
    logout_url: str,
    csrf_token: str | None = None,
    logout_method: str = "post",
    password_url: str | None = None,
    pages: Links = (),
) -> dbc.Navbar:
    """Product name, one link per page, then the user's name, "Password" and "Log out"."""
    links = [
        dbc.NavItem(dbc.NavLink(label, href=page_path(prefix, path), id=ids.nav_link(key)))
        for key, label, path in pages
    ]
    user = [dbc.NavItem(html.Span(id=ids.USER_NAME, className="navbar-text me-2"))]
    if password_url:
        user.append(dbc.NavItem(dbc.NavLink("Password", href=password_url, external_link=True)))
    user.append(dbc.NavItem(logout_control(logout_url, csrf_token, logout_method)))
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand(PRODUCT_NAME, href=page_path(prefix, "")),
                dbc.Nav(links, navbar=True, className="me-auto"),
                dbc.Nav(user, navbar=True, className="align-items-center"),
            ]
        ),
        color="primary",
        dark=True,
        className="mb-4",
        id=ids.NAVBAR,
    )


def serve_layout(
    prefix: str = "/analytics/",
    logout_url: str = "/logout",
    csrf_token: str | None = None,
    logout_method: str = "post",
    password_url: str | None = None,
    pages: Links = (),
) -> html.Div:
    """The whole page; a function so each page load gets a fresh tree (and CSRF token).
    ``pages`` are the navbar's links (``pages.navbar_links``)."""
    return html.Div(
        [
            dcc.Location(id=ids.URL, refresh="callback-nav"),
            dcc.Store(id=ids.ACTIVE_DATASET, storage_type="session"),
            dcc.Store(id=ids.SEGMENT_SETTINGS, storage_type="session"),
            dcc.Store(id=ids.SELECTED_SEGMENT, storage_type="session"),
            dcc.Store(id=ids.RULES_CHOICE, storage_type="session"),
            dcc.Store(id=ids.DATA_VERSION, data=0),
            navbar(prefix, logout_url, csrf_token, logout_method, password_url, pages),
            dbc.Container(
                dbc.Alert(id=ids.FAILURE, color="danger", is_open=False, dismissable=True)
            ),
            dbc.Container(id=ids.PAGE, fluid=False, tag="main"),  # the page's main landmark
        ]
    )
