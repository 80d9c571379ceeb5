"""Run Dash callback functions directly, as a logged-in user, with a given trigger,
and walk the Segments and Rules pages the way the browser does."""

import base64
import io
from contextlib import contextmanager
from contextvars import copy_context

from dash import no_update
from dash._callback_context import context_value
from dash._utils import AttributeDict
from flask_login import login_user

from basket_segments import ids
from basket_segments.analytics.errors import DataError
from basket_segments.callbacks import customers, data, long_work, rules, segments
from basket_segments.store import storage
from basket_segments.store.owner import current_owner
from basket_segments.web.accounts import User, db


@contextmanager
def logged_in_as(app, username="ana"):
    """A request context in which ``username`` (created if needed) is logged in."""
    with app.test_request_context("/analytics/_dash-update-component", method="POST"):
        user = db.session.scalar(db.select(User).filter_by(username=username))
        if user is None:
            user = User(username=username, password_hash="x")
            db.session.add(user)
            db.session.commit()
        login_user(user)
        yield user


def triggered(prop_id: str, value, function, *args):
    """Call ``function(*args)`` as if ``prop_id`` had just changed to ``value``."""

    def run():
        context_value.set(
            AttributeDict(
                triggered_inputs=[{"prop_id": prop_id, "value": value}],
            )
        )
        return function(*args)

    return copy_context().run(run)


def with_props(function, *args, triggered_inputs=None):
    """Call ``function(*args)`` as Dash would; also what it set with ``set_props``, by id."""
    updated = {}

    def run():
        context_value.set(
            AttributeDict(triggered_inputs=triggered_inputs or [], updated_props=updated)
        )
        return function(*args)

    return copy_context().run(run), updated


def through_long_work(work, *values, progress=None, current=None):
    """What the page's answer store ends with, as in the browser: the ask callback, then
    the background job if it asked for one. Returns the answer and the last message.
    ``current`` is the answer the page holds already."""
    answer, asked, message = long_work.ask(work, *values, True, current)
    if asked is no_update:
        return answer, message
    report = (progress if progress is not None else []).append
    answer, message = long_work.run(work, report, asked)
    return (None if answer is no_update else answer), message


def segment_charts(settings, x, y, selected, active, progress=None):
    """Charts as the browser gets them: ask, let the background job compute if needed, draw."""
    answer, message = through_long_work(segments.SEGMENTS, settings, active, progress=progress)
    if answer is None:
        return (None,) * 5 + (message,)
    draw = segments.update_charts
    changed = f"{ids.SEGMENTS_WORK.answer}.data"
    return triggered(changed, answer, draw, answer, x, y, segments.SEGMENT, selected)


def choose_segments(settings, active):
    """The Segments page shows ``settings``' segments, which become the dataset's own."""
    if settings:
        through_long_work(segments.SEGMENTS, settings, active)


def rules_answer(thresholds, basket, active, progress=None, current=None, limit=None):
    """The Rules page's answer for these thresholds: the ask, then the job if needed."""
    support, confidence, lift, length = thresholds
    # the request, then the page's trigger
    values = (active, support, confidence, lift, length, basket, limit, [])
    return through_long_work(rules.RULES, *values, progress=progress, current=current)


def rules_view(thresholds, basket, hide, product, side, segment, settings, active, progress=None):
    """The rules table as the browser gets it: segments shown on the Segments page, the
    Rules page's ask, the mining job if needed, a new grid, and its rows, whose first
    block draws the sentences and the scatter.

    When the job fails, the page shows the job's message and no table.
    """
    choose_segments(settings, active)
    answer, message = rules_answer(thresholds, basket, active, progress=progress)
    if answer is None:
        return [], None, None, message
    sides = old_product_filter(product, side)
    (view, _grid), _ = with_props(rules.show_view, answer, hide, sides, segment)
    rows, drawn = with_props(grid_rows, view)
    sentences = drawn.get(ids.RULE_SENTENCES, {}).get("children")
    scatter = drawn.get(ids.RULES_SCATTER, {}).get("figure")
    note = drawn.get(ids.RULES_MESSAGE, {}).get("children")
    return rows, sentences, scatter, note


def old_product_filter(product, side) -> dict:
    """The product boxes that say what the old single product filter said: ``product``
    on either side ("any"), bought first ("antecedent") or recommended ("consequent")."""
    if not product:
        return {}
    return {f"include_{'either' if side == 'any' else side}": [product]}


def grid_rows(view, block=5000, **grid_request):
    """Every row the rules grid would page through for a view, block by block, as its
    infinite row model asks (``grid_request`` adds its filterModel or sortModel)."""
    rows, start = [], 0
    while True:
        request = {"startRow": start, "endRow": start + block, **grid_request}
        answer = rules.rules_rows(request, view)
        rows += answer["rowData"]
        start += block
        if start >= answer["rowCount"]:
            return rows


def look_up(customer, settings, active, rules_choice=None, progress=None):
    """A customer lookup as the browser runs it: ask, the job if needed, then the card."""
    choose_segments(settings, active)
    values = (customer, active, rules_choice, 1, None)  # the request, then triggers
    answer, message = through_long_work(customers.LOOKUP, *values, progress=progress)
    if answer is None:
        return message
    return customers.show_customer(answer)


def text_of(component) -> str:
    """All the text inside a component tree."""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(text_of(child) for child in component)
    children = getattr(component, "children", None)
    return "" if children is None else text_of(children)


def upload_contents(text: str) -> str:
    return "data:text/csv;base64," + base64.b64encode(text.encode()).decode()


def store_upload(contents, filename, version=0, sample=None, progress=None):
    """An upload (a data URL, as dcc.Upload reads it) or the sample, as the browser sends it:
    the file goes to the upload route's storage, then the Data page's long work stores it.
    Returns the active dataset, the message and the data version the page ends with."""
    if sample:
        sent = {"sample": sample}
    else:
        content = base64.b64decode(contents.split(",", 1)[1])
        try:
            handle = storage.receive_upload(current_owner(), io.BytesIO(content), len(content))
            sent = {"upload": handle, "filename": filename}
        except DataError as error:  # the route answers {"error": ...}: 413 or 400
            sent = {"error": str(error)}
    answer, message = through_long_work(data.UPLOAD, sent, progress=progress)
    if answer is None:
        return no_update, message, no_update
    return data.show_stored(answer, version, "/analytics/")[:3]


def walk(component):
    """Every component of a layout tree, the root first."""
    yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        if hasattr(child, "to_plotly_json"):
            yield from walk(child)
