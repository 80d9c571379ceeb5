"""Which requests are the dashboard's own: its pages, Dash's endpoints, its assets, its
upload and download routes.

The guard, the security headers and the body limits apply to those only. A path under
the dashboard's prefix that one of the host's own routes answers (a host route
``/analytics/x``) keeps the host's behaviour; a path under the prefix that no route
answers (a 404 or 405) is treated as the dashboard's, so an anonymous request there is
refused and its body bounded before the host's hooks could read it.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect


@dataclass(frozen=True)
class DashboardRoutes:
    """The dashboard's URL prefix and the endpoints it registered on the server."""

    server: Flask
    prefix: str
    endpoints: frozenset[str]

    def owns_request(self) -> bool:
        """Whether the current Flask request is the dashboard's."""
        if not request.path.startswith(self.prefix):
            return False
        rule = request.url_rule
        return rule is None or rule.endpoint in self.endpoints

    def owns(self, path: str, method: str) -> bool:
        """Whether a request for ``path`` is the dashboard's, before Flask has routed it."""
        if not path.startswith(self.prefix):
            return False
        try:
            endpoint, _ = self.server.url_map.bind("localhost").match(path, method=method)
        except RequestRedirect:
            return True
        except HTTPException:  # no route: nobody's but under our prefix
            return True
        return endpoint in self.endpoints


def new_endpoints(server: Flask, before: set[str]) -> frozenset[str]:
    """The endpoints registered on ``server`` since ``before`` was taken."""
    return frozenset(set(server.view_functions) - before)
