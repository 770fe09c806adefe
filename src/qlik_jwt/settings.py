"""One typed settings object, read at the edge from ``QLIK_*`` variables, ``.env`` and flags.

Every field carries its default and help text here; the CLI, ``qlik-jwt config`` and the
README's settings table are all derived from these fields (a test keeps the README in step).

:meth:`Settings.load` reads the variables and the file itself (python-dotenv parses the
file), rather than through pydantic-settings, whose import alone took a third of the CLI's
start-up budget. Every value reaches the model as the text written (a list setting is split
on commas); names match case-insensitively, as on Windows.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, get_origin
from urllib.parse import urlsplit

from dotenv import dotenv_values
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from qlik_jwt.contract import MAX_WINDOW_SECONDS
from qlik_jwt.errors import ConfigurationError, SettingsError
from qlik_jwt.keys import is_pem_text
from qlik_jwt.served_hosts import host_name

__all__ = [
    "ENV_PREFIX",
    "LoginMode",
    "Settings",
    "hide_url_password",
    "normalize_tenant_url",
    "session_store_location",
]

ENV_PREFIX = "QLIK_"
SECRET_FIELDS = frozenset(
    {
        "private_key",
        "session_secret",
        "admin_api_key",
        "admin_oauth_client_secret",
        "oauth_client_secret",
    }
)
LoginMode = Literal["jwt", "interactive", "impersonation"]
# URLs (or lists of them) that a user may write with a password: shown without it.
URL_FIELDS = frozenset({"tenant_url", "public_origin", "app_origins", "proxy_session_store"})


def hide_url_password(url: str) -> str:
    """``url`` with the password of its user-info part (if any) replaced by ``***``."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
    except ValueError:
        return "<unparsable URL, hidden>"
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"{user}:***@{host}").geturl()


def _hide_url_passwords(value: Any) -> Any:
    """:func:`hide_url_password` on each URL of a list or of comma-separated text (as
    ``QLIK_APP_ORIGINS`` holds them); other values as they are."""
    if isinstance(value, str):
        return ",".join(hide_url_password(part) for part in value.split(","))
    if isinstance(value, list):
        return [_hide_url_passwords(item) for item in value]
    return value


def session_store_location(url: str) -> tuple[Literal["sqlite", "redis"], str]:
    """Where a proxy session store URL points: ``("sqlite", path)`` or ``("redis", url)``.

    ``sqlite:///relative/path`` and ``sqlite:////absolute/path`` (SQLAlchemy's spelling;
    ``sqlite:///:memory:`` for tests); ``redis://`` or ``rediss://`` URLs go to the client
    unchanged. Raises ValueError saying what to write instead.
    """
    text = url.strip()
    scheme = text.partition("://")[0].lower()
    if scheme == "sqlite":
        if not text.startswith("sqlite:///") or not text.removeprefix("sqlite:///"):
            raise ValueError(
                "is not an SQLite URL with a file; write sqlite:///relative/path or "
                "sqlite:////absolute/path"
            )
        return "sqlite", text.removeprefix("sqlite:///")
    if scheme in ("redis", "rediss"):
        parts = urlsplit(text)
        try:
            parts.port  # noqa: B018  (parsing the port is the check)
        except ValueError:
            raise ValueError("has an invalid port; write e.g. redis://127.0.0.1:6379/0") from None
        if not parts.hostname:
            raise ValueError("has no host; write e.g. redis://127.0.0.1:6379/0")
        return "redis", text
    raise ValueError(
        "must start with sqlite:/// (one app instance) or redis:// (several instances "
        "sharing sessions), e.g. sqlite:///.qlik-jwt/proxy-sessions.sqlite3"
    )


