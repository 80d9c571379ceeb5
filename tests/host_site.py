"""examples/host_site in tests: imported in this process, or run as a real host would.

In this process its modules are imported from its folder and forgotten
afterwards. Run as a real host, the dashboard's wheel and the host's
requirements go into a fresh virtualenv (no system site-packages), and the
host runs from a copy outside the repository with ``PYTHONPATH`` cleared, so
nothing can import the repository's files by accident.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import requests

from basket_segments import ids
from bench.live_server import free_port

REPO = Path(__file__).resolve().parents[1]
HOST_SITE = REPO / "examples" / "host_site"
#: The host's own top-level modules, deliberately generic names.
HOST_MODULES = ("app", "auth", "config", "models", "storage")
MEMBER = "alice@acme.test"
MEMBER_PASSWORD = "host password 1"
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]* value="([^"]+)"')
#: Seconds for pip to build or install (dependencies come from the package index).
PIP_TIMEOUT = 900
START_TIMEOUT = 60


@contextmanager
def imported_host_site() -> Iterator[SimpleNamespace]:
    """The host's modules, imported from its folder as ``flask --app app`` does.

    Their names are generic (``app``, ``config``, ``storage``...), so afterwards
    they leave ``sys.modules`` and the folder leaves ``sys.path``: a later test
    importing such a name gets what it got before, never the host's.
    """
    saved = {name: sys.modules.pop(name) for name in HOST_MODULES if name in sys.modules}
    sys.path.insert(0, str(HOST_SITE))
    try:
        importlib.import_module("app")
        yield SimpleNamespace(**{name: sys.modules[name] for name in HOST_MODULES})
    finally:
        sys.path.remove(str(HOST_SITE))
        for name in HOST_MODULES:
            sys.modules.pop(name, None)
        sys.modules.update(saved)


@dataclass(frozen=True)
class InstalledHost:
    """A venv holding the dashboard's wheel, and the host's folder that runs in it."""

    wheel: Path
    venv: Path
    site_packages: Path
    site: Path
    instance: Path
    #: Environment variables the host runs with besides ``INSTANCE_PATH`` (its deployment's).
    settings: Mapping[str, str] = field(default_factory=dict)

    def command(self, name: str) -> str:
        return str(self.venv / "bin" / name)

    def env(self) -> dict[str, str]:
        """This environment without what could reach the repository or reconfigure the host."""
        dropped = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "DATABASE_URL"}
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in dropped and not key.startswith("FLASK_")
        }
        return env | {
            "INSTANCE_PATH": str(self.instance),
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            **self.settings,
        }

    def run(self, *args: str | Path, timeout: float = 120) -> str:
        """Run ``args`` in the host's folder; its output, or an assertion showing why it failed."""
        result = subprocess.run(
            [str(arg) for arg in args],
            cwd=self.site,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
        return result.stdout


def install(folder: Path) -> InstalledHost:
    """Build the wheel, make the venv, install the wheel and the host's requirements."""
    wheel = build_wheel(folder / "wheel")
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=PIP_TIMEOUT)
    python = str(venv / "bin" / "python")
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    site = shutil.copytree(
        HOST_SITE, folder / "host_site", ignore=shutil.ignore_patterns("__pycache__", "instance")
    )
    host = InstalledHost(wheel, venv, Path(purelib.strip()).resolve(), site, folder / "instance")
    host.run(*pip_install(python), wheel, "-r", "requirements.txt", timeout=PIP_TIMEOUT)
    return host


def pip_install(python: str) -> list[str]:
    """``pip install`` in a venv, quietly and without compiling every module it unpacks
    (thousands: plotly, pandas, scipy; about half of an install's CPU). The host
    compiles the modules it imports as it imports them, as any Python does."""
    return [python, "-m", "pip", "install", "-q", "--no-compile"]


def build_wheel(folder: Path) -> Path:
    """The repository's wheel, as ``pip wheel`` builds it (hatchling, isolated)."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "-q", "-w", str(folder)],
        check=True,
        timeout=PIP_TIMEOUT,
    )
    (wheel,) = folder.glob("basket_segments-*.whl")
    return wheel


def flask_run(host: InstalledHost, port: int) -> list[str]:
    """The development server, as the host's README starts it."""
    return [host.command("flask"), "--app", "app", "run", "--port", str(port)]


def gunicorn(host: InstalledHost, port: int, workers: int = 2) -> list[str]:
    """gunicorn with ``workers`` processes on the host's factory, as README's production
    section starts it."""
    return [
        host.command("gunicorn"),
        "--workers", str(workers),
        "--worker-class", "gthread",
        "--threads", "4",
        "--bind", f"127.0.0.1:{port}",
        "app:create_app()",
    ]  # fmt: skip


def start(host: InstalledHost, command: list[str], log: Path) -> subprocess.Popen:
    """``command`` in the host's folder and environment, in a process group of its own
    (``stop`` ends it and its children), its output in ``log``."""
    with log.open("w") as output:
        return subprocess.Popen(
            command,
            cwd=host.site,
            env=host.env(),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@contextmanager
def serve(
    host: InstalledHost,
    log: Path,
    command: Callable[[InstalledHost, int], list[str]] = flask_run,
) -> Iterator[str]:
    """The host under ``command`` on a free port; its process group is killed at the end."""
    port = free_port()
    process = start(host, command(host, port), log)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_up(url, process, log)
        yield url
    finally:
        stop(process)


def wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    """Return once the host's login page answers; fail with the server's log otherwise."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the host exited:\n{log.read_text()}"
        # Not listening yet, or a first answer slower than 5 s (a worker compiling the
        # modules it imports for the first time, on a busy machine).
        with suppress(requests.ConnectionError, requests.Timeout):
            if requests.get(f"{url}/auth/login", timeout=5).status_code == 200:
                return
        time.sleep(0.2)
    raise AssertionError(f"the host did not answer in {START_TIMEOUT} s:\n{log.read_text()}")


def stop(process: subprocess.Popen) -> None:
    """End the server and anything it started (background jobs share its process group)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)


def sign_in(url: str, session: requests.Session | None = None) -> requests.Session:
    """``session`` (default a new one) signed in as ``MEMBER`` through the host's form,
    CSRF token and all."""
    session = session or requests.Session()
    token = CSRF_INPUT.search(session.get(f"{url}/auth/login", timeout=10).text).group(1)
    response = session.post(
        f"{url}/auth/login?next=/analytics/",
        data={"csrf_token": token, "email": MEMBER, "password": MEMBER_PASSWORD},
        allow_redirects=False,
        timeout=10,
    )
    assert response.headers.get("Location") == "/analytics/", response.text
    return session


def user_name_request(pathname: str = "/analytics/") -> dict:
    """The body Dash's renderer posts to ask for the navbar's user name."""
    return {
        "output": f"{ids.USER_NAME}.children",
        "outputs": {"id": ids.USER_NAME, "property": "children"},
        "inputs": [{"id": ids.URL, "property": "pathname", "value": pathname}],
        "changedPropIds": [f"{ids.URL}.pathname"],
        "state": [],
    }
