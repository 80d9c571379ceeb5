"""Every file of the hostile corpus through the browser's upload path and the command line.

The upload goes through ``callbacks.data.store_upload``, the Data page's
background callback, as a ``data:...;base64,`` URL, for a user who already has
one good dataset: a refused file must leave that user's datasets and files
exactly as they were. Files that read fine but cannot be analysed are taken
on through the Segments and Rules pages' callbacks.

Size limits: ``MAX_UPLOAD_MB`` protects a server shared by many users, so the
upload path refuses the over-limit file (with a 1 MB limit in the test config,
rather than a 50 MB file). The command line has no limit, by decision: it runs
on the user's own machine, on files they chose, and the README's benchmark
feeds it 5 million rows. It analyses the over-limit file like any other (the
corpus's expectation), and a file too big for the machine's memory ends in one
sentence and exit status 2, not a traceback (``test_cli_out_of_memory``).
"""

from __future__ import annotations

import base64
import errno
import json
import re
import resource
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from dash import no_update

from basket_segments import ids
from basket_segments.analytics.prepare import PreparedData
from basket_segments.app import create_app
from basket_segments.callbacks import rules
from basket_segments.cli.commands import main
from basket_segments.store import results, storage
from tests.analytics.brute_force import any_group_size
from tests.callbacks_support import (
    logged_in_as,
    rules_view,
    segment_charts,
    store_upload,
    text_of,
)
from tests.conftest import REPO, make_config
from tests.hostile.corpus import (
    ANALYSIS_K,
    CASES,
    TABLE_LIMIT_MB,
    Accepted,
    Case,
    Refused,
    write_corpus,
)
from tests.hostile.files import shop_rows, table_text

GOOD = table_text(shop_rows(30, ("bread", "milk", "tea"))).encode()
#: What a message must never show: a traceback, an exception's name or repr, pandas' innards.
GIBBERISH = re.compile(
    r"Traceback|Error\(|Exception|[A-Z][a-z]+(Error|Warning)\b|BadZipFile|Arrow[A-Z]|<|>"
    r"|dtype|object at 0x|\bnan\b|C error|Errno"
)
#: Longest message: a sentence, not a dump of the file's columns or values.
MAX_MESSAGE_CHARS = 400
#: A few cases run as real processes, to prove the real entry point prints no traceback.
SUBPROCESS_CASES = ["png_renamed_csv", "zip_bomb_xlsx", "fewer_customers_than_k"]
THRESHOLDS = (0.05, 0.5, 1.0, 3)
#: The command line as the tests run it: the dashboard's table limit, not a quarter of
#: whatever memory the machine has, so every machine refuses the same files.
CLI_OPTIONS = ("--k", str(ANALYSIS_K), "--max-table-mb", str(TABLE_LIMIT_MB))


def case_params(names: list[str] | None = None) -> list:
    chosen = [case for case in CASES if names is None or case.name in names]
    return [
        pytest.param(case, id=case.name, marks=[pytest.mark.slow] if case.slow else [])
        for case in chosen
    ]


def assert_plain_sentence(text: str) -> None:
    """One readable sentence: no traceback, class names, reprs or pandas' words."""
    assert text and text.strip() == text and "\n" not in text, repr(text)
    assert text.endswith("."), text
    assert len(text) <= MAX_MESSAGE_CHARS, text
    found = GIBBERISH.search(text)
    assert found is None, f"{found.group()!r} in {text!r}"


def assert_figures(data: PreparedData, expected: Accepted) -> None:
    """The prepared data has the expected shape, features, products and values."""
    assert data.shape == expected.shape
    assert (len(data.customers), data.purchases["product"].nunique()) == (
        expected.customers,
        expected.products,
    )
    assert tuple(data.features) == expected.features
    if expected.product_names is not None:
        assert set(data.purchases["product"]) == expected.product_names
    for customer, values in expected.customer_values.items():
        assert data.customers.loc[customer, list(values)].to_dict() == values
    dropped = {reason: n for reason, n in data.report["dropped"].items() if n}
    assert dropped == expected.dropped


@pytest.fixture(scope="session")
def corpus_files(tmp_path_factory) -> dict[str, Path]:
    """Every case's file, written once (the big ones take a few seconds)."""
    return write_corpus(tmp_path_factory.mktemp("hostile"))