def normalize_tenant_url(value: str) -> str:
    """``tenant.region.qlikcloud.com`` or ``https://…`` → ``https://host[:port]``.

    ``http://`` is kept when given explicitly (a local emulator over plain HTTP). Raises
    ValueError for a path, query, fragment, credentials or another scheme.
    """
    text = value.strip()
    if not text:
        raise ValueError("is empty; give the tenant host, e.g. mytenant.eu.qlikcloud.com")
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme not in ("https", "http"):
        raise ValueError(f"has scheme {parts.scheme!r}; use https://")
    if parts.username or parts.password:
        raise ValueError("must not contain credentials")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(
            "must be the tenant's origin only, without a path or query; "
            f"use {parts.scheme}://{parts.netloc}"
        )
    if not parts.hostname:
        raise ValueError("has no host name")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("has an invalid port") from None
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    default_port = 443 if parts.scheme == "https" else 80
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default_port else "")


class Settings(BaseModel):
    """Tenant, identity-provider and token settings shared by every qlik-jwt command.

    Read them with :meth:`load`; the constructor takes the values as given, no variables.
    """

    model_config = ConfigDict(extra="ignore", validate_default=True, frozen=True)

    tenant_url: str | None = Field(
        None,
        description="The Qlik Cloud tenant, e.g. https://mytenant.eu.qlikcloud.com "
        "(a bare host gets https://).",
    )
    web_integration_id: str | None = Field(
        None, description="Id of the web integration that lists this app's origin."
    )
    app_id: str | None = Field(None, description="Id of the Qlik Sense app to embed.")
    object_id: str | None = Field(None, description="Id of the visualization to embed.")
    sheet_id: str | None = Field(
        None, description="Id of a sheet to embed in the iframe instead of one object."
    )
    chart_object_ids: list[str] = Field(
        default_factory=list,
        description="Ids of the objects the page draws with nebula.js, comma-separated; "
        "default: the object of `QLIK_OBJECT_ID`, else the cells of `QLIK_SHEET_ID` "
        "or of the app's first sheet.",
    )
    issuer: str | None = Field(
        None, description="The JWT identity provider's issuer (`iss`), compared exactly."
    )
    key_id: str | None = Field(
        None,
        description="The JWT identity provider's key id (`kid`); "
        "defaults to the key's RFC 7638 thumbprint.",
    )
    private_key: SecretStr | None = Field(
        None,
        description="The signing key: a PEM file path, or the PEM text itself "
        "(\\n escapes allowed).",
    )
    login_mode: LoginMode = Field(
        "jwt",
        description="How a user gets a Qlik identity: `jwt`: the app signs a token and the "
        "tenant sets session cookies; `impersonation`: the app asks the tenant for an OAuth "
        "access token on the user's behalf (no cookies); `interactive`: Qlik's login page.",
    )
    oauth_client_id: str | None = Field(
        None,
        description="Login mode `impersonation`: id of the OAuth client that mints user "
        "access tokens (grant `urn:qlik:oauth:user-impersonation`; `qlik-jwt setup` makes it).",
    )
    oauth_client_secret: SecretStr | None = Field(
        None, description="Login mode `impersonation`: the OAuth client's secret."
    )
    token_lifetime: int = Field(
        60, ge=1, le=3600, description="Seconds from issue to `exp` (1 to 3600)."
    )
    token_backdate: int = Field(
        0,
        ge=0,
        le=300,
        description="Seconds to date `iat`/`nbf` back, for tenant clocks running behind.",
    )
    clock_tolerance: int = Field(
        5,
        ge=0,
        le=300,
        description="The identity provider's `clockToleranceSec` used by setup and checks.",
    )

    # -- the embedding web app (`qlik-jwt serve`, `demo`) ---------------------------------
    web_host: str = Field(
        "127.0.0.1", description="Address `qlik-jwt serve` listens on (0.0.0.0 for all)."
    )
    web_port: int = Field(8000, ge=1, le=65535, description="Port `qlik-jwt serve` listens on.")
    public_origin: str | None = Field(
        None,
        description="The origin browsers use for the web app, e.g. https://app.example.com; "
        "POSTs from any other origin are refused (default: the request's own origin).",
    )
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Host names browsers use for the web app besides the public origin's, "
        "comma-separated (ports are not compared); `*` for any. IP addresses and `localhost` "
        "are always served; a request for another host gets 421 `unknown-host` (DNS "
        "rebinding).",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses (IPs or networks such as 10.0.0.0/8) of the reverse proxies "
        "whose `X-Forwarded-For`/`X-Forwarded-Proto` are believed, comma-separated; default "
        "none: the client is the connection's peer.",
    )
    users_db: Path = Field(
        Path(".qlik-jwt/web.sqlite3"),
        description="SQLite file holding the web app's users and sign-in sessions.",
    )
    web_session_lifetime: int = Field(
        28800,
        ge=60,
        le=30 * 86400,
        description="Seconds a web-app sign-in lasts before the user signs in again (and, in "
        "proxy mode, how long a browser's Qlik session is kept).",
    )
    token_rate_limit: int = Field(
        10,
        ge=1,
        le=100000,
        description=(
            "Tokens minted per user per minute: by `POST /token`, `POST /access-token` and "
            "proxy-mode logins (shared in Redis when the proxy session store is one); "
            "more get 429."
        ),
    )
    web_mode: Literal["direct", "proxy"] = Field(
        "direct",
        description="`direct`: the browser logs in to the tenant itself (needs third-party "
        "cookies in login mode `jwt`); `proxy`: the web app gets the user's Qlik identity and "
        "forwards the browser's Qlik calls (works when third-party cookies are blocked; not "
        "with login mode `interactive`).",
    )
    proxy_session_store: str = Field(
        "sqlite:///.qlik-jwt/proxy-sessions.sqlite3",
        description="Where proxy mode keeps each browser's Qlik cookies: "
        "`sqlite:///relative/path`, `sqlite:////absolute/path`, or `redis://host:port/db` "
        "(`rediss://` for TLS) shared by several app instances.",
    )
    proxy_timeout: float = Field(
        15.0,
        ge=0.1,
        le=300,
        description="Seconds proxy mode waits for the tenant (connecting at most 5 of "
        "them) before answering 504.",
    )

    # -- provisioning and diagnostics (`qlik-jwt setup`, `doctor`, `rotate-key`) ----------
    app_origins: list[str] = Field(
        default_factory=list,
        description="Origins (scheme://host[:port]) of the pages that embed Qlik, "
        "comma-separated; setup lists them in the web integration and CSP.",
    )
    web_integration_name: str = Field(
        "qlik-jwt", description="Name of the web integration `qlik-jwt setup` finds or creates."
    )
    oauth_client_name: str = Field(
        "qlik-jwt-impersonation",
        description="Name of the impersonation OAuth client `qlik-jwt setup` finds or creates "
        "(login mode `impersonation`).",
    )
    admin_api_key: SecretStr | None = Field(
        None,
        description="A tenant admin's API key, for setup, doctor and rotate-key "
        "(or use the admin OAuth client).",
    )
    admin_oauth_client_id: str | None = Field(
        None, description="Id of an admin OAuth client (client credentials), instead of an API key."
    )
    admin_oauth_client_secret: SecretStr | None = Field(
        None, description="Secret of the admin OAuth client."
    )
    tenant_ca_file: str | None = Field(
        None,
        description="PEM file of the CA (or self-signed certificate) to trust for the tenant's "
        "HTTPS, e.g. the emulator's; default: the system's CAs.",
    )

    @field_validator("*", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any, info: ValidationInfo) -> Any:
        """A list setting given as text (a variable, the file): its comma-separated parts."""
        annotation = cls.model_fields[str(info.field_name)].annotation
        if isinstance(value, str) and get_origin(annotation) is list:
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("allowed_hosts")
    @classmethod
    def _host_names(cls, value: list[str]) -> list[str]:
        for name in value:
            if name != "*" and host_name(name.rpartition("://")[2]) is None:
                raise ValueError(f"{name!r} is not a host name; give e.g. app.example.com")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, value: list[str]) -> list[str]:
        for network in value:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError:
                raise ValueError(
                    f"{network!r} is not an IP address or network; give e.g. 10.0.0.5 or 10.0.0.0/8"
                ) from None
        return value

    @field_validator("app_origins")
    @classmethod
    def _origin_shape(cls, value: list[str]) -> list[str]:
        for origin in value:
            parts = urlsplit(origin)
            shown = repr(hide_url_password(origin))
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(
                    f"{shown} is not an origin; give scheme://host[:port], "
                    "e.g. https://app.example.com"
                )
            if (
                parts.path not in ("", "/")
                or parts.query
                or parts.fragment
                or "*" in origin
                or "@" in parts.netloc
            ):
                raise ValueError(
                    f"{shown} must be an exact origin, without credentials, a path, a query "
                    "or a wildcard"
                )
        return value

    @field_validator("token_backdate")
    @classmethod
    def _token_window(cls, value: int, info: ValidationInfo) -> int:
        lifetime = info.data.get("token_lifetime")
        if lifetime is not None and lifetime + value > MAX_WINDOW_SECONDS:
            raise ValueError(
                f"plus QLIK_TOKEN_LIFETIME ({lifetime}) exceeds {MAX_WINDOW_SECONDS} seconds, "
                "the longest exp - nbf Qlik accepts; lower one of them"
            )
        return value

    @field_validator("web_mode")
    @classmethod
    def _web_mode(cls, value: str, info: ValidationInfo) -> str:
        if value == "proxy" and info.data.get("login_mode") == "interactive":
            raise ValueError(
                "is 'proxy', which needs login mode 'jwt' or 'impersonation' (the web app "
                "gets the user's Qlik identity for the browser); set QLIK_LOGIN_MODE=jwt or "
                "impersonation, or QLIK_WEB_MODE=direct for Qlik's interactive login"
            )
        return value

    @field_validator("proxy_session_store")
    @classmethod
    def _proxy_session_store(cls, value: str) -> str:
        session_store_location(value)
        return value

    @field_validator("tenant_url")
    @classmethod
    def _tenant_url(cls, value: str | None) -> str | None:
        return None if value is None else normalize_tenant_url(value)

    @field_validator("public_origin")
    @classmethod
    def _public_origin(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if "://" not in value.strip():
            raise ValueError("needs a scheme; give e.g. https://app.example.com")
        return normalize_tenant_url(value)

    @field_validator(
        "web_integration_id",
        "app_id",
        "object_id",
        "sheet_id",
        "issuer",
        "key_id",
        "admin_oauth_client_id",
        "oauth_client_id",
    )
    @classmethod
    def _trimmed(cls, value: str | None) -> str | None:
        if value is not None and value != value.strip():
            raise ValueError("has leading or trailing whitespace; Qlik compares it exactly")
        if value is not None and not value:
            raise ValueError("is empty; remove the setting or give a value")
        return value

    @field_validator("private_key")
    @classmethod
    def _private_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            raise ValueError("is empty; give a PEM file path or the PEM text")
        return value

    @field_validator("oauth_client_secret")
    @classmethod
    def _client_secret(cls, value: SecretStr | None) -> SecretStr | None:
        text = None if value is None else value.get_secret_value()
        if text is not None and (not text or text != text.strip()):
            raise ValueError(
                "is empty or has leading or trailing whitespace; copy the secret exactly as "
                "the tenant showed it when the OAuth client was made"
            )
        return value

    @classmethod
    def load(cls, env_file: str | Path | None = ".env", **overrides: Any) -> Settings:
        """The settings in ``env_file`` (when it exists), then the ``QLIK_*`` variables,
        which win over it, then ``overrides`` (``None`` = unset), which win over both.

        Raises SettingsError listing every invalid field with the value seen and the fix,
        or naming ``env_file`` when it exists but cannot be read.
        """
        values = {**_read_env_file(env_file), **_named_settings(os.environ)}
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls(**values)
        except ValidationError as exc:
            raise SettingsError([_problem(err) for err in exc.errors()]) from None

    def missing(self, *fields: str) -> list[ConfigurationError]:
        """One error for each of ``fields`` that is unset, naming its variable (a command
        line that has a flag for it adds the flag)."""
        return [
            ConfigurationError(name, "is not set", None, setting_fix(name))
            for name in fields
            if getattr(self, name) is None
        ]

    def require(self, *fields: str) -> None:
        """Raise SettingsError when any of ``fields`` is unset."""
        problems = self.missing(*fields)
        if problems:
            raise SettingsError(problems)

    def private_key_source(self) -> str:
        """The private key setting's text (path or PEM). Raises SettingsError when unset."""
        self.require("private_key")
        assert self.private_key is not None
        return self.private_key.get_secret_value()

    def redacted(self) -> dict[str, Any]:
        """Every setting, secrets replaced by a note saying whether they are set."""
        shown: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if name == "private_key" and value is not None:
                text = value.get_secret_value()
                value = "<PEM text, hidden>" if is_pem_text(text) else f"<file {text}>"
            elif name in SECRET_FIELDS and value is not None:
                value = "<set, hidden>"
            elif name in URL_FIELDS:
                value = _hide_url_passwords(value)
            shown[name] = value
        return shown


def _named_settings(variables: Mapping[str, str | None]) -> dict[str, str]:
    """The settings among ``variables``: ``QLIK_TENANT_URL`` -> ``tenant_url``; other names
    and names without a value are left out."""
    found = {}
    for name, value in variables.items():
        upper = name.upper()
        field = upper.removeprefix(ENV_PREFIX).lower()
        if upper.startswith(ENV_PREFIX) and field in Settings.model_fields and value is not None:
            found[field] = value
    return found


def _read_env_file(env_file: str | Path | None) -> dict[str, str]:
    """The settings a dotenv file holds; none when ``env_file`` is None or not a file."""
    if env_file is None:
        return {}
    path = Path(env_file).expanduser()
    if not path.is_file():
        return {}
    try:
        return _named_settings(dotenv_values(path, encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else f"not UTF-8 text: {exc.reason}"
        raise SettingsError(
            [
                ConfigurationError(
                    "env_file",
                    f"cannot be read ({reason or type(exc).__name__})",
                    str(env_file),
                    "Make it a readable UTF-8 file of NAME=value lines.",
                )
            ]
        ) from None


def _problem(error: Any) -> ConfigurationError:
    name = str(error["loc"][0]) if error.get("loc") else "settings"
    message = str(error.get("msg", "is invalid")).removeprefix("Value error, ")
    value = error.get("input")
    if name in SECRET_FIELDS:
        value = "<hidden>"
    elif name in URL_FIELDS:
        value = _hide_url_passwords(value)
    return ConfigurationError(name, message, value, setting_fix(name))


def setting_fix(name: str) -> str:
    """How to give setting ``name``: its variable and what it holds (never a flag: which
    flags exist depends on the command, and the CLI adds its own)."""
    field = Settings.model_fields.get(name)
    return f"Set {ENV_PREFIX}{name.upper()}." + (f" {field.description}" if field else "")


def settings_env_names() -> dict[str, str]:
    """Field name → environment variable, for docs and tests."""
    return {name: f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields}


def clear_env(environ: dict[str, str] | None = None) -> None:
    """Remove every ``QLIK_*`` variable (tests use this to start from a blank slate)."""
    env = os.environ if environ is None else environ
    for key in [k for k in env if k.startswith(ENV_PREFIX)]:
        del env[key]
