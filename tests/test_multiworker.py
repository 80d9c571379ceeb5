"""Real gunicorn servers (``bench/dash_client.py``): no worker process keeps per-user state.

Everything a user has (account, session key, datasets, results, background
jobs) lives in the instance folder, so two servers on one folder, or the
workers of one server, answer alike. Each test starts gunicorn, so each takes
a few seconds.
"""

from __future__ import annotations

import re

from basket_segments import ids
from basket_segments.analytics.sample import generate_sample
from bench.dash_client import DashUser, LiveServer
from tests.conftest import database_url


def sample_csv(customers: int, seed: int) -> bytes:
    return generate_sample(customers, seed=seed).to_csv(index=False).encode()


def test_a_second_server_on_the_same_instance_answers_from_storage(tmp_path):
    instance = tmp_path / "instance"
    database = {"DATABASE_URL": database_url(tmp_path)}
    with LiveServer(instance, env=database) as first, LiveServer(instance, env=database) as second:
        ana = DashUser(first.url, "ana", poll_interval=0.1)
        ana.signup()
        dataset = ana.upload("shop.csv", sample_csv(300, seed=1)).get(ids.ACTIVE_DATASET, "data")
        computed = ana.segment(k=3)
        assert not computed.stored and computed.job is not None

        elsewhere = DashUser(second.url, "ana")
        elsewhere.login()
        assert elsewhere.list_datasets() == ana.list_datasets() == [dataset]
        elsewhere.open_dataset(dataset)
        shown = elsewhere.segment(k=3)

    assert shown.stored and shown.job is None
    assert shown.profiles == computed.profiles
    assert sum(row["size"] for row in shown.profiles) == 300


def test_the_workers_of_a_fresh_instance_share_one_session_key(tmp_path):
    instance, access = tmp_path / "instance", tmp_path / "access.log"
    server = LiveServer(
        instance,
        workers=3,
        # The workers make the key themselves, at once.
        env={"FLASK_SECRET_KEY": None, "DATABASE_URL": database_url(tmp_path)},
        extra_args=[f"--access-logfile={access}", "--access-logformat=%(p)s %(s)s %(U)s"],
    )
    with server:
        ana = DashUser(server.url, "ana", poll_interval=0.1, keep_alive=False)
        ana.signup()  # without keep-alive, each request may go to any worker
        logged_in = [ana.is_logged_in() for _ in range(40)]
        ana.upload("shop.csv", sample_csv(200, seed=2))
        run = ana.segment(k=3)  # a job started by one worker, polled through the others
        workers = server.worker_pids()

    assert all(logged_in)
    assert run.job is not None and sum(row["size"] for row in run.profiles) == 200
    served = re.findall(r"^<(\d+)> (\d+) (\S+)$", access.read_text(), flags=re.MULTILINE)
    assert {status for _, status, _ in served} <= {"200", "204", "302"}
    assert len({int(pid) for pid, _, path in served if path.endswith("_dash-layout")}) > 1
    assert {int(pid) for pid, _, _ in served} <= set(workers)
    assert len((instance / "secret_key").read_text().strip()) == 64
