"""WSGI entry point for gunicorn: ``gunicorn -c backend/gunicorn_conf.py backend.wsgi:app``."""

from backend import create_app

app = create_app()
