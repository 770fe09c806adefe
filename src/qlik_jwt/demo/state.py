"""The demo's local state folder: signing key, HTTPS certificate, admin key and databases.

Everything is created on first use and reused afterwards, so a second ``qlik-jwt demo``
starts with the same keys, users and tenant state. The folder (and any parent it creates)
is 0700, every file in it 0600 but the certificates.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qlik_jwt import keys
from qlik_jwt.atomic_write import write_atomically
from qlik_jwt.emulator.https import write_tls_certificate
from qlik_jwt.env_file import update_env_file
from qlik_jwt.errors import ConfigurationError
from qlik_jwt.private_files import private_folder, warn_if_readable_by_others
from qlik_jwt.settings import ENV_PREFIX, Settings

__all__ = ["DemoState"]

DEMO_ISSUER = "qlik-jwt-demo"


@dataclass(frozen=True)
class DemoState:
    """Paths under ``root`` (default ``.qlik-jwt/demo``)."""

    root: Path

    @property
    def signing_dir(self) -> Path:
        return self.root / "signing"

    @property
    def tls_dir(self) -> Path:
        return self.root / "tls"

    @property
    def emulator_db(self) -> Path:
        return self.root / "emulator.sqlite3"

    @property
    def users_db(self) -> Path:
        return self.root / "web.sqlite3"

    @property
    def proxy_sessions_db(self) -> Path:
        return self.root / "proxy-sessions.sqlite3"

    @property
    def host_app_env(self) -> Path:
        return self.root / "host-app.env"

    def write_host_app_env(self, settings: Settings) -> Path:
        """Write the settings another app needs to embed from the demo's tenant (the
        integration examples) as ``QLIK_*`` lines a shell can source: no secret, the key
        and the tenant's certificate as absolute paths."""
        names = ("tenant_url", "web_integration_id", "app_id", "object_id", "issuer", "key_id")
        values = {f"{ENV_PREFIX}{name.upper()}": str(getattr(settings, name)) for name in names}
        values[f"{ENV_PREFIX}PRIVATE_KEY"] = str(Path(settings.private_key_source()).resolve())
        if settings.tenant_ca_file:
            values[f"{ENV_PREFIX}TENANT_CA_FILE"] = str(Path(settings.tenant_ca_file).resolve())
        update_env_file(self.host_app_env, values)
        return self.host_app_env

    def prepare(self) -> None:
        """Create the folder (mode 0700); raise ConfigurationError if it cannot be."""
        try:
            private_folder(self.root)
        except OSError as exc:
            raise ConfigurationError(
                "state_dir",
                f"cannot be created ({exc.strerror})",
                str(self.root),
                "Pass --state-dir with a folder you can write to.",
            ) from None

    def signing_key(self, bits: int = 2048) -> keys.KeyPairFiles:
        """The JWT signing key pair, generated when absent."""
        files = keys.KeyPairFiles(
            self.signing_dir / keys.PRIVATE_KEY_FILE, self.signing_dir / keys.CERTIFICATE_FILE
        )
        if files.private_key.exists() and files.certificate.exists():
            return files
        key = keys.generate_private_key(bits)
        certificate = keys.self_signed_certificate(key, common_name=DEMO_ISSUER)
        return keys.write_key_pair(self.signing_dir, key, certificate, force=True)

    def tls_certificate(self) -> keys.KeyPairFiles:
        """The emulator's HTTPS key and certificate, made once and kept (a browser that
        accepted the certificate keeps accepting it)."""
        files = keys.KeyPairFiles(
            self.tls_dir / keys.PRIVATE_KEY_FILE, self.tls_dir / keys.CERTIFICATE_FILE
        )
        if files.private_key.exists() and files.certificate.exists():
            return files
        return write_tls_certificate(self.tls_dir)

    def impersonation_client(
        self, created: Mapping[str, Any] | None = None
    ) -> tuple[str, str] | None:
        """The impersonation OAuth client's id and secret kept in ``impersonation.env``
        (mode 0600); ``created`` (setup's result) replaces them when it holds a new secret."""
        path = self.root / "impersonation.env"
        if created is not None and created.get("clientSecret"):
            values = {
                f"{ENV_PREFIX}OAUTH_CLIENT_ID": str(created["clientId"]),
                f"{ENV_PREFIX}OAUTH_CLIENT_SECRET": str(created["clientSecret"]),
            }
            update_env_file(path, values)
        if not path.exists():
            return None
        found = Settings.load(env_file=path)
        if found.oauth_client_id is None or found.oauth_client_secret is None:
            return None
        return found.oauth_client_id, found.oauth_client_secret.get_secret_value()

    def admin_key(self) -> str:
        """The emulator's admin API key, generated once and kept (mode 0600)."""
        path = self.root / "admin-key"
        if path.exists():
            warn_if_readable_by_others(path, "the emulator's admin key")
            return path.read_text(encoding="utf-8").strip()
        value = secrets.token_urlsafe(32)
        write_atomically(path, value.encode(), 0o600)
        return value
