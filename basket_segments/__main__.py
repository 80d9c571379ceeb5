"""``python -m basket_segments``: the standalone dashboard on http://127.0.0.1:8050.

A production WSGI server (gunicorn, or waitress where gunicorn does not run) with
the embedded defaults (SQLite and files in the instance folder, the sample
dataset one click away); ``--help`` lists the options, ``--debug`` runs Flask's
development server instead. See ``web/serve.py``.
"""

import sys

from basket_segments.web.serve import main

if __name__ == "__main__":
    sys.exit(main())
