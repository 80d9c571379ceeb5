"""``python -m basket_segments.cli``: see ``basket_segments.cli``."""

from basket_segments.cli import run

run()
