"""The integration examples in Chromium, from the host app's own sign-in to the chart: each
framework's example on http://localhost, the emulated tenant on https://127.0.0.1 (two
sites), provisioned over REST."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from qlik_jwt.signer import TokenSigner
from tests.support import emulator as emulator_support
from tests.support.browser import chromium, shows_adas_chart, sign_in_page
from tests.support.hosts import FRAMEWORKS, prepare_django, provisioned_settings, running_host
from tests.support.webapp import ADA

emulator_https = emulator_support.emulator_https
emulator_tls = emulator_support.emulator_tls


@pytest.fixture()
def signer(
    rsa_key: rsa.RSAPrivateKey, emulator_https: emulator_support.RunningEmulator
) -> Iterator[TokenSigner]:
    yield TokenSigner(rsa_key, "test-kid", "tests.qlik-jwt.local", clock=emulator_https.clock)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_sign_in_to_chart(
    framework: str,
    emulator_https: emulator_support.RunningEmulator,
    signer: TokenSigner,
    key_dir: Path,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Direct mode: the browser logs in to the tenant with the host app's token."""
    if framework == "django":
        prepare_django(tmp_path_factory.mktemp("django") / "site.sqlite3")
    certificate = (key_dir / "certificate.pem").read_bytes()
    settings_for = provisioned_settings(emulator_https, signer, certificate)
    with (
        running_host(framework, settings_for, signer=signer) as host,
        chromium(tmp_path / "profile", third_party_cookies=True) as context,
    ):
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        sign_in_page(page, host.url, ADA.username, ADA.password)
        shows_adas_chart(page)
        assert page.get_attribute("body", "data-qlik-session") == "new"
        assert errors == []


def test_fastapi_proxy_mode_needs_no_third_party_cookies(
    emulator_https: emulator_support.RunningEmulator,
    emulator_tls: emulator_support.keys.KeyPairFiles,
    signer: TokenSigner,
    key_dir: Path,
    tmp_path: Path,
) -> None:
    """Proxy mode, in a browser that blocks third-party cookies: the host app logs in."""
    settings_for = provisioned_settings(
        emulator_https,
        signer,
        (key_dir / "certificate.pem").read_bytes(),
        web_mode="proxy",
        tenant_ca_file=str(emulator_tls.certificate),
        proxy_session_store=f"sqlite:///{tmp_path / 'proxy.sqlite3'}",
    )
    with (
        running_host("fastapi", settings_for, signer=signer) as host,
        chromium(tmp_path / "profile", third_party_cookies=False) as context,
    ):
        page = context.new_page()
        sent_to_tenant: list[str] = []
        page.on(
            "request",
            lambda r: (
                sent_to_tenant.append(r.url) if r.url.startswith(emulator_https.url) else None
            ),
        )
        sign_in_page(page, host.url, ADA.username, ADA.password)
        shows_adas_chart(page)
        assert sent_to_tenant == []  # the browser talks only to the host app
