"""The Over time page's products and rules per period, called as plain functions: mined by
their job and stored, drawn per segment from storage, at the Rules page's thresholds,
bounded, and never shown to another user."""

import pytest
from dash import no_update

from basket_segments.analytics.period_changes import rule_changes
from basket_segments.callbacks import long_work, over_time_products, over_time_work
from basket_segments.figures import segment_colour
from basket_segments.layouts import over_time_products as layout
from basket_segments.queries import RULE_DEFAULTS, PeriodRulesQuery
from basket_segments.store import results, storage
from tests.analytics.test_period_changes import dated_csv
from tests.callbacks_support import choose_segments, logged_in_as, text_of, through_long_work

pytestmark = pytest.mark.usefixtures("engine_only_in_jobs")

SETTINGS = {"features": ["Recency", "Frequency", "Monetary"], "k": 2, "scale": "standard"}


@pytest.fixture
def user(app):
    with logged_in_as(app) as user:
        yield user


def stored_dated(user) -> int:
    dataset = storage.save_upload(user.get_id(), "dated.csv", dated_csv().encode()).id
    choose_segments(SETTINGS, dataset)
    return dataset


def compare(dataset):
    """The comparison's answer (split at the middle of the dates: January, February)."""
    values = (dataset, "split", None, 30, 1, "Segments as on the Segments page")
    answer, message = through_long_work(over_time_work.OVER_TIME, *values)
    assert message is None
    return answer


def changes(comparison, rules=None, progress=None):
    return through_long_work(over_time_products.CHANGES, comparison, rules, progress=progress)


def rows_of(region) -> list[dict]:
    """The rows a grid region holds."""
    return region.children.rowData


def test_the_job_stores_each_periods_rules_and_the_views_answer_from_storage(user):
    dataset = stored_dated(user)
    comparison = compare(dataset)
    progress = []
    answer, message = changes(comparison, progress=progress)
    assert message is None and answer["result"]["query"]["comparison"]["dataset"] == dataset
    assert any(text.startswith("Mining the rules of") for _, text in progress)
    again, asked, _ = long_work.ask(over_time_products.CHANGES, comparison, None, True, None)
    assert asked is no_update and again["result"] == answer["result"]  # from storage: no job

    options, value, style = over_time_products.segment_choices(comparison, None, None)
    assert [o["value"] for o in options] == ["0", "1"] and value == "0"
    assert style["borderLeft"].endswith(segment_colour(0))
    assert over_time_products.segment_choices(comparison, "1", 0)[1] == "1"  # the pick stays
    assert over_time_products.segment_choices(comparison, None, 1)[1] == "1"  # else everywhere's

    query = PeriodRulesQuery.from_json(answer["result"]["query"])
    assert query.rules == RULE_DEFAULTS
    mined = results.period_mining(user.get_id(), query, only_cached=True)
    labels = results.over_time(user.get_id(), query.comparison, only_cached=True).periods.labels
    for segment in (0, 1):
        products, rules, said, caption = over_time_products.show_changes(answer, None, str(segment))
        first, later = (
            over_time_products.segment_rules(mined.rules, query, segment, label) for label in labels
        )
        expected = rule_changes(first, later, None)
        shown = rows_of(rules)
        assert 0 < len(shown) == min(over_time_products.TOP, len(expected))
        assert [(r["antecedent"], r["consequent"], r["kind"]) for r in shown] == [
            (", ".join(a), ", ".join(c), k)
            for a, c, k in expected[["antecedent", "consequent", "kind"]].head(len(shown)).values
        ]
        counts = expected["kind"].value_counts()
        assert f"{len(first):,} rules in {labels[0]}, {len(later):,} in {labels[1]}" in caption
        assert f"{int(counts.get('appeared', 0)):,} appeared" in caption
        assert 0 < len(rows_of(products)) <= over_time_products.TOP
        assert {row["kind"] for row in rows_of(products)} <= {"kept", "appeared", "disappeared"}
        assert "Customers in " in text_of(said)
        assert rows_of(products)[0]["product"] in set(mined.products["product"])


def test_the_rules_pages_thresholds_apply_to_their_dataset_only(user):
    dataset = stored_dated(user)
    comparison = compare(dataset)
    strict = {"dataset": dataset, "support": 0.6, "confidence": 0.8, "lift": 1.0, "length": 2}
    answer, _ = changes(comparison, strict)
    query = PeriodRulesQuery.from_json(answer["result"]["query"])
    assert (query.rules.min_support, query.rules.min_confidence) == (0.6, 0.8)
    loose = rows_of(over_time_products.show_changes(changes(comparison)[0], None, "0")[1])
    tight = rows_of(over_time_products.show_changes(answer, None, "0")[1])

    def supports(rows):
        return [r[side] for r in rows for side in ("first_support", "later_support") if r[side]]

    assert tight and min(supports(tight)) >= 0.6 > min(supports(loose))
    other, _ = changes(comparison, {**strict, "dataset": dataset + 1})
    assert PeriodRulesQuery.from_json(other["result"]["query"]).rules == RULE_DEFAULTS


def test_nothing_is_asked_before_the_comparison_and_forged_answers_show_nothing(user):
    dataset = stored_dated(user)
    assert changes(None) == (None, no_update)
    answer, _ = changes(compare(dataset))
    for forged in (None, {"request": {"x": 1}}, 7):
        assert over_time_products.show_changes(forged, None, "0")[3] == layout.PICK_A_SEGMENT
    assert over_time_products.show_changes(answer, None, "99")[3] == layout.PICK_A_SEGMENT
    damaged = {**answer, "result": {"query": {"comparison": "x"}}}
    assert "damaged" in over_time_products.show_changes(damaged, None, "0")[3]


def test_another_user_cannot_read_the_rules_per_period(app):
    with logged_in_as(app, "ana") as ana:
        comparison = compare(stored_dated(ana))
        answer, _ = changes(comparison)
    with logged_in_as(app, "intruder"):
        refused, message = changes(comparison)
        assert refused is None and "does not exist" in text_of(message)
        products, rules, _said, caption = over_time_products.show_changes(answer, None, "0")
        assert rows_of(rules) == [] == rows_of(products) and "does not exist" in caption
        assert over_time_products.segment_choices(comparison, None, None)[0] == []


class Stopped(Exception):
    """What Cancel does to a job at its next progress step."""


def test_rules_per_period_stopped_while_mining_store_nothing(user):
    dataset = stored_dated(user)
    comparison = compare(dataset)

    def cancel_when_mining(progress):
        if progress[1].startswith("Mining"):
            raise Stopped

    asked = {"request": {"comparison": comparison, "rules": None}}
    with pytest.raises(Stopped):
        long_work.run(over_time_products.CHANGES, cancel_when_mining, asked)
    query = over_time_products.changes_query(user.get_id(), asked["request"])
    assert not results.period_mining_ready(user.get_id(), query)
