"""Building the embedding web app for tests: settings, a seeded user store, sign-in helpers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from qlik_jwt.settings import Settings
from qlik_jwt.web import DEMO_USERS, UserStore, create_app
from qlik_jwt.web.database import Database

ADA = DEMO_USERS[0]
GRACE = DEMO_USERS[1]
EVE = DEMO_USERS[2]


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self, now: float = 1_767_225_600.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def web_settings(key_dir: Path, db: Path | str = ":memory:", **overrides: Any) -> Settings:
    """Complete JWT-mode settings pointing at a tenant URL (unused unless a test serves one)."""
    values: dict[str, Any] = {
        "tenant_url": "https://127.0.0.1:9443",
        "web_integration_id": "wi-test-0001",
        "app_id": "app-0001",
        "object_id": "obj-0001",
        "issuer": "tests.qlik-jwt.local",
        "key_id": "test-kid",
        "private_key": str(key_dir / "private.pem"),
        "users_db": str(db),
    }
    values.update(overrides)
    return Settings.load(env_file=None, **values)


def seeded_store(db: Path | str = ":memory:") -> UserStore:
    store = UserStore(Database(db))
    store.seed()
    return store


def make_app(settings: Settings, **kwargs: Any) -> FastAPI:
    kwargs.setdefault("user_store", seeded_store())
    return create_app(settings, **kwargs)


def sign_in(client: httpx.Client, username: str, password: str) -> httpx.Response:
    """POST the sign-in form as the page would (same Origin); returns the redirect."""
    origin = str(client.base_url).rstrip("/")
    return client.post(
        "/sign-in",
        data={"username": username, "password": password},
        headers={"Origin": origin},
        follow_redirects=False,
    )


def page_csrf_token(client: httpx.Client) -> str:
    """The CSRF token inlined in the embedding page."""
    page = client.get("/").text
    match = re.search(r'"csrfToken":"([^"]*)"', page)
    assert match, "no CSRF token in the page"
    return match.group(1)


def token_headers(client: httpx.Client, csrf_token: str) -> dict[str, str]:
    origin = str(client.base_url).rstrip("/")
    return {"Origin": origin, "Sec-Fetch-Site": "same-origin", "X-CSRF-Token": csrf_token}


def serve_environment(key_dir: Path, port: int, db: Path, **extra: str) -> dict[str, str]:
    """``QLIK_*`` variables for ``qlik-jwt serve`` on ``port`` (JWT mode, a dummy tenant)."""
    return {
        "QLIK_TENANT_URL": "https://127.0.0.1:9",
        "QLIK_WEB_INTEGRATION_ID": "wi",
        "QLIK_APP_ID": "app",
        "QLIK_ISSUER": "tests.qlik-jwt.local",
        "QLIK_PRIVATE_KEY": str(key_dir / "private.pem"),
        "QLIK_WEB_PORT": str(port),
        "QLIK_USERS_DB": str(db),
        **{f"QLIK_{name.upper()}": value for name, value in extra.items()},
    }
