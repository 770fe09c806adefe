"""The tenant TLS context shared by the admin client and proxy mode."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from qlik_jwt.emulator.https import write_tls_certificate
from qlik_jwt.errors import ConfigurationError
from qlik_jwt.tls import tls_context


def test_true_and_false_pass_through() -> None:
    assert tls_context(True) is True
    assert tls_context(False) is False


def test_a_ca_file_becomes_a_context_trusting_it(tmp_path: Path) -> None:
    files = write_tls_certificate(tmp_path)
    context = tls_context(str(files.certificate))
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.cert_store_stats()["x509"] == 1  # the file's certificate, nothing else


def test_an_unusable_ca_file_names_the_setting_the_value_and_the_fix(tmp_path: Path) -> None:
    missing = str(tmp_path / "none.pem")
    with pytest.raises(ConfigurationError) as caught:
        tls_context(missing)
    assert caught.value.field == "tenant_ca_file"
    assert missing in str(caught.value)
    assert "PEM file" in str(caught.value)
