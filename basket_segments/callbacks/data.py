"""Data page callbacks: store uploads and the sample, open, rename, delete, set roles."""

from __future__ import annotations

import base64
import binascii

from dash import ALL, Dash, Input, Output, State, ctx, no_update, set_props

from basket_segments import ids, jobs, storage
from basket_segments.analytics.errors import DataError
from basket_segments.analytics.sample import generate_sample
from basket_segments.auth import current_owner
from basket_segments.callbacks.progress import background, report_cancel
from basket_segments.layouts import data as layout

SAMPLE_NAME = "Sample: grocery customers"


def decode_upload(contents: str) -> bytes:
    """The file bytes of a ``dcc.Upload`` data URL."""
    try:
        return base64.b64decode(contents.split(",", 1)[1], validate=True)
    except (IndexError, ValueError, binascii.Error) as error:
        raise DataError("The upload arrived damaged; please try again.") from error


def triggered_by_user() -> bool:
    """Whether a real click or upload fired the callback, not a component appearing."""
    return bool(ctx.triggered and ctx.triggered[0].get("value"))


def store_upload(set_progress, contents, _sample, filename, version):
    """Read and store an upload or the sample (a background job); answer with a message."""
    owner, trigger = current_owner(), ctx.triggered_id
    if not triggered_by_user():
        return no_update, no_update, no_update
    report = jobs.reporter(set_progress)
    try:
        if trigger == ids.UPLOAD:
            content = decode_upload(contents)
            info = storage.save_upload(owner, filename or "upload", content, report=report)
            text = f"Stored {info.name}: {layout.SHAPES[info.shape]}."
        else:
            content = generate_sample().to_csv(index=False).encode()
            info = storage.save_upload(
                owner, "sample.csv", content, name=SAMPLE_NAME, report=report
            )
            text = f"Stored {info.name}; open Segments to explore it."
    except DataError as error:
        return no_update, layout.message(str(error)), no_update
    return info.id, layout.message(text, "success"), (version or 0) + 1


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
    except (DataError, storage.DatasetNotFound) as error:
        return no_update, layout.message(str(error)), no_update
    return active, layout.message(text, "success"), (version or 0) + 1


def open_dataset(clicks: list) -> int:
    """Make the clicked dataset the active one."""
    if not triggered_by_user():
        return no_update
    try:
        return storage.get_dataset(current_owner(), ctx.triggered_id["index"]).id
    except storage.DatasetNotFound as error:
        set_props(ids.DATA_MESSAGE, {"children": layout.message(str(error))})
        return no_update


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
    """Details of the active dataset, or nothing."""
    if active is None:
        return None
    owner = current_owner()
    try:
        info = storage.get_dataset(owner, active)
        raw = storage.load_raw(owner, active)
    except storage.DatasetNotFound:
        return None
    columns = [] if raw.is_basket_file else [str(c) for c in raw.frame.columns]
    return layout.dataset_details(info, raw.frame.head(10), columns)


def apply_roles(_clicks, values, role_ids, active, version):
    """Re-read the active dataset with the roles the user chose."""
    if not triggered_by_user():
        return no_update, no_update
    roles = {item["role"]: value for item, value in zip(role_ids, values, strict=True)}
    try:
        info = storage.update_roles(current_owner(), active, roles)
    except (DataError, storage.DatasetNotFound) as error:
        return layout.message(str(error)), no_update
    return layout.message(f"Roles applied: {layout.SHAPES[info.shape]}.", "success"), (
        version or 0
    ) + 1


def register(app: Dash) -> None:
    app.callback(
        Output(ids.ACTIVE_DATASET, "data", allow_duplicate=True),
        Output(ids.DATA_MESSAGE, "children"),
        Output(ids.DATA_VERSION, "data", allow_duplicate=True),
        Input(ids.UPLOAD, "contents"),
        Input(ids.LOAD_SAMPLE, "n_clicks"),
        State(ids.UPLOAD, "filename"),
        State(ids.DATA_VERSION, "data"),
        prevent_initial_call=True,
        **background(ids.DATA_JOB),
    )(store_upload)
    report_cancel(app, ids.DATA_JOB, ids.DATA_MESSAGE)
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
        Input({"type": ids.OPEN_TYPE, "index": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )(open_dataset)
    app.callback(
        Output(ids.DELETE_MODAL, "is_open"),
        Output(ids.DELETE_PENDING, "data"),
        Input({"type": ids.DELETE_TYPE, "index": ALL}, "n_clicks"),
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
        Input(ids.ACTIVE_DATASET, "data"),
        Input(ids.DATA_VERSION, "data"),
    )(show_details)
    app.callback(
        Output(ids.DATA_MESSAGE, "children", allow_duplicate=True),
        Output(ids.DATA_VERSION, "data", allow_duplicate=True),
        Input(ids.APPLY_ROLES, "n_clicks"),
        State({"type": ids.ROLE_TYPE, "role": ALL}, "value"),
        State({"type": ids.ROLE_TYPE, "role": ALL}, "id"),
        State(ids.ACTIVE_DATASET, "data"),
        State(ids.DATA_VERSION, "data"),
        prevent_initial_call=True,
    )(apply_roles)
