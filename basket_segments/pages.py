"""The dashboard's pages, in navbar order: each page's key, label, address, layout and
callbacks.

The navbar, the page router (``callbacks.frame``) and the app factory read this
registry, so a page is its layout module, its callbacks module and one entry
here. A layout takes the open dataset's shape (None when none is open) and the
dashboard's prefix, and says in a sentence when the page does not apply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from dash.development.base_component import Component

from basket_segments.callbacks import customers as customers_callbacks
from basket_segments.callbacks import data as data_callbacks
from basket_segments.callbacks import over_time as over_time_callbacks
from basket_segments.callbacks import rule_cover as rule_cover_callbacks
from basket_segments.callbacks import rules as rules_callbacks
from basket_segments.callbacks import segments as segments_callbacks
from basket_segments.layouts import customers, data, over_time, rules, segments
from basket_segments.store import storage
from basket_segments.store.storage import DatasetInfo
from basket_segments.web.uploads import upload_path

#: ``layout(shape, prefix)``: the page for the open dataset's shape (``dated`` too for a
#: page that ``needs_dates``).
Layout = Callable[..., Component]


@dataclass(frozen=True)
class Page:
    """One page of the dashboard."""

    key: str
    #: The navbar's label.
    label: str
    #: The address, relative to the dashboard's prefix.
    path: str
    layout: Layout
    #: The page's callbacks: a module with ``register(app)``.
    callbacks: ModuleType
    #: Whether the page needs purchase dates: its layout then also takes ``dated``,
    #: read from the open dataset's stored roles (never from its data).
    needs_dates: bool = False
    #: Callbacks of parts of the page that have modules of their own (after ``callbacks``).
    parts: tuple[ModuleType, ...] = ()

    def content(self, info: DatasetInfo | None, prefix: str) -> Component:
        """The page for the open dataset (None: none is open)."""
        shape = None if info is None else info.shape
        if not self.needs_dates:
            return self.layout(shape, prefix)
        dated = info is not None and over_time.has_dates(info.shape, info.roles)
        return self.layout(shape, prefix, dated=dated)


def _data_page(_shape: str | None, prefix: str) -> Component:
    """The Data page, whatever is open: uploads go to the upload route, up to the limit."""
    return data.data_page(storage.max_upload_bytes(), upload_path(prefix))


PAGES = (
    Page("data", "Data", "", _data_page, data_callbacks),
    Page("segments", "Segments", "segments", segments.segments_page, segments_callbacks),
    Page(
        "rules",
        "Rules",
        "rules",
        rules.rules_page,
        rules_callbacks,
        parts=(rule_cover_callbacks,),
    ),
    Page("customers", "Customers", "customers", customers.customers_page, customers_callbacks),
    Page(
        "over_time",
        "Over time",
        "over-time",
        over_time.over_time_page,
        over_time_callbacks,
        needs_dates=True,
    ),
)


def page_at(pathname: str | None, prefix: str) -> Page:
    """The page a URL path names; the Data page for the dashboard's root or unknown paths.

    >>> page_at("/analytics/rules", "/analytics/").key, page_at(None, "/analytics/").key
    ('rules', 'data')
    """
    path = pathname if isinstance(pathname, str) else ""  # the browser's, or a forged one
    relative = path.removeprefix(prefix.rstrip("/")).strip("/")
    return next((page for page in PAGES if page.path == relative), PAGES[0])


def navbar_links() -> list[tuple[str, str, str]]:
    """(key, label, path) of every page, as the navbar lists them."""
    return [(page.key, page.label, page.path) for page in PAGES]
