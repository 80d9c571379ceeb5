"""Pieces every page uses: messages, cards, chart settings and the display of long work."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from basket_segments import ids

#: Every chart's toolbar: no Plotly logo, and a PNG export at twice the size.
GRAPH_CONFIG = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}}
#: A download link's look once its file is ready, and before (not clickable).
DOWNLOAD_READY = "btn btn-sm btn-secondary mt-2 me-2"
DOWNLOAD_WAITING = f"{DOWNLOAD_READY} disabled"
JOB_SHOWN = {"display": "block"}
JOB_HIDDEN = {"display": "none"}
#: The class of a region whose rows a job is computing: a "Computing..." overlay
#: (``assets/dashboard.css``) instead of an empty grid that reads like a result.
BUSY = "bs-busy"


#: Which page applies to what is open, for the sentence of a page that does not apply.
OPEN_A_DATASET = "No dataset is open yet; upload one or try the sample on the"


def page_path(prefix: str, relative: str) -> str:
    """Absolute path of a page under the dashboard prefix.

    >>> page_path("/analytics/", "rules"), page_path("/analytics/", "")
    ('/analytics/rules', '/analytics/')
    """
    return prefix.rstrip("/") + "/" + relative


def page_title(title: str) -> html.H1:
    """A page's one level-one heading."""
    return html.H1(title, className="h2 mb-3")


def not_applicable(title: str, sentence: str, link_text: str, href: str, page_id: str) -> html.Div:
    """A page that does not apply to the open dataset: one sentence ending in a link to
    the page that does, and no controls that would do nothing, no empty chart."""
    return html.Div(
        [
            page_title(title),
            html.P([f"{sentence} ", dcc.Link(link_text, href=href), "."], className="lead"),
        ],
        id=page_id,
    )


def no_dataset_open(title: str, prefix: str, page_id: str) -> html.Div:
    """A page before any dataset is open: one sentence pointing to the Data page."""
    return not_applicable(title, OPEN_A_DATASET, "Data page", page_path(prefix, ""), page_id)


def message(text: str, color: str = "danger") -> dbc.Alert:
    """A sentence for the user in a page's message area (``danger`` for problems)."""
    return dbc.Alert(text, color=color, dismissable=True, className="mb-3")


def card(title: str, body) -> dbc.Card:
    """A titled section of a page."""
    return dbc.Card([dbc.CardHeader(title), dbc.CardBody(body)], className="mb-3")


def choice_group(legend: str, control, class_name: str = "") -> html.Fieldset:
    """Checkboxes or radio buttons under their visible name: a fieldset whose legend names
    the group to assistive technology, as a label names one control."""
    return html.Fieldset(
        [html.Legend(legend, className="form-label fs-6 mb-1"), control], className=class_name
    )


def chart(component_id: str, caption: str, loading: bool = True, **graph) -> html.Figure:
    """A Plotly chart with a caption for screen readers: to assistive technology a chart
    is a picture, so the caption says what it shows and where the same figures are text."""
    drawn = dcc.Graph(id=component_id, config=GRAPH_CONFIG, **graph)
    described = html.Figcaption(caption, className="visually-hidden")
    return html.Figure([dcc.Loading(drawn) if loading else drawn, described], className="mb-0")


def download_link(component_id: str, label: str) -> html.A:
    """A link that downloads a CSV once its results are stored; until then it has no
    address and looks disabled (``callbacks.common.download_link``)."""
    return html.A(label, id=component_id, className=DOWNLOAD_WAITING, download="")


def long_work(work: ids.WorkIds) -> html.Div:
    """The stores of one kind of long work and its progress bar with Cancel.

    The bar is hidden while no job runs; ``callbacks.long_work`` drives it.
    """
    job = work.job
    return html.Div(
        [
            dcc.Store(id=work.asked),
            dcc.Store(id=work.answer),
            html.Div(
                [
                    html.Div(
                        [
                            dbc.Progress(
                                id=job.bar,
                                value=0,
                                striped=True,
                                animated=True,
                                className="flex-grow-1",
                            ),
                            dbc.Button(
                                "Cancel",
                                id=job.cancel,
                                color="secondary",
                                outline=True,
                                size="sm",
                                disabled=True,
                                className="ms-2",
                            ),
                        ],
                        className="d-flex align-items-center",
                    ),
                    html.Small(id=job.text, className="text-muted"),
                ],
                id=job.box,
                style=JOB_HIDDEN,
                className="my-2",
            ),
        ]
    )
