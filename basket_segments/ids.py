"""Every component id of the dashboard, in one place.

Values are kebab-case and prefixed by feature; dict ids for pattern-matching
callbacks come from small functions.
"""

import hashlib
import json
from typing import Any, NamedTuple

# Page frame
URL = "frame-url"
NAVBAR = "frame-navbar"
#: The page links alone, under a host's own header (``Look.header == "links"``).
PAGE_LINKS = "frame-page-links"
USER_NAME = "frame-user-name"
LOGOUT_LINK = "frame-logout-link"
PAGE = "frame-page"
#: The alert that reports an unexpected server failure of any callback.
FAILURE = "frame-failure"
NAV_LINK_TYPE = "frame-nav-link"


def nav_link(page: Any) -> dict[str, Any]:
    """The navbar link to one page (``dash.ALL`` for every one)."""
    return {"type": NAV_LINK_TYPE, "page": page}


class JobIds(NamedTuple):
    """The progress box, bar, text and cancel button of one kind of background job."""

    box: str
    bar: str
    text: str
    cancel: str


class WorkIds(NamedTuple):
    """One kind of long work (``callbacks.long_work``): the request handed to the
    background job, the answer the page's views listen to, and the job's progress."""

    asked: str
    answer: str
    job: JobIds


def work(feature: str) -> WorkIds:
    """Ids of the long work of ``feature`` and of its progress display."""
    job = JobIds(*(f"{feature}-job{part}" for part in ("", "-bar", "-text", "-cancel")))
    return WorkIds(f"{feature}-asked", f"{feature}-answer", job)


# State kept in the browser session (small values only; data stays on the server)
ACTIVE_DATASET = "state-active-dataset"
SEGMENT_SETTINGS = "state-segment-settings"
SELECTED_SEGMENT = "state-selected-segment"
#: The thresholds and basket the Rules page last showed, for the Customers page.
RULES_CHOICE = "state-rules-choice"
DATA_VERSION = "state-data-version"

# Data page
DATA_PAGE = "data-page"
UPLOAD = "data-upload"
LOAD_SAMPLE = "data-load-sample"
DATA_MESSAGE = "data-message"
DATASET_LIST = "data-dataset-list"
DATASET_DETAILS = "data-dataset-details"
RENAME_INPUT = "data-rename-input"
RENAME = "data-rename"
DELETE_MODAL = "data-delete-modal"
DELETE_CONFIRM = "data-delete-confirm"
DELETE_CANCEL = "data-delete-cancel"
DELETE_PENDING = "data-delete-pending"
APPLY_ROLES = "data-apply-roles"
#: The upload's address on the server, and what the browser sent there (a handle).
UPLOAD_URL = "data-upload-url"
UPLOADED = "data-uploaded"
DATA_WORK = work("data")
OPEN_TYPE = "data-open"
DELETE_TYPE = "data-delete"
ROLE_TYPE = "data-role"


def open_button(dataset_id: Any) -> dict:
    """The button that opens one stored dataset (``dash.ALL`` for every one)."""
    return {"type": OPEN_TYPE, "index": dataset_id}


def delete_button(dataset_id: Any) -> dict:
    """The button that asks to delete one stored dataset (``dash.ALL`` for every one)."""
    return {"type": DELETE_TYPE, "index": dataset_id}


def role_choice(role: Any) -> dict:
    """The choice of the column for one role (``dash.ALL`` for every one)."""
    return {"type": ROLE_TYPE, "role": role}


