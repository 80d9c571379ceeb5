"""The page frame: navbar with the pages, the user's name, password and logout; the page area.

A host site that renders its own header asks for the page links only (``Look.header``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import dash_bootstrap_components as dbc
from dash import dcc, html

from basket_segments import ids
from basket_segments.layouts.common import page_path

#: (page key, navbar label, path relative to the dashboard prefix), as ``pages`` lists them.
Links = Sequence[tuple[str, str, str]]
PRODUCT_NAME = "Basket Segments"
#: ``Look.header``: the dashboard's own navbar, or only its page links under the host's header.
HEADERS = ("navbar", "links")


@dataclass(frozen=True)
class Look:
    """The host's presentation of the dashboard (``init_dashboard``'s keyword arguments).

    ``name`` and ``home_url`` are the navbar's brand and where it leads (None: the
    dashboard's first page); ``theme`` a Bootstrap 5 stylesheet's URL that replaces
    the bundled Bootstrap (``dbc.themes.FLATLY``, or a file the host serves);
    ``stylesheets`` more URLs loaded after it; ``header`` one of ``HEADERS``;
    ``index_string`` the page around Dash's ``{%app_entry%}`` (Dash's
    ``index_string``), or a function returning it for each page load (a host's
    Jinja template, rendered with its header).

    >>> Look(header="links").header
    'links'
    """

    name: str = PRODUCT_NAME
    home_url: str | None = None
    theme: str | None = None
    stylesheets: Sequence[str] = ()
    header: str = "navbar"
    index_string: str | Callable[[], str] | None = None

    def __post_init__(self) -> None:
        if self.header not in HEADERS:
            raise ValueError(f"header must be one of {HEADERS}, not {self.header!r}")
        if isinstance(self.stylesheets, str):
            raise ValueError("stylesheets must be a list of URLs, not one string")
        object.__setattr__(self, "stylesheets", tuple(self.stylesheets))

    @property
    def title(self) -> str:
        """The browser tab's title: the product's, and the host's name when it gives one."""
        return PRODUCT_NAME if self.name == PRODUCT_NAME else f"{PRODUCT_NAME} · {self.name}"


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
    look: Look = Look(),
) -> dbc.Navbar:
    """The brand, one link per page, then the user's name, "Password" and "Log out"."""
    user = [dbc.NavItem(html.Span(id=ids.USER_NAME, className="navbar-text me-2"))]
    if password_url:
        user.append(dbc.NavItem(dbc.NavLink("Password", href=password_url, external_link=True)))
    user.append(dbc.NavItem(logout_control(logout_url, csrf_token, logout_method)))
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand(
                    look.name,
                    href=look.home_url or page_path(prefix, ""),
                    external_link=look.home_url is not None,  # the host's page, not ours
                ),
                dbc.Nav(_links(prefix, pages), navbar=True, className="me-auto"),
                dbc.Nav(user, navbar=True, className="align-items-center"),
            ]
        ),
        color="primary",
        dark=True,
        className="mb-4",
        id=ids.NAVBAR,
    )


def page_links(prefix: str, pages: Links) -> dbc.Container:
    """Only the pages' links, for a host whose own header stays above the dashboard."""
    nav = dbc.Nav(_links(prefix, pages), className="nav-underline", id=ids.PAGE_LINKS)
    return dbc.Container(html.Nav(nav, **{"aria-label": "Dashboard pages"}), className="my-3")


def _links(prefix: str, pages: Links) -> list[dbc.NavItem]:
    return [
        dbc.NavItem(dbc.NavLink(label, href=page_path(prefix, path), id=ids.nav_link(key)))
        for key, label, path in pages
    ]


def serve_layout(
    prefix: str = "/analytics/",
    logout_url: str = "/logout",
    csrf_token: str | None = None,
    logout_method: str = "post",
    password_url: str | None = None,
    pages: Links = (),
    look: Look = Look(),
    active_dataset: int | None = None,
) -> html.Div:
    """The whole page; a function so each page load gets a fresh tree (and CSRF token).
    ``pages`` are the navbar's links (``pages.navbar_links``); ``look`` the host's choices;
    ``active_dataset`` what opens when the tab has none open yet (a new login or tab):
    the browser's session store keeps its own value when it has one."""
    if look.header == "links":
        header = page_links(prefix, pages)
    else:
        header = navbar(prefix, logout_url, csrf_token, logout_method, password_url, pages, look)
    return html.Div(
        [
            dcc.Location(id=ids.URL, refresh="callback-nav"),
            dcc.Store(id=ids.ACTIVE_DATASET, storage_type="session", data=active_dataset),
            dcc.Store(id=ids.SEGMENT_SETTINGS, storage_type="session"),
            dcc.Store(id=ids.SELECTED_SEGMENT, storage_type="session"),
            dcc.Store(id=ids.RULES_CHOICE, storage_type="session"),
            dcc.Store(id=ids.DATA_VERSION, data=0),
            header,
            dbc.Container(
                dbc.Alert(id=ids.FAILURE, color="danger", is_open=False, dismissable=True)
            ),
            dbc.Container(id=ids.PAGE, fluid=False, tag="main"),  # the page's main landmark
        ]
    )