@pytest.fixture(scope="module")
def apps(tmp_path_factory):
    """One app per upload limit, shared by the module; each test uses its own user."""
    made = {}

    def app_for(limit_mb: float | None):
        if limit_mb not in made:
            extra = {} if limit_mb is None else {"BASKET_SEGMENTS_MAX_UPLOAD_MB": limit_mb}
            made[limit_mb] = create_app(make_config(tmp_path_factory.mktemp("app"), **extra))
        return made[limit_mb]

    return app_for


def data_url(path: Path) -> str:
    return "data:application/octet-stream;base64," + base64.b64encode(path.read_bytes()).decode()


def stored_files(app) -> dict[str, int]:
    """Every file under the app's data folder, with its size."""
    folder = Path(app.config["BASKET_SEGMENTS_DATA_FOLDER"])
    return {str(p.relative_to(folder)): p.stat().st_size for p in folder.rglob("*") if p.is_file()}


def test_the_corpus_has_many_distinct_cases():
    names = [case.name for case in CASES]
    assert len(names) >= 30 and len(set(names)) == len(names)
    assert {type(case.expected) for case in CASES} == {Accepted, Refused}


# --- the upload path -------------------------------------------------------------------------


@pytest.mark.usefixtures("engine_only_in_jobs")  # the pages compute only in their jobs
@pytest.mark.parametrize("case", case_params())
def test_upload(case: Case, corpus_files, apps):
    app = apps(case.upload_limit_mb)
    with logged_in_as(app, f"user-{case.name}") as user:
        owner = user.get_id()
        good = storage.save_upload(owner, "good.csv", GOOD)
        before, files_before = storage.list_datasets(owner), stored_files(app)
        good_frame = storage.load_raw(owner, good.id).frame
        path = corpus_files[case.name]
        active, message, version = store_upload(data_url(path), case.filename, 3)
        text = text_of(message)
        assert_plain_sentence(text)
        expected = case.upload_expected
        if isinstance(expected, Refused):
            assert expected.message in text
            assert active is no_update and version is no_update
            assert storage.list_datasets(owner) == before
            assert stored_files(app) == files_before
            pd.testing.assert_frame_equal(storage.load_raw(owner, good.id).frame, good_frame)
            return
        assert text.startswith("Stored") and version == 4
        assert [d.id for d in storage.list_datasets(owner)] == [active, good.id]
        info = storage.get_dataset(owner, active)
        assert (info.shape, info.rows, info.customers, info.products) == (
            expected.shape,
            expected.rows,
            expected.customers,
            expected.products,
        )
        assert_figures(results.prepared(owner, active), expected)  # as the pages see it
        check_segments_page(expected, active)
        check_rules_page(expected, active)


def check_segments_page(expected: Accepted, active: int) -> None:
    """K segments of every customer, or the clear message the corpus expects."""
    settings = {"features": list(expected.features), "k": ANALYSIS_K, "scale": True}
    *charts, message = segment_charts(settings, *expected.features[:2], None, active)
    if expected.segment_error:
        assert expected.segment_error in text_of(message)
        assert_plain_sentence(text_of(message))
        return
    _scatter, pie, profiles, *_ = charts
    assert len(pie.data[0].values) == ANALYSIS_K
    assert sum(row["size"] for row in profiles) == expected.customers


def check_rules_page(expected: Accepted, active: int) -> None:
    """The product filter, then rules (maybe none at these thresholds) or the clear message."""
    settings = {"features": list(expected.features), "k": ANALYSIS_K, "scale": True}
    *_, _baskets, message = rules.init_rules(None, active, None)
    # Opening the page computes nothing, so it fails at nothing: a segmentation that
    # cannot be made is said by the mining job, below.
    assert message is None
    with any_group_size():  # the corpus's tables hold a few customers each
        rows, _sentences, _scatter, message = rules_view(
            THRESHOLDS, "customer", True, None, "any", -1, settings, active
        )
    wanted = expected.rules_error or expected.segment_error
    if wanted:
        assert wanted in text_of(message) and rows == []
        assert_plain_sentence(text_of(message))
    else:
        assert message is None or "danger" not in str(message)


# --- the command line ------------------------------------------------------------------------


