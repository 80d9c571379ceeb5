"""Request bodies bounded before anything reads them (``web/limits.py``).

Flask-WTF's CSRF check runs first among the request hooks and parses the whole
form: a 300 MB multipart body to ``/login`` once went to ``/tmp`` (+300 MB) and a
200 MB urlencoded one took 597 MB of memory, before the 400. Here such bodies
are sent, as an anonymous visitor, to a real gunicorn server whose temporary
folder is watched.
"""

import contextlib
import socket
import time
from pathlib import Path

import psutil
import pytest

from bench.live_server import LiveServer
from tests.conftest import database_url

MB = 2**20
BLOCK = b"x" * MB


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def send_body(port: int, path: str, headers: dict[str, str], megabytes: int) -> tuple[int, int]:
    """POST ``megabytes`` of body (declared or chunked) and return the status the server
    answers and how many MB it took before answering."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as connection:
        head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n" + "".join(
            f"{name}: {value}\r\n" for name, value in headers.items()
        )
        connection.sendall((head + "\r\n").encode())
        chunked = headers.get("Transfer-Encoding") == "chunked"
        sent = 0
        connection.settimeout(0.05)
        answer = b""
        payload = f"{MB:x}\r\n".encode() + BLOCK + b"\r\n" if chunked else BLOCK
        try:
            while sent < megabytes and not answer:
                connection.sendall(payload)
                sent += 1
                with contextlib.suppress(TimeoutError):
                    answer += connection.recv(4096)
        except (BrokenPipeError, ConnectionResetError):
            pass
        connection.settimeout(30)
        while b"\r\n" not in answer:
            more = connection.recv(4096)
            if not more:
                break
            answer += more
    return int(answer.split(b" ", 2)[1]), sent


def memory_of(server: LiveServer) -> int:
    return sum(psutil.Process(pid).memory_info().rss for pid in server.worker_pids())


@pytest.fixture
def server(tmp_path):
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {"BASKET_SEGMENTS_DATABASE_URL": database_url(tmp_path), "TMPDIR": str(temporary)}
    with LiveServer(tmp_path / "instance", workers=1, env=env) as live:
        live.temporary = temporary
        yield live


@pytest.mark.parametrize(
    ("path", "content_type", "megabytes", "declared_status", "chunked_status"),
    [
        ("/login", "multipart/form-data; boundary=x", 300, 413, 413),
        ("/signup", "multipart/form-data; boundary=x", 300, 413, 413),
        ("/login", "application/x-www-form-urlencoded", 200, 413, 413),
        ("/analytics/upload", "multipart/form-data; boundary=x", 300, 415, 415),
        # Over the upload limit, or (in chunks) by the login guard, which answers an
        # anonymous request before the CSRF check: refused unread.
        ("/analytics/upload", "application/octet-stream", 300, 413, 401),
        ("/analytics/_dash-update-component", "application/json", 300, 413, 401),
    ],
)
def test_an_anonymous_huge_body_is_refused_unread(
    server, path, content_type, megabytes, declared_status, chunked_status
):
    before_files, before_memory = folder_bytes(server.temporary), memory_of(server)
    declared = {"Content-Type": content_type, "Content-Length": str(megabytes * MB)}
    status, sent = send_body(server.port, path, declared, megabytes)
    assert status == declared_status and sent < 10  # answered after a few MB at most
    chunked = {"Content-Type": content_type, "Transfer-Encoding": "chunked"}
    status, sent = send_body(server.port, path, chunked, megabytes)
    assert status == chunked_status and sent < 10
    time.sleep(0.2)
    assert folder_bytes(server.temporary) == before_files == 0
    assert memory_of(server) - before_memory < 50 * MB


def chunks(size: int, block: int = 64 * 1024):
    """A body sent in chunks (no Content-Length), as ``requests`` sends a generator."""
    for start in range(0, size, block):
        yield b"y" * min(block, size - start)


def test_parallel_chunked_uploads_store_at_most_the_quota(tmp_path):
    """Before: 8 parallel chunked uploads with a 5 MB quota and 1.96 MB used stored 7.66 MB
    (3 accepted): the quota was checked against the declared size, which they had none of."""
    from concurrent.futures import ThreadPoolExecutor
    from urllib.parse import quote

    import requests

    from basket_segments.web.auth import CSRF_COOKIE
    from basket_segments.web.uploads import FILENAME_HEADER
    from bench.dash_client import DashUser

    quota, used, each = 5 * MB, int(1.96 * MB), int(1.9 * MB)
    env = {
        "BASKET_SEGMENTS_DATABASE_URL": database_url(tmp_path),
        "BASKET_SEGMENTS_USER_QUOTA_MB": "5",
    }
    data = tmp_path / "instance" / "data"
    with LiveServer(tmp_path / "instance", workers=2, threads=4, env=env) as live:
        ana = DashUser(live.url, "ana")
        ana.signup()
        ana.go_to("")
        token = next(c.value for c in ana.cookies if c.name == CSRF_COOKIE)
        headers = {"X-CSRFToken": token, FILENAME_HEADER: quote("big.csv")}
        url = f"{live.url}/analytics/upload"

        def upload(size: int) -> int:
            with requests.Session() as browser:
                browser.cookies.update(ana.cookies)
                return browser.post(url, data=chunks(size), headers=headers, timeout=60).status_code

        assert upload(used) == 200
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(upload, [each] * 8))
        stored = folder_bytes(data)
    assert stored <= quota, f"{stored / MB:.2f} MB stored: {statuses}"
    assert statuses.count(200) == (quota - used) // each == 1
    assert sorted(set(statuses)) == [200, 400]
