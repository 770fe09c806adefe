"""Settings from environment, .env and overrides; clear errors; secrets never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from qlik_jwt.embedding.requirements import required_settings
from qlik_jwt.errors import SettingsError
from qlik_jwt.settings import Settings, normalize_tenant_url


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("mytenant.eu.qlikcloud.com", "https://mytenant.eu.qlikcloud.com"),
        ("https://mytenant.eu.qlikcloud.com/", "https://mytenant.eu.qlikcloud.com"),
        ("  HTTPS://MyTenant.EU.qlikcloud.com ", "https://mytenant.eu.qlikcloud.com"),
        ("https://127.0.0.1:8443", "https://127.0.0.1:8443"),
        ("https://host:443", "https://host"),
        ("http://localhost:8080", "http://localhost:8080"),
        ("http://[::1]:9000", "http://[::1]:9000"),
    ],
)
def test_tenant_url_normalisation(given: str, expected: str) -> None:
    assert normalize_tenant_url(given) == expected


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("https://t.eu.qlikcloud.com/sense/app", "without a path or query"),
        ("https://t.eu.qlikcloud.com?x=1", "without a path or query"),
        ("ftp://t.eu.qlikcloud.com", "scheme 'ftp'"),
        ("https://user:pw@t.eu.qlikcloud.com", "credentials"),
        ("", "is empty"),
        ("https://host:99999", "invalid port"),
    ],
)
def test_bad_tenant_urls(given: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        normalize_tenant_url(given)


def test_environment_and_dotenv_and_overrides(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("QLIK_TENANT_URL=from-file.eu.qlikcloud.com\nQLIK_APP_ID=file-app\n")
    monkeypatch.setenv("QLIK_APP_ID", "env-app")
    monkeypatch.setenv("QLIK_TOKEN_LIFETIME", "120")
    settings = Settings.load(env_file=env_file, issuer="flag-issuer", key_id=None)
    assert settings.tenant_url == "https://from-file.eu.qlikcloud.com"
    assert settings.app_id == "env-app"  # the environment beats the file
    assert settings.issuer == "flag-issuer"  # flags beat both
    assert settings.token_lifetime == 120
    assert settings.key_id is None


def test_every_invalid_field_is_reported_with_value_and_fix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("QLIK_TOKEN_LIFETIME", "4000")
    monkeypatch.setenv("QLIK_LOGIN_MODE", "saml")
    monkeypatch.setenv("QLIK_TENANT_URL", "https://t.eu.qlikcloud.com/hub")
    with pytest.raises(SettingsError) as caught:
        Settings.load(env_file=None)
    fields = {p.field for p in caught.value.problems}
    assert fields == {"token_lifetime", "login_mode", "tenant_url"}
    text = str(caught.value)
    assert "token_lifetime: Input should be less than or equal to 3600 (got '4000')" in text
    assert "QLIK_TOKEN_LIFETIME" in text
    assert "tenant_url: must be the tenant's origin only" in text
    assert "use https://t.eu.qlikcloud.com" in text


def test_lifetime_and_backdate_together_stay_within_the_hour(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each was checked alone: 3600 + 10 passed here and failed in every command."""
    monkeypatch.setenv("QLIK_TOKEN_LIFETIME", "3600")
    monkeypatch.setenv("QLIK_TOKEN_BACKDATE", "10")
    with pytest.raises(SettingsError) as caught:
        Settings.load(env_file=None)
    assert caught.value.field == "token_backdate"
    assert "plus QLIK_TOKEN_LIFETIME (3600) exceeds 3600 seconds" in str(caught.value)
    assert "(got '10')" in str(caught.value)
    monkeypatch.setenv("QLIK_TOKEN_LIFETIME", "3590")
    assert Settings.load(env_file=None).token_backdate == 10


def test_untrimmed_ids_are_refused() -> None:
    with pytest.raises(SettingsError, match="issuer: has leading or trailing whitespace"):
        Settings.load(env_file=None, issuer="iss ")


def test_missing_lists_each_variable() -> None:
    settings = Settings.load(env_file=None, app_id="a")
    problems = settings.missing("tenant_url", "app_id", "issuer")
    assert [p.field for p in problems] == ["tenant_url", "issuer"]
    assert "QLIK_TENANT_URL" in str(problems[0]) and "--" not in str(problems[0])
    with pytest.raises(SettingsError, match="tenant_url: is not set"):
        settings.require("tenant_url")


