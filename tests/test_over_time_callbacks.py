"""The Over time page's callbacks, called as plain functions: the page on data without
dates, the comparison computed by its job and stored, the views answering from storage,
a clicked cell's customers, their download, the sentences of bad input, and privacy."""

import csv
import io
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pytest
from dash import no_update

from basket_segments import ids
from basket_segments.callbacks import frame, over_time, over_time_cells, over_time_work
from basket_segments.layouts import over_time as layout
from basket_segments.queries import OverTimeQuery
from basket_segments.store import results, storage
from tests.callbacks_support import (
    choose_segments,
    logged_in_as,
    text_of,
    through_long_work,
    with_props,
)
from tests.conftest import AuthActions
from tests.test_callbacks import TABLE

#: No plain callback these tests drive may compute: only background jobs do.
pytestmark = pytest.mark.usefixtures("engine_only_in_jobs")

PAGE = "/analytics/over-time"
#: Purchases in January and March 2020 (none in February): customers 0-59 buy in
#: January, 30-89 in March, so some stay, some are new and some lapse.
DATED = "Customer,Invoice,Date,Product,Price\n" + "".join(
    f"C{c:03d},{month}{c:03d}{n},2020-{month:02d}-{1 + (c * 7 + n) % 27:02d},"
    f"{('tea', 'jam', 'milk', 'bread')[(c + n) % 4]},{1 + (c * month * 13 + n * 5) % 40}\n"
    for c in range(90)
    for month in (1, 3)
    if (month == 1 and c < 60) or (month == 3 and c >= 30)
    for n in range(1 + (c * month) % 4)
)
SETTINGS = {"features": ["Recency", "Frequency", "Monetary"], "k": 3, "scale": "standard"}
SEGMENTATION = "Segments as on the Segments page"


def ask(dataset, mode="split", split=None, days=30, progress=None, reference=1):
    """The page's answer and message, as the browser gets them (ask, then the job)."""
    values = (dataset, mode, split, days, reference, SEGMENTATION)
    return through_long_work(over_time_work.OVER_TIME, *values, progress=progress)


def comparison(answer, later=None, value="customers"):
    drawn, props = with_props(over_time.show_comparison, answer, later, value)
    return drawn, props


@pytest.fixture
def user(app):
    with logged_in_as(app) as user:
        yield user


@pytest.fixture
def dated(user):
    return stored_dated(user)


def expected(user, answer):
    """The comparison the job stored for an answer (read from storage, never computed)."""
    query = OverTimeQuery.from_json(answer["result"]["query"])
    return results.over_time(user.get_id(), query, only_cached=True)


def test_the_page_says_why_it_does_not_apply_without_dates(user):
    without = storage.save_upload(user.get_id(), "shop.csv", TABLE.encode()).id
    page = frame.render_page(PAGE, without, "/analytics/")
    assert page.id == ids.OVER_TIME_PAGE
    assert "has no purchase dates" in text_of(page)
    assert ids.PERIOD_MODE not in str(page)
    baskets = storage.save_upload(user.get_id(), "b.csv", b"Transaction,Item\n1,tea\n1,jam\n").id
    assert "baskets without customers" in text_of(frame.render_page(PAGE, baskets, "/analytics/"))
    assert "No dataset is open" in text_of(frame.render_page(PAGE, None, "/analytics/"))


def test_the_page_offers_its_controls_for_dated_data(user, dated):
    page = frame.render_page(PAGE, dated, "/analytics/")
    assert ids.PERIOD_MODE in str(page) and ids.MIGRATION_HEATMAP in str(page)
    words, note = over_time.init_over_time(0, dated)
    assert words.startswith(SEGMENTATION) and "K = 3" in words and note is None


def test_the_job_stores_the_comparison_and_the_views_answer_from_storage(user, dated):
    progress = []
    answer, message = ask(dated, progress=progress)
    assert message is None and answer["result"]["query"]["periods"]["mode"] == "split"
    assert progress[0][1] == "Reading the dataset" and progress[-1][1].startswith("Finding 3")
    # Asked again, the stored comparison answers at once: no job.
    again, asked, _ = _ask_only(dated)
    assert asked is no_update and again["request"] == answer["request"]

    (options, later, heatmap, sankey, _sizes, sizes_style, summary), _ = comparison(answer)
    found = expected(user, answer)
    assert found.segmentation.features == SETTINGS["features"] and len(found.names) == 3
    assert [option["value"] for option in options] == [found.periods.labels[1]] == [later]
    cells = found.migration
    assert total(heatmap.data[0].z) == cells["customers"].sum()
    seen = found.by_period["customer"].nunique()
    assert cells["customers"].sum() == seen  # new + lapsed + both = everyone seen
    assert sum(sankey.data[0].link.value) == seen
    assert sizes_style == {"display": "none"} and "2 periods" in summary
    revenue = comparison(answer, later, "revenue")[0][2]
    assert total(revenue.data[0].z) == pytest.approx(cells["revenue"].sum())


