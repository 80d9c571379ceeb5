"""Progress reports from long analytics work: ``report(fraction, text)``.

The dashboard draws them on a progress bar, and its report raises to cancel the
work, so analytics code reports only between steps, where stopping leaves
nothing half-done.
"""

from __future__ import annotations

from collections.abc import Callable

Report = Callable[[float, str], None]


def ignore(_fraction: float, _text: str) -> None:
    """The report used when nobody is watching."""


def part(report: Report | None, start: float, end: float) -> Report:
    """A report for one stage that fills ``start..end`` of the whole bar.

    >>> seen = []
    >>> part(lambda f, t: seen.append((f, t)), 0.5, 1.0)(0.5, "half of stage two")
    >>> seen
    [(0.75, 'half of stage two')]
    """
    outer = report or ignore
    return lambda fraction, text: outer(start + (end - start) * fraction, text)
