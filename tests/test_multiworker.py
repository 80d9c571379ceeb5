"""Real gunicorn servers (``bench/dash_client.py``): no worker process keeps per-user state.

Everything a user has (account, session key, datasets, results, background
jobs) lives in the instance folder, so two servers on one folder, or the
workers of one server, answer alike. Each test starts gunicorn, so each takes
a few seconds.
"""

from __future__ import annotations

import re
import socket
import time

import psutil

from basket_segments import ids
from basket_segments.analytics.sample import generate_sample
from bench.dash_client import DashUser, LiveServer
from tests.conftest import database_url


def sample_csv(customers: int, seed: int) -> bytes:
    return generate_sample(customers, seed=seed, dated=False).to_csv(index=False).encode()


def test_a_second_server_on_the_same_instance_answers_from_storage(tmp_path):
    instance = tmp_path / "instance"
    database = {"BASKET_SEGMENTS_DATABASE_URL": database_url(tmp_path)}
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


def hold_connection(server: LiveServer, path: str, held: set[int]) -> tuple[socket.socket, int]:
    """Open a connection, send half a request, and wait until a worker holds it.

    With ``--worker-connections=1`` a worker holding one connection accepts no
    other, so connections held at once go to different workers: which worker
    serves what no longer depends on the machine's scheduling.
    """
    connection = socket.create_connection(("127.0.0.1", server.port), timeout=60)
    connection.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode())
    port = connection.getsockname()[1]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for pid in set(server.worker_pids()) - held:
            peers = {c.raddr.port for c in psutil.Process(pid).net_connections("tcp") if c.raddr}
            if port in peers:
                return connection, pid
        time.sleep(0.05)
    raise TimeoutError(f"No free worker took the connection from port {port}.")


def finish_request(connection: socket.socket, cookie: str) -> tuple[int, bytes]:
    """Send the rest of a held request with the session cookie; the status and body."""
    connection.sendall(f"Cookie: {cookie}\r\nConnection: close\r\n\r\n".encode())
    answer = b""
    while chunk := connection.recv(65536):
        answer += chunk
    connection.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def test_the_workers_of_a_fresh_instance_share_one_session_key(tmp_path):
    instance, access = tmp_path / "instance", tmp_path / "access.log"
    server = LiveServer(
        instance,
        workers=3,
        # The workers make the key themselves, at once.
        env={
            "BASKET_SEGMENTS_SECRET_KEY": None,
            "BASKET_SEGMENTS_DATABASE_URL": database_url(tmp_path),
        },
        extra_args=[
            "--worker-connections=1",  # one client per worker at a time (hold_connection)
            f"--access-logfile={access}",
            "--access-logformat=%(p)s %(s)s %(U)s",
        ],
    )
    with server:
        ana = DashUser(server.url, "ana", poll_interval=0.1, keep_alive=False)
        ana.signup()  # on one worker; its session cookie must open the layout on all three
        cookie = "; ".join(f"{name}={value}" for name, value in ana.cookies.items())
        held: dict[int, socket.socket] = {}
        for _ in range(3):
            connection, pid = hold_connection(server, "/analytics/_dash-layout", set(held))
            held[pid] = connection
        answers = {pid: finish_request(connection, cookie) for pid, connection in held.items()}
        ana.upload("shop.csv", sample_csv(200, seed=2))
        run = ana.segment(k=3)  # a job started by one worker, polled through the others
        workers = server.worker_pids()

    assert sorted(answers) == workers
    for status, body in answers.values():
        assert status == 200 and ids.PAGE.encode() in body
    assert run.job is not None and sum(row["size"] for row in run.profiles) == 200
    served = re.findall(r"^<(\d+)> (\d+) (\S+)$", access.read_text(), flags=re.MULTILINE)
    assert {status for _, status, _ in served} <= {"200", "204", "302"}
    layouts = {int(pid) for pid, _, path in served if path.endswith("_dash-layout")}
    assert layouts == set(workers)
    assert len((instance / "secret_key").read_text().strip()) == 64
