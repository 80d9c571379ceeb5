"""The suite lists the tests that reach a database, and CI runs only those again on PostgreSQL.

``tests/conftest.py`` notes every test that calls ``database_url`` or takes a database
connection (an app a module shares was made by another test); with
``DATABASE_TESTS_FILE`` set, a run on SQLite writes their node ids there and a run on
PostgreSQL keeps only them (``.ci/run``).
"""

import json
import os
import subprocess
import sys
from types import SimpleNamespace

import pytest
import sqlalchemy

from tests import conftest

#: Set in the child run below, so that it does not start another.
CHILD = "BASKET_SEGMENTS_DATABASE_TESTS_CHILD"


def test_a_test_that_asks_for_a_database_is_listed(request, tmp_path):
    conftest.database_url(tmp_path)
    assert request.node.nodeid in conftest._database_tests


@pytest.fixture(scope="module")
def shared_engine(tmp_path_factory):
    """A database made once for the module, as a module's shared app is."""
    engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path_factory.mktemp('shared')}/shared.db")
    yield engine
    engine.dispose()


def test_a_test_that_uses_a_database_made_before_it_is_listed(request, shared_engine):
    with shared_engine.connect() as connection:
        connection.execute(sqlalchemy.text("SELECT 1"))
    assert request.node.nodeid in conftest._database_tests


def test_a_test_without_a_database_is_not_listed(request):
    assert request.node.nodeid not in conftest._database_tests


def test_only_the_listed_tests_are_kept_in_their_order():
    items = [SimpleNamespace(nodeid=name) for name in ("a.py::x", "a.py::y", "b.py::z[1]")]
    kept, dropped = conftest.database_tests_only(items, {"b.py::z[1]", "a.py::x", "c.py::w"})
    assert [item.nodeid for item in kept] == ["a.py::x", "b.py::z[1]"]
    assert [item.nodeid for item in dropped] == ["a.py::y"]


def test_a_run_on_sqlite_writes_exactly_the_tests_that_asked(tmp_path):
    if os.environ.get(CHILD):
        return  # the child run below: only the two tests it names matter there
    listed = tmp_path / "database-tests.json"
    module = "tests/test_database_tests.py"
    names = [
        f"{module}::test_a_test_that_asks_for_a_database_is_listed",
        f"{module}::test_a_test_that_uses_a_database_made_before_it_is_listed",
        f"{module}::test_a_test_without_a_database_is_not_listed",
    ]
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update({conftest.DATABASE_TESTS: str(listed), CHILD: "1"})
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=", *names],
        cwd=conftest.REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert json.loads(listed.read_text()) == names[:2]
