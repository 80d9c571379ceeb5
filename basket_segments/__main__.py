"""``python -m basket_segments``: the standalone dashboard on http://127.0.0.1:8050.

Flask's development server with the embedded defaults (SQLite and files in the
instance folder, the sample dataset one click away); for production run
``gunicorn basket_segments.web.wsgi:app``.
"""

from basket_segments.app import create_app

if __name__ == "__main__":
    create_app().run(host="127.0.0.1", port=8050)
