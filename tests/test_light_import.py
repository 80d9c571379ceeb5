"""A host that imports the dashboard and mounts it loads none of the analytics libraries.

They load at the first dashboard request or job; a host pays nothing for them on a
``flask`` command or a worker start (issue 22). A fresh interpreter, since this
one has long imported them.
"""

import json
import subprocess
import sys

from bench.import_time import HEAVY, HOST_INIT
from tests.conftest import REPO


def test_importing_and_mounting_the_dashboard_loads_no_analytics_library(tmp_path):
    run = subprocess.run(
        [sys.executable, "-c", HOST_INIT, str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert set(HEAVY) == {"pandas", "pyarrow", "scipy", "sklearn"}
    assert json.loads(run.stdout) == []
