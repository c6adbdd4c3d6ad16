"""The WSGI entry point for gunicorn: each worker builds its own application after the fork."""

from __future__ import annotations

from api.app import create_app

application = create_app()
