"""The page's own scripts (``assets/*.js``), run by Node as the browser runs them.

A clientside callback runs in the browser, so the Python suite cannot call it; here Node
loads the asset into a bare ``window`` and calls the function with the arguments and the
callback context Dash's renderer gives it. Without Node these tests skip locally, but
under CI (``CI=true``) they fail: ``.ci/run`` installs it (for axe-core too).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from basket_segments import ids

ASSETS = Path(__file__).resolve().parents[1] / "basket_segments" / "assets"
#: What a clientside function returns for ``window.dash_clientside.no_update``.
NO_UPDATE = {"no_update": True}

HARNESS = """
const vm = require("vm");
const fs = require("fs");
const [script, namespace, name, calls] = JSON.parse(process.argv[1]);
const results = calls.map(([triggered, args]) => {
  const window = {dash_clientside: {no_update: {no_update: true}}};
  vm.runInNewContext(fs.readFileSync(script, "utf8"), {window});
  window.dash_clientside.callback_context = {triggered};
  const answer = window.dash_clientside[namespace][name](...args);
  return answer === undefined ? "undefined" : answer;
});
console.log(JSON.stringify(results));
"""


def run_clientside(script: str, namespace: str, name: str, calls: list) -> list:
    """``window.dash_clientside[namespace][name](*args)`` for each ``(triggered, args)``
    of ``calls``, in a fresh window each; what each returned."""
    node = shutil.which("node")
    if node is None:
        reason = "Node is not installed (apt-get install nodejs)"
        if os.environ.get("CI"):
            pytest.fail(f"CI needs Node: {reason}", pytrace=False)
        pytest.skip(reason)
    spec = json.dumps([str(ASSETS / script), namespace, name, calls])
    done = subprocess.run(
        [node, "-e", HARNESS, spec], capture_output=True, text=True, timeout=60, check=True
    )
    return json.loads(done.stdout)


def clicked(graph: str, click) -> list:
    """The call Dash makes when ``graph`` (the scatter or the pie) is clicked."""
    scatter = click if graph == ids.SEGMENT_SCATTER else None
    pie = click if graph == ids.SEGMENT_PIE else None
    return [[{"prop_id": f"{graph}.clickData", "value": click}], [scatter, pie, None]]


def test_a_click_on_the_scatter_or_the_pie_selects_its_segment_and_the_button_clears():
    point = {"points": [{"customdata": [1, "C7"], "curveNumber": 1}]}
    slice_ = {"points": [{"customdata": 2, "curveNumber": 0}]}
    clear = [[{"prop_id": f"{ids.CLEAR_SELECTION}.n_clicks", "value": 3}], [point, slice_, 3]]
    calls = [clicked(ids.SEGMENT_SCATTER, point), clicked(ids.SEGMENT_PIE, slice_), clear]
    assert run_clientside("segments.js", "basket_segments_segments", "select_segment", calls) == [
        1,
        2,
        None,
    ]


@pytest.mark.parametrize(
    "click",
    [
        None,
        {},
        {"points": []},
        {"points": [{}]},
        {"points": [{"customdata": "Young"}]},
        {"points": [{"customdata": 1.5}]},
        {"points": [{"customdata": True}]},
        {"points": [{"customdata": 2**31}]},
        {"points": [{"customdata": [[1], "C7"]}]},
        {"points": "nonsense"},
    ],
)
def test_a_click_on_nothing_or_a_forged_one_keeps_the_selection(click):
    calls = [clicked(ids.SEGMENT_PIE, click), clicked(ids.SEGMENT_SCATTER, click)]
    answers = run_clientside("segments.js", "basket_segments_segments", "select_segment", calls)
    assert answers == [NO_UPDATE, NO_UPDATE]


def test_digits_are_taken_as_the_server_takes_them():
    """The same numbers queries.whole_number takes: digits, negative ones too."""
    calls = [clicked(ids.SEGMENT_PIE, {"points": [{"customdata": text}]}) for text in ("3", "-1")]
    assert run_clientside("segments.js", "basket_segments_segments", "select_segment", calls) == [
        3,
        -1,
    ]
