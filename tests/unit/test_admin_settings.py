"""The settings setup, doctor and rotate-key add: origins, admin credentials, CA file."""

from __future__ import annotations

import pytest

from qlik_jwt.errors import SettingsError
from qlik_jwt.settings import Settings


def test_app_origins_come_comma_separated_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("QLIK_APP_ORIGINS", " https://app.example.com, http://localhost:8000 ,")
    settings = Settings.load(env_file=None)
    assert settings.app_origins == ["https://app.example.com", "http://localhost:8000"]


def test_app_origins_default_to_none_and_accept_a_list_override() -> None:
    assert Settings.load(env_file=None).app_origins == []
    settings = Settings.load(env_file=None, app_origins=["https://a.example.com"])
    assert settings.app_origins == ["https://a.example.com"]


@pytest.mark.parametrize(
    "bad", ["app.example.com", "https://app.example.com/embed", "https://*.example.com"]
)
def test_an_app_origin_that_is_not_an_exact_origin_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    monkeypatch.setenv("QLIK_APP_ORIGINS", bad)
    with pytest.raises(SettingsError) as caught:
        Settings.load(env_file=None)
    assert caught.value.field == "app_origins"
    assert bad in str(caught.value)
    assert "QLIK_APP_ORIGINS" in caught.value.fix


def test_admin_secrets_are_hidden_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QLIK_ADMIN_API_KEY", "eyJadmin-api-key-value")
    monkeypatch.setenv("QLIK_ADMIN_OAUTH_CLIENT_ID", "client-1")
    monkeypatch.setenv("QLIK_ADMIN_OAUTH_CLIENT_SECRET", "oauth-secret-value")
    settings = Settings.load(env_file=None)
    shown = settings.redacted()
    assert shown["admin_api_key"] == "<set, hidden>"
    assert shown["admin_oauth_client_secret"] == "<set, hidden>"
    assert shown["admin_oauth_client_id"] == "client-1"
    for text in (repr(settings), str(settings), str(shown)):
        assert "admin-api-key-value" not in text
        assert "oauth-secret-value" not in text


def test_web_integration_name_has_a_default() -> None:
    assert Settings.load(env_file=None).web_integration_name == "qlik-jwt"