@pytest.mark.parametrize("case", case_params())
def test_cli(case: Case, corpus_files, tmp_path, capsys):
    out = tmp_path / "out"
    path = corpus_files[case.name]
    code = main(["analyze", str(path), *CLI_OPTIONS, "--out", str(out)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    expected = case.expected
    refusal = expected.message if isinstance(expected, Refused) else expected.segment_error
    if refusal:
        assert code == 2
        assert captured.err.startswith("error: ") and captured.err.count("\n") == 1
        assert refusal in captured.err
        assert_plain_sentence(captured.err.removeprefix("error: ").strip())
        assert not out.exists()
        return
    assert code == 0 and captured.err == ""
    check_cli_results(out, expected, captured.out)


def check_cli_results(out: Path, expected: Accepted, printed: str) -> None:
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["shape"], summary["customers"], summary["products"]) == (
        expected.shape,
        expected.customers,
        expected.products,
    )
    assert summary["cleaning"]["rows_read"] == expected.rows
    assert {r: n for r, n in summary["cleaning"]["dropped"].items() if n} == expected.dropped
    assert summary["features"] == list(expected.features) and summary["k"] == ANALYSIS_K
    segments = pd.read_csv(out / "segments.csv", dtype={"customer": str}).set_index("customer")
    assert len(segments) == expected.customers
    for customer, values in expected.customer_values.items():
        assert segments.loc[customer, list(values)].to_dict() == values
    if expected.rules_error:
        assert summary["rules"] == 0
        assert any(expected.rules_error in note for note in summary["notes"])
        assert expected.rules_error in printed
    if expected.product_names is not None and len(expected.product_names) < 10:
        top = pd.read_csv(out / "top_products.csv", keep_default_na=False)
        # The command line writes data verbatim; only the dashboard's downloads are
        # neutralised for spreadsheets (tests/test_callbacks.py).
        assert set(top["product"]) == expected.product_names


def analyze_in_a_process(path: Path, out: Path, **options) -> subprocess.CompletedProcess:
    """``python -m basket_segments.cli analyze PATH --k 3 --out OUT``, as a user runs it."""
    command = [sys.executable, "-m", "basket_segments.cli", "analyze", str(path)]
    return subprocess.run(
        [*command, *CLI_OPTIONS, "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        **options,
    )


@pytest.mark.parametrize("case", case_params(SUBPROCESS_CASES))
def test_cli_entry_point_prints_no_traceback(case: Case, corpus_files, tmp_path):
    out = tmp_path / "out"
    run = analyze_in_a_process(corpus_files[case.name], out)
    refusal = getattr(case.expected, "message", None) or case.expected.segment_error
    assert run.returncode == 2
    assert "Traceback" not in run.stderr and run.stderr.count("\n") == 1
    assert refusal in run.stderr
    assert not out.exists()


#: The address-space limit of many shared and batch hosts (``ulimit -v 2097152``).
ADDRESS_SPACE = 2 * 2**30


def limit_address_space() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


@pytest.mark.address_space
@pytest.mark.parametrize("case", case_params())
def test_cli_under_an_address_space_limit(case: Case, corpus_files, tmp_path):
    """Under ``ulimit -v 2097152`` the command line makes of every file what it makes of
    it without the limit (once: a traceback from loading scikit-learn's libraries, or a
    hang). A CI step of its own runs these (``-m address_space``)."""
    out = tmp_path / "out"
    path = corpus_files[case.name]
    run = analyze_in_a_process(path, out, timeout=300, preexec_fn=limit_address_space)
    assert "Traceback" not in run.stderr + run.stdout, run.stderr
    expected = case.expected
    refusal = expected.message if isinstance(expected, Refused) else expected.segment_error
    if refusal:
        assert run.returncode == 2 and refusal in run.stderr, run.stderr
        assert_plain_sentence(run.stderr.removeprefix("error: ").strip())
        return
    assert run.returncode == 0 and run.stderr == "", run.stderr
    check_cli_results(out, expected, run.stdout)


def segment_failing_with(error: BaseException, monkeypatch, folder: Path) -> list[str]:
    """The command line's arguments for a small file whose segmenting raises ``error``."""

    def fail(*_args, **_kwargs):
        raise error

    monkeypatch.setattr("basket_segments.analytics.local.segment_customers", fail)
    path = folder / "shop.csv"
    path.write_text(table_text(shop_rows()))
    return ["analyze", str(path), "--k", "3", "--out", str(folder / "out")]


@pytest.mark.parametrize(
    "error",
    [
        ImportError("libgfortran.so.5: failed to map segment from shared object"),
        OSError(errno.ENOMEM, "Cannot allocate memory"),
        MemoryError(),
    ],
    ids=["library not mapped", "no memory for the system", "MemoryError"],
)
def test_cli_out_of_address_space_says_so(error, monkeypatch, tmp_path, capsys):
    """Wherever the address space runs out (loading a library, a system call, an
    allocation), the command line ends with one sentence that names memory."""
    assert main(segment_failing_with(error, monkeypatch, tmp_path)) == 2
    error_text = capsys.readouterr().err
    assert error_text.startswith("error: not enough memory") and error_text.count("\n") == 1


def test_cli_other_import_errors_are_not_called_memory(monkeypatch, tmp_path):
    """A missing module is a broken installation, not a lack of memory: it is not hidden."""
    missing = ImportError("No module named 'sklearn'")
    with pytest.raises(ImportError):
        main(segment_failing_with(missing, monkeypatch, tmp_path))


def test_the_command_line_reserves_less_under_a_limit():
    """Under a limit the command line takes pyarrow's memory from jemalloc (mimalloc
    reserves a gigabyte at once); without one it changes nothing."""
    from basket_segments.cli.memory import fit_to_address_space

    environ: dict[str, str] = {}
    limited = subprocess.run(
        [sys.executable, "-c", FIT_CHECK],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        preexec_fn=limit_address_space,
    )
    assert limited.stdout.split() == ["True", "jemalloc"]
    if resource.getrlimit(resource.RLIMIT_AS)[0] == resource.RLIM_INFINITY:
        assert fit_to_address_space(environ) is False and environ == {}


FIT_CHECK = """
from basket_segments.cli.memory import fit_to_address_space
fitted = fit_to_address_space()
import pyarrow
print(fitted, pyarrow.default_memory_pool().backend_name)
"""


def test_cli_out_of_memory(monkeypatch, tmp_path, capsys):
    """The command line has no size limit; a file too big for memory ends in one sentence."""

    def too_big(*_args, **_kwargs):
        raise MemoryError

    monkeypatch.setattr("basket_segments.analytics.local.read_source", too_big)
    path = tmp_path / "huge.csv"
    path.write_text(table_text(shop_rows()))
    assert main(["analyze", str(path), "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: not enough memory") and error.count("\n") == 1
    assert_plain_sentence(error.removeprefix("error: ").strip())


# --- the upload route of a live server, under an address-space limit -----------------------


def shown_text(tree) -> str:
    """The text of a component tree as Dash sends it (JSON)."""
    if isinstance(tree, str | int | float):
        return str(tree)
    if isinstance(tree, list):
        return " ".join(shown_text(child) for child in tree)
    if isinstance(tree, dict):
        return shown_text(tree.get("props", {}).get("children", tree.get("children")) or "")
    return ""


@pytest.mark.address_space
def test_every_file_through_a_live_servers_upload_route_under_an_address_space_limit(
    corpus_files, tmp_path
):
    """gunicorn under ``ulimit -v 2097152``: each file of the corpus, bombs included, is
    stored or refused with one sentence, and no worker crashes or is restarted."""
    from bench.dash_client import DashError, DashUser
    from bench.live_server import LiveServer
    from tests.conftest import database_url

    env = {"BASKET_SEGMENTS_DATABASE_URL": database_url(tmp_path)}  # the default limits
    with LiveServer(
        tmp_path / "instance", workers=1, threads=4, env=env, address_space=ADDRESS_SPACE
    ) as server:
        workers = server.worker_pids()
        ana = DashUser(server.url, "ana")
        ana.signup()
        for case in CASES:
            expected = case.upload_expected
            try:
                ana.upload(case.filename, corpus_files[case.name].read_bytes())
                stored, text = True, ""
            except DashError:
                stored = False
                text = shown_text(ana.prop(ids.DATA_MESSAGE, "children"))
            if case.upload_limit_mb is None and isinstance(expected, Accepted):
                assert stored, f"{case.name}: {text}"
                continue
            if stored:  # refused only under its own smaller upload limit, accepted under 50 MB
                assert case.upload_limit_mb is not None, case.name
                continue
            assert_plain_sentence(text)
            if case.upload_limit_mb is None:
                assert expected.message in text, f"{case.name}: {text}"
        assert server.worker_pids() == workers  # none died and was replaced
        log = server.log()
    assert "Traceback" not in log and "SIGKILL" not in log, log