def total(matrix) -> float:
    """The sum of a heatmap's cells (new to lapsed is no cell: empty)."""
    return float(pd.DataFrame(matrix).sum().sum())


def _ask_only(dataset):
    from basket_segments.callbacks import long_work

    values = (dataset, "split", None, 30, 1, SEGMENTATION, True, None)
    return long_work.ask(over_time_work.OVER_TIME, *values)


def test_the_segments_can_be_fitted_on_another_period(user, dated):
    answer, message = ask(dated, mode="days", days=31, reference=2)
    assert message is None
    found = expected(user, answer)
    labels = found.periods.labels
    assert len(labels) == 3 and found.reference == 1
    (options, later, _heatmap, _s, _sizes, _style, summary), _ = comparison(answer)
    assert [option["value"] for option in options] == [labels[0], labels[2]] and later == labels[0]
    assert f"segments fitted on {labels[1]}" in summary
    cells = found.migration
    assert set(cells["period"]) == {labels[0], labels[2]}
    table = found.by_period.pivot(index="customer", columns="period", values="segment")
    stayed = cells[(cells["period"] == labels[0]) & (cells["from_segment"] == 0)]
    stayed = stayed[stayed["to_segment"] == 0]["customers"].iat[0]
    assert stayed == ((table[labels[1]] == 0) & (table[labels[0]] == 0)).sum()
    first = ask(dated, mode="days", days=31)[0]
    assert expected(user, first).reference == 0  # a different comparison, stored apart


@pytest.mark.parametrize(
    ("reference", "sentence"),
    [
        (4, "The reference period must be one of the 3 periods, numbered from 1."),
        (0, "The reference period must be from 1 to 36, not 0."),
        ("x", "The reference period must be from 1 to 36, not 'x'."),
    ],
)
def test_a_reference_period_that_is_not_one_gets_a_sentence(user, dated, reference, sentence):
    answer, message = ask(dated, mode="days", days=31, reference=reference)
    assert answer is None and sentence in text_of(message)


def test_three_periods_show_the_sizes_per_period(user, dated):
    answer, message = ask(dated, mode="days", days=31)
    assert message is None
    (options, _later, _h, _s, sizes, style, _), _ = comparison(answer)
    assert len(options) == 2 and style == {}
    assert sum(sum(bar.y) for bar in sizes.data) == len(expected(user, answer).by_period)


def click(answer, source, target, later):
    """A click on the heatmap's cell, then the grid's rows, and the download's link."""
    k = len(over_time_work.stored(answer)[1].names)
    point = {"points": [{"x": k if target == -1 else target, "y": k if source == -1 else source}]}
    cell = with_props(
        over_time_cells.select_cell,
        point,
        None,
        later,
        answer,
        triggered_inputs=[{"prop_id": f"{ids.MIGRATION_HEATMAP}.clickData", "value": point}],
    )[0]
    view, _grid, sentence = over_time_cells.show_cell(cell, answer)
    rows, props = with_props(
        over_time_cells.moved_rows, {"startRow": 0, "endRow": 500}, view, "/analytics/"
    )
    return cell, sentence, rows, props[ids.DOWNLOAD_MOVED]["href"]


def test_a_clicked_cell_lists_exactly_its_customers_and_downloads_them(app, logged_in):
    with logged_in_as(app, "ana") as ana:
        dataset = stored_dated(ana)
        answer, _ = ask(dataset)
        found = expected(ana, answer)
        cells = found.migration
        moved = cells[cells["from_segment"].notna() & cells["to_segment"].notna()]
        moved = moved[moved["from_segment"] != moved["to_segment"]]
        biggest = moved.sort_values("customers", ascending=False).iloc[0]
        source, target = int(biggest["from_segment"]), int(biggest["to_segment"])
        later = found.periods.labels[1]
        cell, sentence, rows, href = click(answer, source, target, later)
        flow = {"points": [{"customdata": f"{source},{target}", "pointNumber": 3}]}
        clicked = {"prop_id": f"{ids.MIGRATION_SANKEY}.clickData", "value": flow}
        by_flow = with_props(
            over_time_cells.select_cell, None, flow, later, answer, triggered_inputs=[clicked]
        )[0]
        new = click(answer, -1, 0, later)[2]
        lapsed = click(answer, 1, -1, later)[2]
    assert cell == by_flow == {"period": later, "from": source, "to": target}
    table = found.by_period.pivot(index="customer", columns="period", values="segment")
    reference = found.periods.labels[0]
    wanted = table[(table[reference] == source) & (table[later] == target)].index
    assert sorted(row["customer"] for row in rows["rowData"]) == sorted(wanted)
    assert rows["rowCount"] == biggest["customers"] == len(wanted)
    assert sentence.startswith(f"{len(wanted)} customer") and "moved from" in sentence
    assert f"Recency ({later})" in rows["rowData"][0]
    newcomers = table[table[reference].isna() & (table[later] == 0)].index
    assert sorted(row["customer"] for row in new["rowData"]) == sorted(newcomers)
    assert lapsed["rowCount"] == len(table[(table[reference] == 1) & table[later].isna()])

    response = logged_in.get(href)  # outside the test's request: the client's own login
    assert response.status_code == 200
    downloaded = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [row["customer"] for row in downloaded] == [row["customer"] for row in rows["rowData"]]
    assert list(downloaded[0]) == list(rows["rowData"][0])


