"""Every Dash callback, fed random and boundary values as a logged-in user: never an
error a user would see as "Something went wrong" (a 500), and never computation.

Each callback's own function (what ``app.callback`` wrapped) is called with
Hypothesis-drawn values for its inputs and states, in a request of the
logged-in user who owns a stored dataset. A plain callback must answer
(``PreventUpdate`` and ``no_update`` are answers) without reaching an engine
stage or KMeans (``engine_only_in_jobs``); a background job's function, handed
a forged request, must refuse it without computing either, since no page could
have asked for it (the guard sees the job's function called outside ``long_work.run``).
Bounded: ``FUZZ_EXAMPLES`` draws per callback (25 in the suite, 100 in a CI step of its
own); the draws are the same on every run. Found this way: 27 of 44 callbacks answered a
forged value (a click, a path, a store, a version) with an error page.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import pytest
from dash.exceptions import PreventUpdate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from basket_segments.app import DASH_EXTENSION
from basket_segments.store import storage
from tests.callbacks_support import logged_in_as, with_props
from tests.test_callbacks import TABLE

pytestmark = pytest.mark.usefixtures("engine_only_in_jobs")

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
#: What lands in any input: wrong types, boundaries, huge and odd values.
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from([0, 1, 2, -1, 6, 7, 15, 16, 22, 10**9, -(10**12), 2**63]),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", "abc", "0", "1e309", "nan", "-1", "customer", "invoice", "any"]),
    st.text(max_size=40),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(
            st.sampled_from(
                [
                    "request",
                    "result",
                    "dataset",
                    "k",
                    "features",
                    "scale",
                    "support",
                    "nonce",
                    "segments",
                    "startRow",
                    "endRow",
                    "sortModel",
                    "filterModel",
                    "points",
                    "customdata",
                    "x",
                ]
            ),
            inner,
            max_size=5,
        ),
    ),
    max_leaves=12,
)


def callbacks(app) -> dict[str, dict]:
    return dict(app.extensions[DASH_EXTENSION][0].callback_map)


def _callback_keys() -> list[str]:
    """Every server callback of the app (clientside ones run in the browser), read from an
    app made for that at collection, so a new callback is fuzzed without being named here."""
    from basket_segments.app import create_app
    from tests.conftest import make_config

    with tempfile.TemporaryDirectory() as folder:
        found = callbacks(create_app(make_config(Path(folder))))
        return sorted(key for key, entry in found.items() if "callback" in entry)


KEYS = _callback_keys()


def test_the_fuzzed_callbacks_are_all_of_them(app):
    server_side = [key for key, entry in callbacks(app).items() if "callback" in entry]
    assert sorted(server_side) == KEYS and len(KEYS) > 40
    # One long work per page, two on Over time (the comparison, then its rules per period).
    assert sum(1 for entry in callbacks(app).values() if entry.get("background")) == 7


@pytest.mark.parametrize("key", KEYS, ids=[key.strip(".")[:40] for key in KEYS])
def test_a_callback_survives_any_values(app, key):
    entry = callbacks(app)[key]
    function = entry["callback"].__wrapped__  # what the callback module registered
    arity = len(entry["inputs"]) + len(entry["state"])
    background = bool(entry.get("background"))
    with logged_in_as(app, "fuzz") as user:
        dataset = storage.save_upload(user.get_id(), "shop.csv", TABLE.encode()).id
        datasets = st.one_of(VALUES, st.just(dataset), st.just(str(dataset)))
        first = entry["inputs"][0]
        prop_id = f"{first['id']}.{first['property']}"
        calls = []

        @settings(
            max_examples=FUZZ_EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            derandomize=True,  # the same draws on every run: a failure is reproducible
        )
        @given(values=st.lists(st.one_of(VALUES, datasets), min_size=arity, max_size=arity))
        def survives(values):
            args = [lambda *_progress: None, *values] if background else values
            triggered = [{"prop_id": prop_id, "value": values[0] if values else None}]
            with contextlib.suppress(PreventUpdate):
                with_props(function, *args, triggered_inputs=triggered)
            calls.append(1)

        survives()
    assert len(calls) >= min(FUZZ_EXAMPLES, 5)
