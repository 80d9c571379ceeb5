"""Data page callbacks: store uploads and the sample, open, rename, delete, set roles."""

from __future__ import annotations

import contextlib

from dash import ALL, ClientsideFunction, Dash, Input, Output, State, ctx, dcc, no_update, set_props

from basket_segments import ids
from basket_segments.analytics.errors import DataError
from basket_segments.callbacks import long_work
from basket_segments.layouts import data as layout
from basket_segments.layouts.common import message, page_path
from basket_segments.queries import choice_or_none, text_or_none, texts, whole_number
from basket_segments.store import storage
from basket_segments.store.owner import current_owner

SAMPLE_NAME = "Sample: grocery customers"


def triggered_by_user() -> bool:
    """Whether a real click fired the callback, not a component appearing."""
    return bool(ctx.triggered and ctx.triggered[0].get("value"))


def upload_ready(_owner: str, request: dict) -> bool | None:
    """An upload or the sample always needs storing (None: nothing was sent)."""
    sent = request["file"]
    if not sent:
        return None
    if not isinstance(sent, dict):  # not what the upload script sends
        raise DataError("That upload is no longer on the server; please upload the file again.")
    if sent.get("error"):  # the upload route's own answer, e.g. over the size limit
        raise DataError(sent["error"])
    return False


def store_upload(owner: str, request: dict, report) -> dict:
    """Read and store the uploaded file or the sample (in a background job)."""
    from basket_segments.analytics.prepare import SHAPES
    from basket_segments.analytics.sample import generate_sample

    sent = request["file"]
    if sent.get("sample"):
        content = generate_sample().to_csv(index=False).encode()
        info = storage.save_upload(owner, "sample.csv", content, name=SAMPLE_NAME, report=report)
        return {"dataset": info.id, "text": f"Stored {info.name}; open Segments to explore it."}
    content = storage.take_upload(owner, sent.get("upload"))
    info = storage.save_upload(owner, sent.get("filename") or "upload", content, report=report)
    text = f"Stored {info.name}: {SHAPES[info.shape]}."
    return {"dataset": info.id, "text": text, "shape": info.shape}


UPLOAD = long_work.LongWork(
    ids=ids.DATA_WORK,
    message=ids.DATA_MESSAGE,
    request={"file": Input(ids.UPLOADED, "data")},
    ready=upload_ready,
    compute=store_upload,
)


def show_stored(answer, version, prefix: str):
    """Open the dataset just stored and say so; its details (the cleaning report first)
    show below, and for basket data a link leads on to its rules (it used to go straight
    there, so the report of what was dropped went unseen)."""
    stored = long_work.result_of(answer)
    dataset = whole_number((stored or {}).get("dataset"))
    if dataset is None:
        return no_update, no_update, no_update, no_update
    remember(dataset)
    text = text_or_none(stored.get("text")) or "Stored."
    said = message(text, "success")
    if stored.get("shape") == "baskets":
        rules_link = dcc.Link("See its rules", href=page_path(prefix, "rules"), className="ms-1")
        said.children = [text, " Check the cleaning report below, then", rules_link, "."]
    return dataset, said, next_version(version), no_update


def change_datasets(_confirm, _rename, pending, new_name, active, version):
    """Delete or rename a dataset; answer with a message."""
    owner, trigger = current_owner(), ctx.triggered_id
    if not triggered_by_user():
        return no_update, no_update, no_update
    try:
        if trigger == ids.DELETE_CONFIRM:
            storage.delete_dataset(owner, pending)
            active, text = (None if active == pending else active), "Dataset deleted."
        elif trigger == ids.RENAME:
            text = f"Renamed to {storage.rename_dataset(owner, active, new_name).name}."
        else:
            return no_update, no_update, no_update
    except DataError as error:
        return no_update, message(str(error)), no_update
    return active, message(text, "success"), next_version(version)


def open_dataset(clicks: list) -> int:
    """Make the clicked dataset the active one (and the one the next login opens)."""
    if not triggered_by_user():
        return no_update
    try:
        dataset = storage.get_dataset(current_owner(), ctx.triggered_id["index"]).id
    except storage.DatasetNotFound as error:
        set_props(ids.DATA_MESSAGE, {"children": message(str(error))})
        return no_update
    remember(dataset)
    return dataset


def remember(dataset) -> None:
    """Keep ``dataset`` as the one the user's next login opens. Best effort: a database
    that refuses the write (storage logs it) or a dataset that is not theirs costs only
    that, never the opening itself."""
    with contextlib.suppress(DataError):
        storage.remember_open(current_owner(), dataset)


def ask_delete(clicks: list, _cancel, _confirm):
    """Open the confirmation for the clicked dataset; close it on cancel or confirm."""
    trigger = ctx.triggered_id
    if not triggered_by_user():
        return no_update, no_update
    if isinstance(trigger, dict):
        return True, trigger["index"]
    if trigger in (ids.DELETE_CANCEL, ids.DELETE_CONFIRM):
        return False, no_update
    return no_update, no_update


