"""The web shell: the route guard, security headers, uploads and downloads, the standalone
accounts, configuration, and the WSGI and Celery entry points."""
