"""Run Dash callback functions directly, as a logged-in user, with a given trigger,
and walk the Segments and Rules pages the way the browser does."""

import base64
from contextlib import contextmanager
from contextvars import copy_context

from dash import no_update
from dash._callback_context import context_value
from dash._utils import AttributeDict
from flask_login import login_user

from basket_segments.accounts import User, db
from basket_segments.callbacks import data, rules, segments


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


def segment_charts(settings, x, y, selected, active, progress=None):
    """Charts as the browser gets them: ask, let the background job compute if needed, draw."""
    computed, asked, message = segments.ask_for_segments(settings, active)
    if message is not None:
        return (None,) * 5 + (message,)
    if asked is not no_update:
        report = (progress if progress is not None else []).append
        computed, message = segments.compute_segments(report, asked)
        if computed is no_update:
            return (None,) * 5 + (message,)
    draw = segments.update_charts
    return triggered("segments-computed.data", computed, draw, computed, x, y, selected, settings)


def rules_view(thresholds, basket, hide, product, side, segment, settings, active, progress=None):
    """The rules table as the browser gets it: ask, let the mining job run if needed, draw.

    When the job fails, the page shows the job's message and no table.
    """
    computed, asked, message = rules.ask_for_rules(*thresholds, basket, [], settings, active)
    if computed == {"request": None} and asked is no_update:
        return [], None, None, message
    if asked is not no_update:
        report = (progress if progress is not None else []).append
        computed, message = rules.mine(report, asked)
        if computed is no_update:
            return [], None, None, message
    return rules.update_rules(
        computed, hide, product, side, segment, *thresholds, basket, settings, active
    )


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
    """The upload job as the browser runs it, recording the progress reports."""
    trigger = "data-load-sample.n_clicks" if sample else "data-upload.contents"
    report = (progress if progress is not None else []).append
    return triggered(
        trigger, sample or "x", data.store_upload, report, contents, sample, filename, version
    )