def test_secrets_are_redacted_and_not_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    pem = (
        "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n-----END PRIVATE KEY-----"
    )
    monkeypatch.setenv("QLIK_PRIVATE_KEY", pem)
    settings = Settings.load(env_file=None)
    assert settings.redacted()["private_key"] == "<PEM text, hidden>"
    assert "MIIEv" not in repr(settings) and "MIIEv" not in str(settings.redacted())
    assert settings.private_key_source() == pem
    path_settings = Settings.load(env_file=None, private_key="/run/secrets/qlik.pem")
    assert path_settings.redacted()["private_key"] == "<file /run/secrets/qlik.pem>"


def test_invalid_secret_value_is_hidden_in_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QLIK_PRIVATE_KEY", "   ")
    monkeypatch.setenv("QLIK_TOKEN_BACKDATE", "-3")
    with pytest.raises(SettingsError) as caught:
        Settings.load(env_file=None)
    assert [p.field for p in caught.value.problems] == ["private_key", "token_backdate"]
    assert "private_key: is empty; give a PEM file path or the PEM text (got '<hidden>')" in str(
        caught.value
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("QLIK_TENANT_URL", "https://admin:hunter22@t.eu.qlikcloud.com"),
        ("QLIK_PUBLIC_ORIGIN", "https://admin:hunter22@app.example.com"),
        ("QLIK_APP_ORIGINS", "https://ok.example.com,https://admin:hunter22@app.example.com"),
    ],
)
def test_a_password_in_a_url_is_refused_without_being_shown(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        Settings.load(env_file=None)
    assert caught.value.field == name.removeprefix("QLIK_").lower()
    assert "credentials" in str(caught.value)
    assert "hunter22" not in str(caught.value)
    assert "admin:***@" in str(caught.value)


def test_impersonation_combines_with_both_web_modes() -> None:
    for web_mode in ("direct", "proxy"):
        settings = Settings.load(env_file=None, login_mode="impersonation", web_mode=web_mode)
        assert (settings.login_mode, settings.web_mode) == ("impersonation", web_mode)


def test_impersonation_needs_the_oauth_client_not_the_web_integration() -> None:
    settings = Settings.load(env_file=None, login_mode="impersonation")
    assert required_settings(settings) == (
        "tenant_url",
        "app_id",
        "oauth_client_id",
        "oauth_client_secret",
    )
    with pytest.raises(SettingsError) as caught:
        settings.require(*required_settings(settings))
    assert "QLIK_OAUTH_CLIENT_SECRET" in str(caught.value)
    assert "web_integration_id" not in required_settings(settings)


def test_the_oauth_client_secret_is_hidden_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "s3cr3t-" + "Zq9" * 10
    monkeypatch.setenv("QLIK_OAUTH_CLIENT_SECRET", secret)
    monkeypatch.setenv("QLIK_OAUTH_CLIENT_ID", "c0ffee")
    settings = Settings.load(env_file=None)
    assert settings.redacted()["oauth_client_secret"] == "<set, hidden>"
    assert settings.redacted()["oauth_client_id"] == "c0ffee"
    assert secret not in repr(settings) and secret not in str(settings.redacted())
    monkeypatch.setenv("QLIK_OAUTH_CLIENT_SECRET", f" {secret}")
    with pytest.raises(SettingsError) as caught:
        Settings.load(env_file=None)
    assert caught.value.field == "oauth_client_secret"
    assert "leading or trailing whitespace" in str(caught.value)
    assert "(got '<hidden>')" in str(caught.value) and secret not in str(caught.value)


def test_proxy_mode_with_interactive_login_names_both_working_modes() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.load(env_file=None, login_mode="interactive", web_mode="proxy")
    assert caught.value.field == "web_mode"
    assert "'jwt' or 'impersonation'" in str(caught.value)


def test_list_settings_are_comma_separated_text_in_the_environment_and_the_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("QLIK_CHART_OBJECT_IDS=obj-1, obj-2\nexport qlik_app_id='quoted app'\n")
    monkeypatch.setenv("QLIK_APP_ORIGINS", "https://a.example.com, https://b.example.com")
    monkeypatch.setenv("QLIK_NOT_A_SETTING", "ignored")
    settings = Settings.load(env_file=env_file)
    assert settings.app_origins == ["https://a.example.com", "https://b.example.com"]
    assert settings.chart_object_ids == ["obj-1", "obj-2"]
    assert settings.app_id == "quoted app"  # dotenv quoting and `export`; names in any case
    assert Settings.load(env_file=tmp_path / "missing.env").app_origins == settings.app_origins
    assert Settings.load(env_file=None).chart_object_ids == []
