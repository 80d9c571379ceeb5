"""One request, resolved once: what a filter-only move of a Rules control reads.

A move that only filters the stored mining (a tighter threshold, the segment, the
product filter, hiding redundant rules) runs every callback the browser runs for it,
each in a request of its own, as Dash sends them. Over all of them together the
dataset's record is read once and the stored mining loaded at most once, whether or
not Segments settings were chosen (before: 8 queries and 3 loads, and 18 and 8).
"""

from __future__ import annotations

from collections import Counter

import pandas as pd
import pytest

from basket_segments.callbacks import long_work, rules
from basket_segments.store import storage
from tests.callbacks_support import (
    choose_segments,
    logged_in_as,
    rules_answer,
    with_props,
)
from tests.test_callbacks import SETTINGS, TABLE, THRESHOLDS

#: No plain callback these tests drive may compute: only background jobs do.
pytestmark = pytest.mark.usefixtures("engine_only_in_jobs")

#: The Rules page's controls as the browser holds them before the move.
PAGE = {"hide": True, "sides": None, "segment": -1}


@pytest.fixture
def reads(monkeypatch):
    """Counts of dataset-record queries and of stored results loaded, by kind."""
    counted = Counter()
    real_record, real_read = storage._record, pd.read_pickle

    def record(*args, **kwargs):
        counted["record"] += 1
        return real_record(*args, **kwargs)

    def read_pickle(path, *args, **kwargs):
        counted[str(path).rsplit("/", 1)[-1].split("-")[0]] += 1
        return real_read(path, *args, **kwargs)

    monkeypatch.setattr(storage, "_record", record)
    monkeypatch.setattr(pd, "read_pickle", read_pickle)  # storage imports pandas when used
    return counted


def in_request(app, function, *args):
    """``function(*args)`` in a request of its own, as Dash sends each callback."""
    with logged_in_as(app):
        return with_props(function, *args)[0]


def show(app, answer, page):
    """The callbacks a new answer or a view control fires, then the grid's first rows."""
    for follow in (rules.remember_choice, rules.segment_choices):
        args = (answer,) if follow is rules.remember_choice else (answer, [])
        in_request(app, follow, *args)
    in_request(app, rules.download_links, "/analytics/", answer)
    view, _grid = in_request(app, rules.show_view, answer, *page.values())
    return in_request(app, rules.rules_rows, {"startRow": 0, "endRow": 100}, view)


def move_threshold(app, dataset, answer, thresholds):
    """A threshold box changes: the ask (holding the current answer), then the views."""
    values = (dataset, *thresholds, "customer", None, [], True, answer)
    new_answer, asked, _message = in_request(app, long_work.ask, rules.RULES, *values)
    assert asked is not None and new_answer is not None
    return new_answer, show(app, new_answer, PAGE)


@pytest.fixture(params=["settings chosen", "no settings"])
def mined(request, app):
    """A dataset whose rules at ``THRESHOLDS`` are stored and shown, and its answer."""
    with logged_in_as(app) as user:
        dataset = storage.save_upload(user.get_id(), "shop.csv", TABLE.encode()).id
        if request.param == "settings chosen":
            choose_segments(SETTINGS, dataset)
        answer, _ = rules_answer(THRESHOLDS, "customer", dataset)
    show(app, answer, PAGE)
    return dataset, answer


@pytest.mark.parametrize(
    "thresholds",
    [(0.1, 0.5, 1.0, 3), (0.05, 0.8, 1.0, 3), (0.05, 0.5, 1.5, 3), (0.05, 0.5, 1.0, 2)],
    ids=["support", "confidence", "lift", "length"],
)
def test_a_tighter_threshold_reads_the_record_and_the_mining_once(app, mined, reads, thresholds):
    dataset, answer = mined
    reads.clear()
    _answer, rows = move_threshold(app, dataset, answer, thresholds)
    assert rows["rowCount"] > 0
    assert reads["record"] == 1
    assert reads["mining"] <= 1
    assert sum(reads.values()) - reads["record"] <= 1  # no other stored result either


@pytest.mark.parametrize(
    "control, value",
    [
        ("hide", False),
        ("sides", {"include_either": ["milk"]}),
        ("sides", {"include_consequent": ["milk"], "exclude_antecedent": ["tea"]}),
        ("segment", 0),
    ],
)
def test_a_view_control_reads_the_record_and_the_mining_once(app, mined, reads, control, value):
    _dataset, answer = mined
    reads.clear()
    if control == "segment":
        in_request(app, rules.choose_segment, value)
    rows = show(app, answer, {**PAGE, control: value})
    assert rows["rowCount"] > 0
    assert reads["record"] == 1 and reads["mining"] <= 1
    assert sum(reads.values()) - reads["record"] <= 1


def test_a_looser_threshold_is_asked_of_storage(app, mined, reads):
    """Only a move the stored mining cannot answer goes to storage in the ask."""
    dataset, answer = mined
    reads.clear()
    values = (dataset, 0.01, 0.5, 1.0, 3, "customer", None, [], True, answer)
    new_answer, asked, _ = in_request(app, long_work.ask, rules.RULES, *values)
    assert new_answer is None and asked["request"]["support"] == 0.01  # mined anew
    assert reads["record"] >= 1


def test_another_datasets_answer_is_never_reused(app, mined, reads):
    """The ask answers from the current answer only for the same dataset."""
    _dataset, answer = mined
    with logged_in_as(app) as user:
        other = storage.save_upload(user.get_id(), "other.csv", TABLE.encode()).id
    values = (other, *THRESHOLDS, "customer", None, [], True, answer)
    new_answer, asked, _ = in_request(app, long_work.ask, rules.RULES, *values)
    assert new_answer is None and asked["request"]["dataset"] == other
