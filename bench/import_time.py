"""What a host pays to import the dashboard and mount it: wall time and the heavy modules.

Each run is a fresh interpreter that imports Flask and flask-login, builds a
minimal site with a ``LoginManager`` and calls ``init_dashboard`` on it, as a
host's factory does on every worker start and every ``flask`` command. The
report gives the median wall time of the runs, the import time ``python -X
importtime`` attributes to ``basket_segments`` and to Dash, and which heavy
libraries were loaded by then.

    python bench/import_time.py --repeat 7
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: Libraries that load at the first dashboard request or job, never at import or init.
HEAVY = ("pandas", "pyarrow", "scipy", "sklearn")
#: A host's factory, reduced to what mounting the dashboard needs; prints the heavy
#: libraries loaded by the end (argv[1]: the instance folder).
HOST_INIT = f"""
import json, sys
import flask, flask_login
from basket_segments import init_dashboard

app = flask.Flask("host", instance_path=sys.argv[1])
app.config["SECRET_KEY"] = "host secret"
flask_login.LoginManager(app)
init_dashboard(app, url_base_pathname="/analytics/")
print(json.dumps([name for name in {HEAVY!r} if name in sys.modules]))
"""


def run_host(*options: str) -> tuple[float, str, str]:
    """One fresh interpreter running ``HOST_INIT``: (seconds, stdout, stderr)."""
    with tempfile.TemporaryDirectory() as instance:
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, *options, "-c", HOST_INIT, instance],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        return time.perf_counter() - start, done.stdout, done.stderr


def self_ms_by_package(importtime: str) -> dict[str, float]:
    """Milliseconds ``-X importtime`` spent in each top-level package's own modules.

    >>> self_ms_by_package("import time:       223 |      82749 |   flask.app\\n"
    ...                    "import time:      1000 |       1000 | flask")
    {'flask': 1.223}
    """
    totals: dict[str, float] = {}
    for line in importtime.splitlines():
        parts = [part.strip() for part in line.removeprefix("import time:").split("|")]
        if len(parts) == 3 and parts[0].isdigit():
            package = parts[2].split(".")[0]
            totals[package] = round(totals.get(package, 0.0) + int(parts[0]) / 1000, 3)
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    walls = [run_host()[0] for _ in range(args.repeat)]
    _, loaded, importtime = run_host("-X", "importtime")
    packages = self_ms_by_package(importtime)
    report = {
        "wall_s_median": round(statistics.median(walls), 2),
        "wall_s": [round(wall, 2) for wall in walls],
        "importtime_ms": round(sum(packages.values())),
        "importtime_ms_by_package": dict(sorted(packages.items(), key=lambda kv: -kv[1])[:10]),
        "heavy_loaded": json.loads(loaded),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
