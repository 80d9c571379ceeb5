"""``python -m basket_segments.analytics``: see ``basket_segments.analytics.cli``."""

from basket_segments.analytics.cli import run

run()