def list_datasets(version, active):
    """The user's datasets, the active one highlighted."""
    return layout.dataset_list(storage.list_datasets(current_owner()), active)


def show_details(active, version):
    """Details of the active dataset and its first rows (across the page), or nothing."""
    if active is None:
        return None, None
    owner = current_owner()
    try:
        info = storage.get_dataset(owner, active)
        raw = storage.load_raw(owner, active)
    except storage.DatasetNotFound:
        return None, None
    columns = [] if raw.is_basket_file else [str(c) for c in raw.frame.columns]
    return layout.dataset_details(info, columns), layout.dataset_preview(raw.frame.head(10))


def next_version(version) -> int:
    """The data version after a change (the browser holds the current one)."""
    return (whole_number(version) or 0) + 1


def apply_roles(_clicks, values, role_ids, active, version):
    """Re-read the active dataset with the roles the user chose."""
    from basket_segments.analytics.prepare import SHAPES

    if not triggered_by_user():
        return no_update, no_update
    lists = [given if isinstance(given, list) else [] for given in (role_ids, values)]
    pairs = zip(*lists, strict=False)
    roles = {
        item["role"]: texts(value) if isinstance(value, list) else choice_or_none(value)
        for item, value in pairs
        if isinstance(item, dict) and isinstance(item.get("role"), str)
    }
    try:
        info = storage.update_roles(current_owner(), active, roles)
    except DataError as error:
        return message(str(error)), no_update
    return message(f"Roles applied: {SHAPES[info.shape]}.", "success"), next_version(version)


def register(app: Dash) -> None:
    app.clientside_callback(
        ClientsideFunction("basket_segments", "send_upload"),
        Output(ids.UPLOADED, "data"),
        Input(ids.UPLOAD, "contents"),
        State(ids.UPLOAD, "filename"),
        State(ids.UPLOAD_URL, "data"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction("basket_segments", "use_sample"),
        Output(ids.UPLOADED, "data", allow_duplicate=True),
        Input(ids.LOAD_SAMPLE, "n_clicks"),
        prevent_initial_call=True,
    )
    long_work.register(app, UPLOAD)
    prefix = app.config.url_base_pathname
    app.callback(
        Output(ids.ACTIVE_DATASET, "data", allow_duplicate=True),
        Output(ids.DATA_MESSAGE, "children"),
        Output(ids.DATA_VERSION, "data", allow_duplicate=True),
        Output(ids.URL, "pathname", allow_duplicate=True),
        Input(ids.DATA_WORK.answer, "data"),
        State(ids.DATA_VERSION, "data"),
        prevent_initial_call=True,
    )(lambda answer, version: show_stored(answer, version, prefix))
    app.callback(
        Output(ids.ACTIVE_DATASET, "data", allow_duplicate=True),
        Output(ids.DATA_MESSAGE, "children", allow_duplicate=True),
        Output(ids.DATA_VERSION, "data", allow_duplicate=True),
        Input(ids.DELETE_CONFIRM, "n_clicks"),
        Input(ids.RENAME, "n_clicks", allow_optional=True),
        State(ids.DELETE_PENDING, "data"),
        State(ids.RENAME_INPUT, "value", allow_optional=True),
        State(ids.ACTIVE_DATASET, "data"),
        State(ids.DATA_VERSION, "data"),
        prevent_initial_call=True,
    )(change_datasets)
    app.callback(
        Output(ids.ACTIVE_DATASET, "data", allow_duplicate=True),
        Input(ids.open_button(ALL), "n_clicks"),
        prevent_initial_call=True,
    )(open_dataset)
    app.callback(
        Output(ids.DELETE_MODAL, "is_open"),
        Output(ids.DELETE_PENDING, "data"),
        Input(ids.delete_button(ALL), "n_clicks"),
        Input(ids.DELETE_CANCEL, "n_clicks"),
        Input(ids.DELETE_CONFIRM, "n_clicks"),
        prevent_initial_call=True,
    )(ask_delete)
    app.callback(
        Output(ids.DATASET_LIST, "children"),
        Input(ids.DATA_VERSION, "data"),
        Input(ids.ACTIVE_DATASET, "data"),
    )(list_datasets)
    app.callback(
        Output(ids.DATASET_DETAILS, "children"),
        Output(ids.DATASET_PREVIEW_BOX, "children"),
        Input(ids.ACTIVE_DATASET, "data"),
        Input(ids.DATA_VERSION, "data"),
    )(show_details)
    app.callback(
        Output(ids.DATA_MESSAGE, "children", allow_duplicate=True),
        Output(ids.DATA_VERSION, "data", allow_duplicate=True),
        Input(ids.APPLY_ROLES, "n_clicks"),
        State(ids.role_choice(ALL), "value"),
        State(ids.role_choice(ALL), "id"),
        State(ids.ACTIVE_DATASET, "data"),
        State(ids.DATA_VERSION, "data"),
        prevent_initial_call=True,
    )(apply_roles)
