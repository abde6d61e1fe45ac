"""``ccengine passwd USER``: set a user's password in the store, from the terminal (asked
twice, not echoed) or from one line of standard input (``--password-stdin``). Only users
the config knows; the rules are the API's (8 to 200 characters). Safe while the engine
runs: it migrates the store if it is new, writes the hash and ends the user's sessions."""

from __future__ import annotations

import asyncio
import getpass
import sys
from collections.abc import Mapping

from ccengine.api.auth import User
from ccengine.config import EngineConfig
from ccengine.store.errors import BadPassword
from ccengine.store.users import check_password_rules


class PasswdError(Exception):
    """Something the person at the terminal must fix; nothing was changed."""


def passwd(config: EngineConfig, user_id: str, *, from_stdin: bool) -> int:
    """Set ``user_id``'s password; 0 when done, 2 (and a message) when refused."""
    from ccengine.settings import build_users
    users = build_users(config)
    try:
        if user_id not in users:
            raise PasswdError(f"no user {user_id!r} in the config ({config.source}); users: "
                              f"{', '.join(sorted(users))}")
        password = _read_password(from_stdin)
        try:
            check_password_rules(password)
        except BadPassword as e:
            raise PasswdError(str(e)) from e
    except PasswdError as e:
        print(f"ccengine passwd: {e}", file=sys.stderr)
        return 2
    ended = asyncio.run(_store(config, users, user_id, password))
    print(f"password set for {user_id}; {ended} session(s) ended")
    return 0


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        password = password[:-1] if password.endswith("\r") else password
        if not password:
            raise PasswdError("no password on standard input")
        return password
    if not sys.stdin.isatty():
        raise PasswdError("standard input is not a terminal: use --password-stdin")
    try:
        first = getpass.getpass("New password: ")
        second = getpass.getpass("Again: ")
    except (EOFError, KeyboardInterrupt) as e:
        raise PasswdError("no password given") from e
    if first != second:
        raise PasswdError("the two passwords differ")
    return first


async def _store(config: EngineConfig, users: Mapping[str, User], user_id: str,
                 password: str) -> int:
    from ccengine.api.session import start_signin
    from ccengine.store.db import Database
    db = Database(config.store_url)
    try:
        await db.migrate()
        signin = await start_signin(db, users, config.sessions)  # the user's row, at least
        await signin.users.set_password(user_id, password)
        return await signin.sessions.delete_for_user(user_id)
    finally:
        await db.close()
