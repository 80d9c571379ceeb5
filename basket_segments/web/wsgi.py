"""The WSGI entry point for production servers: ``gunicorn basket_segments.web.wsgi:app``.

Configuration comes from the environment (``INSTANCE_PATH``, ``DATABASE_URL``,
``FLASK_*``), as in ``python -m basket_segments``; every worker process builds
the same app and shares the database and data folder, so no worker keeps
per-user state.

The workers start at the same moment, and on a fresh instance each would
create the database tables: two creating one table at once fail ("table
already exists") and gunicorn then stops the whole server. So they build the
app one at a time, under a lock file in the instance folder. Under an
address-space limit (``ulimit -v``, common on shared hosts) the process first
fits itself to it, as the command line does (``cli/memory.py``).
"""

import fcntl

from basket_segments.cli.memory import fit_to_address_space

fit_to_address_space()  # before pyarrow loads: under `ulimit -v` it must reserve less

from flask import Flask  # noqa: E402

from basket_segments.app import create_app, instance_path  # noqa: E402
from basket_segments.web.warm_up import warm_up_server  # noqa: E402


def build_app() -> Flask:
    """``create_app()``, once at a time among the processes sharing the instance folder."""
    instance = instance_path()
    instance.mkdir(parents=True, exist_ok=True)
    with open(instance / ".startup.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        return create_app()


app = build_app()
# Serving segments soon: scikit-learn's import (a second of CPU) starts now, beside the
# first requests, instead of in the first user's first segmentation; then the start's
# objects leave the garbage collector's passes (``warm_up``).
warm_up_server()