def stored_dated(user) -> int:
    """The dated purchases stored for ``user`` and segmented on the Segments page."""
    dataset = storage.save_upload(user.get_id(), "dated.csv", DATED.encode()).id
    choose_segments(SETTINGS, dataset)
    return dataset


def test_a_forged_cell_lists_nobody(user, dated):
    answer, _ = ask(dated)
    for cell in ({"period": "x", "from": 0, "to": 1}, {"period": None, "from": 99, "to": 0}, 7):
        view, grid, sentence = over_time_cells.show_cell(cell, answer)
        assert view is None and sentence in (over_time_cells.DAMAGED, layout.CLICK_A_CELL)
        assert not grid.children  # no empty grid (its empty header failed axe)
    assert over_time_cells.moved_rows({}, {"answer": answer, "cell": {"from": -1, "to": -1}}) == (
        over_time_cells.NO_ROWS
    )


@pytest.mark.parametrize(
    ("mode", "split", "days", "sentence"),
    [
        ("split", "2021-01-01", 30, "is outside the data, whose purchases run from 2020-01-01"),
        ("split", "1 April", 30, "The split date must be a date such as 2011-04-01"),
        ("split", "2020-02-30", 30, "The split date must be a date such as 2011-04-01"),
        ("month", None, 30, "The period 2020-02 has no purchases"),
        ("days", None, 3, "Days per period must be from 7 to 366, not 3."),
        ("days", None, 366, "That makes one period (2020-01-01 to 2020-12-31), nothing to"),
        ("weekly", None, 30, "Periods are a split date, months, quarters or days"),
    ],
)
def test_bad_periods_get_a_sentence(user, dated, mode, split, days, sentence):
    answer, message = ask(dated, mode, split, days)
    assert answer is None and sentence in text_of(message)


def test_a_period_with_fewer_customers_than_k_gets_a_sentence(user, dated):
    choose_segments({**SETTINGS, "k": 15}, dated)
    answer, message = ask(dated, "split", "2020-01-02")
    assert answer is None and "too few for 15 segments" in text_of(message)


def test_another_user_cannot_read_the_comparison(app, logged_in):
    with logged_in_as(app, "ana") as ana:
        dataset = stored_dated(ana)
        answer, _ = ask(dataset)
        later = expected(ana, answer).periods.labels[1]
        href = click(answer, 0, 1, later)[3]
    with logged_in_as(app, "intruder"):
        refused, message = ask(dataset)
        assert refused is None and "does not exist" in text_of(message)
        drawn, props = comparison(answer)
        said = props[ids.OVER_TIME_MESSAGE]["children"]
        assert drawn[0] == [] and "does not exist" in text_of(said)
        view = {"answer": answer, "cell": {"period": later, "from": 0, "to": 1}}
        assert over_time_cells.moved_rows({}, view) == over_time_cells.NO_ROWS
        assert over_time_cells.show_cell(view["cell"], answer)[0] is None
    assert logged_in.get(href).status_code == 200  # Ana's own link
    intruder = app.test_client()
    AuthActions(intruder).signup("eve")
    refused = intruder.get(href)
    assert refused.status_code == 404 and b"C0" not in refused.data


def test_the_download_link_names_the_view_not_the_rows(user, dated):
    answer, _ = ask(dated)
    href = click(answer, 0, 1, expected(user, answer).periods.labels[1])[3]
    asked = parse_qs(urlparse(href).query)["request"][0]
    assert "C0" not in asked  # the link carries the request, never the customers


class Stopped(Exception):
    """What Cancel does to a job at its next progress step (``jobs.check_cancelled``)."""


def test_a_comparison_stopped_at_a_step_stores_nothing(user, dated):
    from basket_segments.callbacks import long_work

    def cancel_when_segmenting(progress):
        if progress[1].startswith("Finding"):
            raise Stopped

    asked = {
        "request": {"dataset": dated, "mode": "split", "split": None, "days": 30, "reference": 1}
    }
    with pytest.raises(Stopped):
        long_work.run(over_time_work.OVER_TIME, cancel_when_segmenting, asked)
    query = over_time_work.asked_query(user.get_id(), asked["request"])
    assert not results.over_time_ready(user.get_id(), query)
    _answer, message = ask(dated)  # asked again, it runs to the end and is stored
    assert message is None and results.over_time_ready(user.get_id(), query)


def test_no_grid_is_drawn_before_a_cell_is_clicked():
    """An empty AG Grid's header row has no text, which axe reports; the card holds only
    its sentence until a cell names customers."""
    card = layout.moved_customers()
    table = next(c for c in _descendants(card) if getattr(c, "id", None) == ids.MOVED_TABLE)
    assert not table.children.children


def _descendants(component):
    yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if child is not None and not isinstance(child, str | int | float):
            yield from _descendants(child)
