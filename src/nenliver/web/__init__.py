"""The board web app (``nenliver serve``): cases, plans, decisions, meetings and the audit trail.

A face: it parses requests, calls the service layer and the case store, and formats. Needs the
``web`` extra (FastAPI, SQLAlchemy, Alembic, argon2, Jinja2; psycopg for PostgreSQL).
"""

from nenliver.web.app import create_app
from nenliver.web.settings import WebSettings

__all__ = ["WebSettings", "create_app"]
