"""Every component id of the dashboard, in one place.

Values are kebab-case and prefixed by feature; dict ids for pattern-matching
callbacks come from small functions.
"""

# Page frame
URL = "frame-url"
NAVBAR = "frame-navbar"
USER_NAME = "frame-user-name"
LOGOUT_LINK = "frame-logout-link"
PAGE = "frame-page"
NAV_LINK_TYPE = "frame-nav-link"


def nav_link(page: str) -> dict[str, str]:
    """The navbar link to one page."""
    return {"type": NAV_LINK_TYPE, "page": page}
