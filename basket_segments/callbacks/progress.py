"""Options shared by the pages' background callbacks: progress bar, Cancel, polling."""

from __future__ import annotations

from dash import Dash, Input, Output

from basket_segments import ids
from basket_segments.layouts.data import message
from basket_segments.layouts.frame import JOB_HIDDEN, JOB_SHOWN

#: How often the browser asks a running job for progress, in milliseconds.
POLL_INTERVAL_MS = 400


def background(job: ids.JobIds) -> dict:
    """``app.callback`` keywords that run a callback as a job shown by ``job``'s widgets.

    The callback receives ``set_progress`` first; wrap it with ``jobs.reporter``.
    """
    return {
        "background": True,
        "progress": [Output(job.bar, "value"), Output(job.text, "children")],
        "progress_default": [0, ""],
        "running": [
            (Output(job.box, "style"), JOB_SHOWN, JOB_HIDDEN),
            (Output(job.cancel, "disabled"), False, True),
        ],
        "cancel": [Input(job.cancel, "n_clicks")],
        "interval": POLL_INTERVAL_MS,
    }


STOPPED = "Stopped; nothing was stored. Change a setting or press the button again to restart."


def stopped_message(clicks):
    """What the page says after its user pressed Cancel."""
    if not clicks:
        return None
    return message(STOPPED, "secondary")


def report_cancel(app: Dash, job: ids.JobIds, message_id: str) -> None:
    """Tell the user, in the page's message area, that Cancel stopped the job."""
    app.callback(
        Output(message_id, "children", allow_duplicate=True),
        Input(job.cancel, "n_clicks"),
        prevent_initial_call=True,
    )(stopped_message)
