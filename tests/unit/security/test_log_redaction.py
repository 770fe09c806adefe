"""Secret query values never reach a handler of uvicorn's loggers."""

from __future__ import annotations

import logging

from uvicorn.logging import AccessFormatter

from qlik_jwt import log_redaction
from qlik_jwt.log_redaction import RedactSecretQuery, redact


def test_secret_query_values_are_redacted_and_the_rest_kept() -> None:
    assert (
        redact("/app/123?qlik-web-integration-id=wi1&qlik-csrf-token=abc%2Fdef&x=1")
        == "/app/123?qlik-web-integration-id=wi1&qlik-csrf-token=<redacted>&x=1"
    )
    assert redact("/single/?QLIK-CSRF-TOKEN=abc#frag") == "/single/?QLIK-CSRF-TOKEN=<redacted>#frag"
    assert redact("/cb?accessToken=a&access_token=b&token=c") == (
        "/cb?accessToken=<redacted>&access_token=<redacted>&token=<redacted>"
    )
    assert redact("/static/token.js?v=1") == "/static/token.js?v=1"
    assert redact("/x?mytoken=keep") == "/x?mytoken=keep"


def test_the_filter_keeps_uvicorns_access_formatter_working() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/single/?appid=a&qlik-csrf-token=s3cr3t", "1.1", 200),
        None,
    )
    assert RedactSecretQuery().filter(record) is True
    line = AccessFormatter(use_colors=False).format(record)
    assert "s3cr3t" not in line and "qlik-csrf-token=<redacted>" in line and "200" in line


def test_install_is_idempotent() -> None:
    log_redaction.install()
    log_redaction.install()
    for name in log_redaction.UVICORN_LOGGERS:
        filters = logging.getLogger(name).filters
        assert sum(isinstance(f, RedactSecretQuery) for f in filters) == 1
