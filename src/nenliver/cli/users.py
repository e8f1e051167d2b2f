"""``nenliver users``: the people who may use the board app, and their roles."""

from __future__ import annotations

import argparse
import getpass
import sys

from nenliver.cli.serve import require_web_extra
from nenliver.errors import InputError, Problem

ROLES = ("admin", "clinician", "physicist", "viewer")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("users", help="add and list the users of the board app")
    commands = parser.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    add = commands.add_parser("add", help="add a user (the password is asked for, or read from standard input)")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--role", required=True, choices=ROLES, help="what the user may do (see docs/web.md)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    add.add_argument("--db", metavar="URL", help="database URL (default as for nenliver serve)")
    add.set_defaults(func=run_add)
    listing = commands.add_parser("list", help="list the users and their roles")
    listing.add_argument("--db", metavar="URL", help="database URL (default as for nenliver serve)")
    listing.set_defaults(func=run_list)


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    first = getpass.getpass(f"Password for {args.name}: ")
    again = getpass.getpass("Again: ")
    if first != again:
        raise InputError("users add", [Problem("password", "the two entries differ", "the same password twice")])
    return first


def run_add(args: argparse.Namespace) -> int:
    require_web_extra()
    from nenliver.store import Store, audit, users

    password = _password(args)
    store = Store.open(args.db)
    with store.transaction() as db:
        user = users.create_user(db, args.name, password, args.role)
        audit.append(db, "(command line)", "user.add", detail={"user": user.username, "role": user.role})
    print(f"User {user.username} added with role {user.role} ({store.url}).")
    return 0


def run_list(args: argparse.Namespace) -> int:
    require_web_extra()
    from sqlalchemy import select

    from nenliver.store import Store
    from nenliver.store.tables import User

    store = Store.open(args.db)
    with store.transaction() as db:
        rows = list(db.scalars(select(User).order_by(User.username)))
    for user in rows:
        state = " (disabled)" if user.disabled else ""
        print(f"{user.username}\t{user.role}{state}\tsince {user.created_at[:10]}")
    if not rows:
        print("No users yet: nenliver users add NAME --role admin")
    return 0
