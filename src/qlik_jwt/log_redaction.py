"""Keep secrets out of server logs: hide secret query parameters in uvicorn's request lines.

Qlik's browser protocol puts the CSRF token in URLs (the engine websocket's and the
``/single/`` iframe's ``?qlik-csrf-token=``), and uvicorn logs every websocket handshake with
its query string at INFO on ``uvicorn.error`` (whatever ``access_log`` says) and every request
line on ``uvicorn.access``. :func:`install` puts :class:`RedactSecretQuery` on those loggers so
a value like ``qlik-csrf-token=4f9c…`` reaches no handler: it becomes
``qlik-csrf-token=<redacted>``.

The proxy of login mode ``impersonation`` installs it on ``httpx`` too (its request lines
carry ``/single/``'s ``accessToken``). The CLI's ``serve``, ``emulator`` and ``demo`` call
:func:`install`; call it yourself when you
serve ``qlik_jwt.web.create_app(...)`` or the emulator with your own uvicorn or gunicorn setup.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

__all__ = ["SECRET_QUERY_PARAMETERS", "UVICORN_LOGGERS", "RedactSecretQuery", "install", "redact"]

SECRET_QUERY_PARAMETERS = ("qlik-csrf-token", "accessToken", "access_token", "token", "csrf_token")
UVICORN_LOGGERS = ("uvicorn.error", "uvicorn.access")

_SECRET_VALUE = re.compile(
    r"(?P<name>[?&;](?:"
    + "|".join(re.escape(name) for name in SECRET_QUERY_PARAMETERS)
    + r")=)[^&#\s\"']*",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """``text`` with the value of every secret query parameter replaced by ``<redacted>``."""
    return _SECRET_VALUE.sub(r"\g<name><redacted>", text)


class RedactSecretQuery(logging.Filter):
    """Rewrites a record's message and string arguments in place; never drops a record.

    The arguments keep their number and types, so formatters that unpack them (uvicorn's
    access formatter does) keep working.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redacted(a) for a in record.args)
        return True


def _redacted(value: object) -> object:
    """A log argument with secret query values hidden; an object whose text needs hiding
    (httpx logs its URL objects) becomes that text."""
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, int | float):
        return value
    text = str(value)
    hidden = redact(text)
    return value if hidden == text else hidden


def install(loggers: Iterable[str] = UVICORN_LOGGERS) -> None:
    """Add the filter to each named logger once (calling again changes nothing)."""
    for name in loggers:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecretQuery) for f in logger.filters):
            logger.addFilter(RedactSecretQuery())
