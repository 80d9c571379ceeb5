"""CSV downloads: streamed from stored results, safe in a spreadsheet, per user."""

import csv
import io
import json
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pytest

from basket_segments import ids
from basket_segments.callbacks import rules, segments
from basket_segments.queries import segment_params
from basket_segments.store import results, storage
from basket_segments.web.downloads import download_url
from tests.callbacks_support import logged_in_as, rules_answer, through_long_work
from tests.test_callbacks import SETTINGS, TABLE

EVIL_HEADER = '=HYPERLINK("http://evil.example","hdr")'
EVIL_TABLE = TABLE.replace("Income", EVIL_HEADER.replace('"', '""').join('""')).replace(
    "bread", "=HYPERLINK(evil)"
)
THRESHOLDS = (0.05, 0.5, 1.0, 3)


@pytest.fixture
def stored(app, logged_in):
    """Ana's dataset with a formula for a column name and a product, segmented and mined."""
    with logged_in_as(app, "ana") as ana:
        dataset = storage.save_upload(ana.get_id(), "evil.csv", EVIL_TABLE.encode()).id
        settings = {**SETTINGS, "features": ["Age", EVIL_HEADER]}
        segmented, _ = through_long_work(segments.SEGMENTS, settings, dataset)
        mined, _ = rules_answer(THRESHOLDS, "customer", dataset)
        rules_link = rules.download_links("/analytics/", mined)[0]
    return segmented["request"], json.loads(parse_qs(urlparse(rules_link).query)["request"][0])


def cells(response) -> list[str]:
    return [
        cell for row in csv.reader(io.StringIO(response.get_data(as_text=True))) for cell in row
    ]


def test_downloads_stream_csv_with_formulas_neutralised(logged_in, stored):
    segmented, mined = stored
    for name, asked in (
        ("segments.csv", segmented),
        ("rules.csv", mined),
        ("top_products.csv", mined),
    ):
        response = logged_in.get(download_url("/analytics/", name, asked))
        assert response.status_code == 200 and response.is_streamed
        assert response.mimetype == "text/csv"
        assert response.headers["Content-Disposition"] == f'attachment; filename="{name}"'
        found = cells(response)
        assert not [cell for cell in found if cell.startswith(("=", "+", "@"))], name
        assert any("=HYPERLINK" in cell for cell in found), name
    header = next(
        csv.reader(
            io.StringIO(
                logged_in.get(download_url("/analytics/", "segments.csv", segmented)).get_data(
                    as_text=True
                )
            )
        )
    )
    assert "'" + EVIL_HEADER in header


def test_downloads_read_only_what_is_stored(logged_in, stored):
    _segmented, mined = stored
    looser = {**mined, "rules": {**mined["rules"], "min_support": 0.01}}  # not mined so
    response = logged_in.get(download_url("/analytics/", "rules.csv", looser))
    assert response.status_code == 404
    assert "not mined yet" in response.get_data(as_text=True)


def test_another_users_link_and_damaged_links_get_a_sentence(app, client, auth, stored):
    segmented, _mined = stored
    auth.signup("bob")
    for url, expected in (
        (download_url("/analytics/", "segments.csv", segmented), "does not exist"),
        ("/analytics/download/segments.csv?request=%7Bnot-json", "link is damaged"),
        ("/analytics/download/passwords.csv?request=%7B%7D", "no such download"),
    ):
        response = client.get(url)
        assert response.status_code == 404 and expected in response.get_data(as_text=True)


def test_these_rules_download_holds_exactly_the_grids_rows_in_its_order(app, logged_in):
    """The rules CSV held every group and the redundant rules (27,443 rows beside a grid of
    3,151 on the retail file); "Download these rules" holds what the grid lists: the view's
    segment, thresholds, product filter, redundant setting, column filter and sort."""
    from tests.callbacks_support import grid_rows, with_props

    with logged_in_as(app, "ana") as ana:
        dataset = storage.save_upload(ana.get_id(), "shop.csv", TABLE.encode()).id
        through_long_work(segments.SEGMENTS, SETTINGS, dataset)
        answer, _ = rules_answer((0.05, 0.3, 0.0, 3), "customer", dataset)
        (view, _grid), _ = with_props(rules.show_view, answer, True, None, 0)
        model = {
            "sortModel": [
                {"colId": "lift", "sort": "desc"},
                {"colId": "antecedent", "sort": "asc"},
            ],
            "filterModel": {
                "confidence": {"filterType": "number", "type": "greaterThan", "filter": 0.4}
            },
        }
        shown = grid_rows(view, **model)
        request = {"startRow": 0, "endRow": 100, **model}
        _rows, drawn = with_props(rules.rules_rows, request, view, "/analytics/")
        link = drawn[ids.DOWNLOAD_SHOWN_RULES]["href"]
        every_group = rules.download_links("/analytics/", answer)[0]
    downloaded = list(csv.DictReader(io.StringIO(logged_in.get(link).get_data(as_text=True))))
    assert 0 < len(downloaded) == len(shown)
    assert [(r["antecedent"], r["consequent"]) for r in downloaded] == [
        (r["antecedent"], r["consequent"]) for r in shown
    ]
    assert list(downloaded[0]) == list(shown[0])  # the grid's columns
    assert all(float(r["confidence"]) > 0.4 for r in downloaded)
    everything = cells(logged_in.get(every_group))
    assert len(everything) > len(downloaded) * len(downloaded[0])  # every group, all rules


def test_segment_and_product_downloads_equal_their_views(app, logged_in):
    """Segment membership and top products downloaded every group whatever the page
    showed: the profiles link holds the profile grid, the membership link the selected
    segment's customers (and says whose), the top products link the view's two charts."""
    from tests.callbacks_support import with_props

    with logged_in_as(app, "ana") as ana:
        dataset = storage.save_upload(ana.get_id(), "shop.csv", TABLE.encode()).id
        segmented, _ = through_long_work(segments.SEGMENTS, SETTINGS, dataset)
        found = results.segments(ana.get_id(), dataset, segment_params(SETTINGS), only_cached=True)
        profiles, _, everyone, _, everyone_label = segments.segment_downloads(
            "/analytics/", segmented, None
        )
        _, _, one, _, one_label = segments.segment_downloads("/analytics/", segmented, 1)
        answer, _ = rules_answer((0.05, 0.3, 0.0, 3), "customer", dataset)
        (view, _grid), _ = with_props(rules.show_view, answer, True, None, 0)
        request = {"startRow": 0, "endRow": 100}
        _rows, drawn = with_props(rules.rules_rows, request, view, "/analytics/")
        products = drawn[ids.DOWNLOAD_PRODUCTS]["href"]
    grid = pd.read_csv(io.StringIO(logged_in.get(profiles).get_data(as_text=True)))
    assert grid["name"].tolist() == found.profiles["name"].tolist()
    members = pd.read_csv(io.StringIO(logged_in.get(one).get_data(as_text=True)))
    assert set(members["segment"]) == {1} and len(members) == (found.table["segment"] == 1).sum()
    assert one_label == f"Download the customers of {found.names[1]} (CSV)"
    all_members = pd.read_csv(io.StringIO(logged_in.get(everyone).get_data(as_text=True)))
    assert len(all_members) == len(found.table) and "every segment" in everyone_label
    top = pd.read_csv(io.StringIO(logged_in.get(products).get_data(as_text=True)))
    assert top["segment"].drop_duplicates().tolist() == [0, -1]
