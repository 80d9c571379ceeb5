"""``python -m basket_segments.analytics``: see ``basket_segments.analytics.cli``."""

import sys

from basket_segments.analytics.cli import main

sys.exit(main())