def dom_id(component_id: str | dict) -> str:
    """The id a component has in the page, for a label's ``html_for``: a dict id is
    written as Dash's renderer writes it (its keys sorted, as compact JSON).

    >>> dom_id("rules-segment"), dom_id(role_choice("customer"))
    ('rules-segment', '{"role":"customer","type":"data-role"}')
    """
    if isinstance(component_id, str):
        return component_id
    return json.dumps(component_id, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# Segments page
SEGMENTS_PAGE = "segments-page"
SEGMENTS_READY = "segments-ready"
FEATURES = "segments-features"
K_INPUT = "segments-k"
SCALE = "segments-scale"
SUGGEST_K = "segments-suggest-k"
K_CHART = "segments-k-chart"
ADOPT_K = "segments-adopt-k"
X_AXIS = "segments-x-axis"
Y_AXIS = "segments-y-axis"
COLOUR_BY = "segments-colour-by"
SEGMENT_SCATTER = "segments-scatter"
SEGMENT_PIE = "segments-pie"
PROFILE_TABLE = "segments-profile-table"
PROFILE_REGION = "segments-profile-region"
SILHOUETTE_CHART = "segments-silhouette-chart"
SEGMENT_MESSAGE = "segments-message"
SELECTION_BADGE = "segments-selection"
CLEAR_SELECTION = "segments-clear-selection"
DOWNLOAD_SEGMENTS = "segments-download"
DOWNLOAD_PROFILES = "segments-profiles-download"
SUGGESTED_K = "segments-suggested-k"
SEGMENTS_WORK = work("segments")
K_WORK = work("segments-k")

# Rules page
RULES_PAGE = "rules-page"
RULES_READY = "rules-ready"
RULES_MESSAGE = "rules-message"
RULES_SEGMENT = "rules-segment"
MIN_SUPPORT = "rules-min-support"
MIN_CONFIDENCE = "rules-min-confidence"
MIN_LIFT = "rules-min-lift"
MAX_LENGTH = "rules-max-length"
RULE_LIMIT = "rules-rule-limit"
MEASURES_EXPLAINED = "rules-measures-explained"
BASKET_CHOICE = "rules-basket"
HIDE_REDUNDANT = "rules-hide-redundant"
#: "Significant only": the view keeps the rules unlikely to be chance; its count beside it.
SIGNIFICANT_ONLY = "rules-significant-only"
SIGNIFICANCE_NOTE = "rules-significance-note"
#: The grid's extra measures the user chose to show (Zhang's metric, Jaccard...).
MORE_MEASURES = "rules-more-measures"
#: The product boxes: include or exclude products on each side of a rule. Each box is a
#: search box offering the products its text finds (a datalist), a word when no product has
#: the name typed, and the chosen products as checkboxes (``side_filter``: what filters).
SIDE_FILTER = "rules-side-filter"
SIDE_SEARCH = "rules-side-search"
SIDE_CHOICES = "rules-side-choices"
SIDE_FEEDBACK = "rules-side-feedback"
SIDE_FILTERS_EXPLAINED = "rules-side-filters-explained"
SIDE_FILTERS_OPEN = "rules-side-filters-open"


def side_filter(box: Any) -> dict:
    """The chosen products of one product box of the Rules page, by
    ``analytics.rule_filters.box_names`` (``include_antecedent``...; ``dash.ALL`` or
    ``MATCH`` for pattern-matching)."""
    return {"type": SIDE_FILTER, "box": box}


def side_search(box: Any) -> dict:
    """The search box of one product box."""
    return {"type": SIDE_SEARCH, "box": box}


def side_choices(box: Any) -> dict:
    """The datalist of the products one product box offers for what is typed."""
    return {"type": SIDE_CHOICES, "box": box}


def side_feedback(box: Any) -> dict:
    """What one product box says of a name no product of the rules has."""
    return {"type": SIDE_FEEDBACK, "box": box}


#: Where the rules grid sits; the grid itself is made anew for each view (``rules_grid``).
RULES_TABLE = "rules-table"
DATA_PREVIEW = "data-preview"
DATASET_PREVIEW_BOX = "data-preview-box"
DATASET_ITEMS = "data-dataset-items"
RULES_GRID = "rules-grid"
#: What the rules grid shows: the mining answer and the page's filters.
RULES_VIEW = "rules-view"


def rules_grid(view: str) -> dict:
    """The rules grid of one view: a new view is a new grid, which asks for its first rows
    (emptying an old grid's cache while it loads can jam AG Grid's block loader)."""
    return {"type": RULES_GRID, "view": view}


def view_token(view: dict) -> str:
    """A short name for a view (``RULES_VIEW``'s data), unique enough to tell one rules
    grid from the next."""
    text = json.dumps(view, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


RULE_SENTENCES = "rules-sentences"
RULES_SCATTER = "rules-scatter"
RULES_SCATTER_BOX = "rules-scatter-box"
RULE_CLICKED = "rules-clicked"
SEGMENT_PRODUCTS = "rules-segment-products"
OVERALL_PRODUCTS = "rules-overall-products"
OVERALL_PRODUCTS_BOX = "rules-overall-products-box"
DOWNLOAD_RULES = "rules-download"
DOWNLOAD_SHOWN_RULES = "rules-shown-download"
DOWNLOAD_PRODUCTS = "rules-products-download"
DOWNLOAD_ALL_PRODUCTS = "rules-all-products-download"
RULES_WORK = work("rules")
#: The grouped matrix and the item graph beside the rules grid (``layouts.rule_views``).
RULE_VIEWS = "rules-views"
RULE_MATRIX = "rules-matrix"
RULE_MATRIX_NOTE = "rules-matrix-note"
RULE_GRAPH = "rules-graph"
RULE_GRAPH_NOTE = "rules-graph-note"
RULE_GRAPH_SIZE = "rules-graph-size"
#: The chip above the grid naming the rules a click on a view selected, and its Clear.
RULE_SELECTION = "rules-selection"
RULE_SELECTION_TEXT = "rules-selection-text"
RULE_SELECTION_CLEAR = "rules-selection-clear"
#: Who the selected rule covers: its sentence, where its customers' grid sits, what that
#: grid shows (the rule and the view), and the grid's CSV (``cover_grid``).
COVER_CAPTION = "rules-cover-caption"
COVER_TABLE = "rules-cover-table"
COVER_BOX = "rules-cover-box"
COVER_GRID = "rules-cover-grid"
COVER_VIEW = "rules-cover-view"
DOWNLOAD_COVERED = "rules-cover-download"


def cover_grid(view: str) -> dict:
    """The grid of the customers one selected rule covers: a new rule is a new grid."""
    return {"type": COVER_GRID, "view": view}


# Customers page
CUSTOMERS_PAGE = "customers-page"
CUSTOMERS_READY = "customers-ready"
CUSTOMER_INPUT = "customers-input"
CUSTOMER_LOOKUP = "customers-lookup"
CUSTOMER_RESULT = "customers-result"
CUSTOMER_MESSAGE = "customers-message"
CUSTOMER_STANDING = "customers-standing"
CUSTOMERS_WORK = work("customers")
CUSTOMER_SEGMENT = "customers-segment"
CUSTOMER_TYPICALITY = "customers-typicality"
CUSTOMER_BOUGHT = "customers-bought"
CUSTOMER_RECOMMENDATIONS = "customers-recommendations"
CUSTOMER_PERIODS = "customers-periods"

# Over time page
OVER_TIME_PAGE = "over-time-page"
OVER_TIME_READY = "over-time-ready"
OVER_TIME_MESSAGE = "over-time-message"
#: The segmentation the page follows (the Segments page's, in words).
OVER_TIME_SEGMENTATION = "over-time-segmentation"
PERIOD_MODE = "over-time-period-mode"
SPLIT_DATE = "over-time-split-date"
PERIOD_DAYS = "over-time-period-days"
REFERENCE_PERIOD = "over-time-reference-period"
LATER_PERIOD = "over-time-later-period"
MIGRATION_VALUE = "over-time-migration-value"
MIGRATION_SUMMARY = "over-time-summary"
MIGRATION_HEATMAP = "over-time-heatmap"
MIGRATION_SANKEY = "over-time-sankey"
PERIOD_SIZES = "over-time-sizes"
PERIOD_SIZES_BOX = "over-time-sizes-box"
#: The clicked cell of the migration (period, from, to), and where its customers' grid sits.
MIGRATION_CELL = "over-time-cell"
MOVED_TABLE = "over-time-moved-table"
MOVED_CAPTION = "over-time-moved-caption"
MOVED_GRID = "over-time-moved-grid"
#: What the grid of a cell's customers shows: the comparison's answer and the cell.
MOVED_VIEW = "over-time-moved-view"
DOWNLOAD_MOVED = "over-time-moved-download"
OVER_TIME_WORK = work("over-time")
#: Per segment, its top products and rules in the first and the later period.
PERIOD_SEGMENT = "over-time-changes-segment"
PERIOD_SEGMENT_BOX = "over-time-changes-segment-box"
PERIOD_CHANGES_MESSAGE = "over-time-changes-message"
PERIOD_CHANGES_CAPTION = "over-time-changes-caption"
PERIOD_PRODUCTS_TABLE = "over-time-changes-products"
PERIOD_PRODUCTS_GRID = "over-time-changes-products-grid"
PERIOD_RULES_TABLE = "over-time-changes-rules"
PERIOD_RULES_GRID = "over-time-changes-rules-grid"
PERIOD_RULE_SENTENCES = "over-time-changes-sentences"
PERIOD_CHANGES_WORK = work("over-time-changes")


def moved_grid(view: str) -> dict:
    """The grid of one cell's customers: a new cell is a new grid, asking for its rows."""
    return {"type": MOVED_GRID, "view": view}
