"""``python -m basket_segments``: the standalone dashboard on a production WSGI server.

gunicorn where it runs (POSIX), with ``--workers`` processes of ``--threads``
request threads each (gthread workers, so a worker answers progress polls
while a job runs); waitress elsewhere (pure Python, Windows included), with
``workers x threads`` threads in one process. Neither names its version in a
header. Beside them, job processes run the analyses (``web/job_process.py``), unless
``--no-job-processes``. Flask's development server, with its reloader and debugger, only with
``--debug``, and only on this machine's own address. Configuration comes from
the environment as documented in the README (``INSTANCE_PATH``,
``DATABASE_URL``, ``FLASK_*``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from basket_segments.cli.memory import fit_to_address_space

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8050
#: The WSGI application every worker builds (``create_app`` with the environment).
APP = "basket_segments.web.wsgi:app"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m basket_segments",
        description="Serve the Basket Segments dashboard (sign up on the first visit).",
    )
    parser.add_argument(
        "--host", default=DEFAULT_HOST, help="address to listen on (default: %(default)s)"
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="port (default: %(default)s)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="server processes (gunicorn; waitress: multiplies --threads) (default: %(default)s)",
    )
    parser.add_argument(
        "--threads", type=int, default=4, help="request threads per process (default: %(default)s)"
    )
    parser.add_argument(
        "--job-processes",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run analyses in job processes beside the server's (one per gunicorn worker, "
        "one for waitress), away from the threads that answer clicks (default: yes)",
    )
    parser.add_argument(
        "--server",
        choices=("auto", "gunicorn", "waitress"),
        default="auto",
        help="the WSGI server: gunicorn where it runs, else waitress (default: %(default)s)",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        help="Flask's development server with its debugger and reloader (never in production)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    fit_to_address_space()  # under `ulimit -v`, before pyarrow loads (cli/memory.py)
    if args.workers < 1 or args.threads < 1:
        build_parser().error("--workers and --threads must be at least 1")
    if args.debug:
        return _debug(args)
    server = choose_server(args.server)
    print(
        f"Basket Segments on http://{args.host}:{args.port}/ ({server}, "
        f"{args.workers} x {args.threads} threads); Ctrl+C stops it.",
        flush=True,
    )
    if server == "gunicorn":
        return _gunicorn(args)
    return _waitress(args)


def choose_server(asked: str) -> str:
    """gunicorn if asked or (``auto``) where it can run; waitress otherwise."""
    if asked != "auto":
        return asked
    if os.name == "posix":
        try:
            import gunicorn  # noqa: F401
        except ImportError:
            return "waitress"
        return "gunicorn"
    return "waitress"


def _gunicorn(args: argparse.Namespace) -> int:
    from gunicorn.app.base import BaseApplication

    options = {
        "bind": f"{args.host}:{args.port}",
        "workers": args.workers,
        "threads": args.threads,
        "worker_class": "gthread",
        "timeout": 120,
    }
    if args.job_processes:
        from basket_segments.web import job_process

        options.update(
            on_starting=job_process.on_starting,
            post_worker_init=job_process.post_worker_init,
            worker_exit=job_process.worker_exit,
        )

    class Server(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            from basket_segments.web.wsgi import app

            return app

    Server().run()
    return 0


def _waitress(args: argparse.Namespace) -> int:
    from waitress import serve

    from basket_segments.app import create_app  # one process: no start-up race to lock
    from basket_segments.web import job_process
    from basket_segments.web.warm_up import warm_up_server

    # A job process builds the app as wsgi.py does, which locks a file the POSIX way.
    job_processes = args.job_processes and os.name == "posix"
    if job_processes:
        job_process.leave_jobs_to_job_processes()
    app = create_app()
    warm_up_server()  # as wsgi.py: before the first segmentation
    # ident: the Server header; waitress's default names it.
    threads = args.workers * args.threads
    keeper = job_process.Keeper() if job_processes else None
    try:
        serve(app, host=args.host, port=args.port, threads=threads, ident="")
    finally:
        if keeper is not None:
            keeper.stop()
    return 0


def _debug(args: argparse.Namespace) -> int:
    from basket_segments.app import create_app

    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print("error: --debug serves this machine only (its debugger runs code)", file=sys.stderr)
        return 2
    create_app().run(host=args.host, port=args.port, debug=True)
    return 0
