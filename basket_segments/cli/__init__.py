"""The command line: ``basket-segments analyze DATA`` (``python -m basket_segments.cli``).

This module stays light on purpose: ``run`` first fits the process to an
address-space limit (``memory.fit_to_address_space``), which must happen before
pyarrow is imported, and only then imports the analysis (``commands``).
"""

from __future__ import annotations

from basket_segments.cli.memory import fit_to_address_space


def run() -> None:
    """The program: fit the process to its limits, then analyse (``commands.run``)."""
    fit_to_address_space()
    from basket_segments.cli import commands

    commands.run()
