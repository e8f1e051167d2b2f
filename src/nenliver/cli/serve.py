"""``nenliver serve``: the board web app (FastAPI + uvicorn) on a case store."""

from __future__ import annotations

import argparse
import gc
import ipaddress
import logging
import sys

from nenliver.errors import DependencyError


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "serve",
        help="the board web app: cases, plans, decisions, meetings (needs the 'web' extra)",
        description="Serve the board web app. The database is created and migrated on first use.",
    )
    parser.add_argument(
        "--db",
        metavar="URL",
        help="sqlite:///FILE or postgresql://USER@HOST/DB (default: $NENLIVER_DB, else an SQLite file in "
        "your data folder)",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)"
    )
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument(
        "--secure-cookies",
        action="store_true",
        help="send the session cookie over HTTPS only (set this when a TLS proxy serves the app)",
    )
    parser.set_defaults(func=run)


def require_web_extra() -> None:
    """Stop with a message naming the extra when the web app's packages are not installed."""
    try:
        import alembic  # noqa: F401
        import argon2  # noqa: F401
        import fastapi  # noqa: F401
        import sqlalchemy  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise DependencyError(f"the board app needs the 'web' extra ({exc}); pip install 'nenliver[web]'") from None


def run(args: argparse.Namespace) -> int:
    require_web_extra()
    import uvicorn
    from sqlalchemy import func, select

    from nenliver.guideline.loader import load_knowledge_base
    from nenliver.store import Store
    from nenliver.store.tables import User
    from nenliver.web import WebSettings, create_app

    store = Store.open(args.db)
    with store.transaction() as db:
        user_count = db.scalar(select(func.count(User.id))) or 0
    log = logging.getLogger("nenliver")
    print(f"nenliver board: database {store.url}")
    if not user_count:
        print(
            "No users yet: add one with  nenliver users add NAME --role admin" + (f" --db {args.db}" if args.db else "")
        )
    if not _loopback(args.host) and not args.secure_cookies:
        log.warning(
            "listening on %s without --secure-cookies: serve the app behind HTTPS (a TLS proxy) before "
            "anyone signs in from another machine",
            args.host,
        )
    app = create_app(store, WebSettings(secure_cookies=args.secure_cookies))
    # Requests share one interpreter: hand the GIL over every millisecond (default 5 ms) so a
    # plan being computed does not hold up the short requests queued beside it.
    sys.setswitchinterval(0.001)
    # The knowledge base, rule tables and imported modules live as long as the server: keep
    # them out of the garbage collector's scans (a full scan over them pauses every request).
    load_knowledge_base()
    gc.collect()
    gc.freeze()
    print(f"Open http://{args.host}:{args.port}/ (Ctrl+C stops)")
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", proxy_headers=False)
    return 0


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
