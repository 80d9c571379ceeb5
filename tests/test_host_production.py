"""The example host deployed as README's "Running inside your site in production" says.

The installed host (its own venv, the dashboard's wheel with the ``production``
and ``celery`` extras) runs under gunicorn with two workers, its jobs on
Celery with a Redis broker, and a Celery worker started from the host's own
``worker.py``. A member signs in through the host's form and segments and mines
through the dashboard's callbacks, as the browser would: every job runs in the
Celery worker, and every answer comes from whichever gunicorn worker takes it.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from basket_segments.analytics.sample import generate_sample
from bench.dash_client import DashUser
from tests.host_site import (
    MEMBER,
    MEMBER_PASSWORD,
    PIP_TIMEOUT,
    REPO,
    InstalledHost,
    gunicorn,
    pip_install,
    serve,
    sign_in,
    start,
    stop,
)

pytestmark = pytest.mark.skipif(
    not shutil.which("redis-server") and not os.environ.get("CI"),
    reason="redis-server is not installed (apt-get install redis-server)",
)

CUSTOMERS = 300
#: A task's line in the worker's log (``-l info``): its name and that it succeeded.
TASK_DONE = re.compile(r"Task (\w+)\[[\w-]+\] succeeded")
WORKER_START_TIMEOUT = 120


@pytest.fixture(scope="module")
def production_host(installed_host: InstalledHost) -> InstalledHost:
    """The installed host with the dashboard's ``production`` and ``celery`` extras."""
    wheel = f"{installed_host.wheel}[production,celery]"
    python = installed_host.command("python")
    installed_host.run(*pip_install(python), wheel, timeout=PIP_TIMEOUT)
    return installed_host


@pytest.fixture
def deployed(production_host, redis_url, tmp_path) -> InstalledHost:
    """The host in an instance folder of this test's own, configured for Celery by the
    environment (as a deployment sets it), with its member added by its CLI."""
    host = dataclasses.replace(
        production_host,
        instance=tmp_path / "instance",
        settings={
            "BASKET_SEGMENTS_BACKGROUND_MANAGER": "celery",
            "BASKET_SEGMENTS_CELERY_BROKER_URL": redis_url,
        },
    )
    host.run(host.command("flask"), "--app", "app", "add-user", MEMBER, MEMBER_PASSWORD)
    return host


@pytest.fixture
def celery_worker(deployed, tmp_path) -> Iterator[Path]:
    """``celery -A worker worker`` from the host's folder, as README says; its log."""
    log = tmp_path / "worker.log"
    command = [deployed.command("celery"), "-A", "worker", "worker", "--concurrency", "2"]
    process = start(deployed, [*command, "-l", "info"], log)
    try:
        deadline = time.monotonic() + WORKER_START_TIMEOUT
        while " ready." not in log.read_text():
            assert process.poll() is None, f"the worker exited:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"the worker never got ready:\n{log.read_text()}"
            time.sleep(0.2)
        yield log
        assert process.poll() is None, f"the worker died:\n{log.read_text()}"
    finally:
        stop(process)


def test_gunicorn_with_two_workers_and_celery_segments_and_mines(deployed, celery_worker, tmp_path):
    with serve(deployed, tmp_path / "server.log", command=gunicorn) as url:
        member = DashUser(url, MEMBER, MEMBER_PASSWORD, prefix="/analytics/")
        sign_in(url, session=member)
        member.load_page("")
        table = generate_sample(CUSTOMERS, seed=5).to_csv(index=False).encode()
        member.upload("shop.csv", table)
        segments = member.segment(k=3)
        rules = member.mine_rules()

    assert segments.job is not None and not segments.stored
    assert sum(row["size"] for row in segments.profiles) == CUSTOMERS
    assert rules.job is not None and rules.table
    assert {"antecedent", "consequent"} <= set(rules.table[0])
    done = TASK_DONE.findall(celery_worker.read_text())
    assert len(done) >= 3, celery_worker.read_text()  # reading, segmenting, mining at least


def test_the_readmes_worker_module_is_the_example_hosts():
    """README's production section shows the worker module the test above runs."""
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("### Running inside your site in production") :]
    block = re.search(r"( *)```python\n *# worker\.py[^\n]*\n(.*?)```", section, re.DOTALL)
    shown = textwrap.dedent(block.group(2))
    example = (REPO / "examples" / "host_site" / "worker.py").read_text()
    code = example[example.index('"""', 3) + 3 :].strip()
    assert shown.strip() == code
