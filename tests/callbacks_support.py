"""Run Dash callback functions directly, as a logged-in user, with a given trigger."""

from contextlib import contextmanager
from contextvars import copy_context

from dash._callback_context import context_value
from dash._utils import AttributeDict
from flask_login import login_user

from accounts import User, db


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
