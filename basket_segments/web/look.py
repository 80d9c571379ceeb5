"""The host's look on the Dash app: its Bootstrap theme, stylesheets and page template.

``layouts.frame.Look`` holds the host's choices; here they become Dash's
options (``dash_options``) and the page around Dash's entry point
(``use_index``). The Content Security Policy (``web.headers``) allows the
origins of the stylesheets given here, and nothing else from other sites.
"""

from __future__ import annotations

from typing import Any

from dash import Dash
from dash._utils import interpolate_str

from basket_segments.layouts.frame import Look

#: The assets subfolder holding the bundled Bootstrap (the standalone account pages use it too).
VENDOR_FOLDER = "vendor"
BUNDLED_BOOTSTRAP = "bootstrap.min.css"
#: What Dash needs in a page template (Dash checks a fixed ``index_string`` the same way).
INDEX_PARTS = ("{%app_entry%}", "{%config%}", "{%scripts%}", "{%renderer%}")


def dash_options(look: Look, prefix: str) -> dict[str, Any]:
    """``Dash(...)``'s keyword arguments for the look under the dashboard's ``prefix``.

    The stylesheets load in order: Bootstrap (the host's theme, else the bundled
    one), the host's stylesheets, which may override Bootstrap's, then the
    dashboard's own assets (``dashboard.css``). The bundled Bootstrap is named
    here rather than found in the assets folder, which Dash would load after
    the host's stylesheets.

    >>> dash_options(Look(stylesheets=["/site.css"]), "/analytics/")["external_stylesheets"]
    ['/analytics/assets/vendor/bootstrap.min.css', '/site.css']
    >>> dash_options(Look(theme="/flatly.css"), "/analytics/")["external_stylesheets"]
    ['/flatly.css']
    """
    bootstrap = look.theme or f"{prefix}assets/{VENDOR_FOLDER}/{BUNDLED_BOOTSTRAP}"
    return {
        "external_stylesheets": [bootstrap, *look.stylesheets],
        "assets_path_ignore": [f"^{VENDOR_FOLDER}$"],
    }


def use_index(app: Dash, look: Look) -> None:
    """The page around Dash's entry point: the host's template, or Dash's with a language."""
    template = look.index_string
    if template is None:  # screen readers need the page's language; Dash's page has none
        app.index_string = app.index_string.replace("<html>", '<html lang="en">', 1)
    elif isinstance(template, str):
        app.index_string = template
    else:  # rendered for each page load, in its request: the host's header shows its user
        app.interpolate_index = lambda **parts: interpolate_str(_checked(template()), **parts)


def _checked(page: str) -> str:
    missing = [part for part in INDEX_PARTS if part not in page]
    if missing:
        raise ValueError(f"The dashboard's page template lacks {', '.join(missing)}.")
    return page
