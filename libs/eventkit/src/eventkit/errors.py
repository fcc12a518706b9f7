"""How a failure is classified decides what happens to the message that caused it."""

from __future__ import annotations

import asyncio

import asyncpg
from sqlalchemy import exc as sa_exc


class DomainRejection(Exception):
    """The message can never be handled (bad input, impossible state): dead-letter it now,
    with this exception's text as the reason."""


# SQLSTATE classes that mean "try again later": connection (08), transaction rollback
# (40: serialization failure, deadlock), insufficient resources (53), operator
# intervention (57: admin shutdown, cannot connect now).
_TRANSIENT_SQLSTATE_CLASSES = ("08", "40", "53", "57")


def _sqlstate(exc: BaseException) -> str | None:
    for candidate in (exc, getattr(exc, "orig", None), getattr(exc, "__cause__", None)):
        if candidate is None:
            continue
        code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if code:
            return str(code)
    return None


# SQLSTATEs of input PostgreSQL refuses: a value the driver cannot encode (an integer beyond
# int64...), string too long, number out of range, bad datetime, NUL character (in text, in
# jsonb), malformed text representation. The input is at fault, not the system: retrying
# cannot help.
BAD_VALUE_SQLSTATES = frozenset({"22000", "22001", "22003", "22007", "22008", "22021", "22P02", "22P05"})


def is_bad_value(exc: BaseException) -> bool:
    return _sqlstate(exc) in BAD_VALUE_SQLSTATES


def is_transient(exc: BaseException) -> bool:
    """True when the failure is about the infrastructure, not the message: retry forever."""
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)):
        return True
    if isinstance(exc, (asyncpg.PostgresConnectionError, asyncpg.InterfaceError)):
        return True
    if isinstance(exc, (ConnectionError, OSError, asyncio.TimeoutError, TimeoutError)):
        return True
    code = _sqlstate(exc)
    if code and code[:2] in _TRANSIENT_SQLSTATE_CLASSES:
        return True
    cause = exc.__cause__ or exc.__context__
    if cause is not None and cause is not exc and not isinstance(exc, DomainRejection):
        return isinstance(cause, (asyncpg.PostgresConnectionError, ConnectionError, OSError))
    return False
