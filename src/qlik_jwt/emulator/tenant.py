"""One emulated tenant: its options, clock, faults, credentials and state, passed to every route.

Built once by :func:`qlik_jwt.emulator.create_app` and kept on ``app.state.tenant``; nothing
here is a module-level global, so several emulators can run in one process (tests do).
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from qlik_jwt.emulator.cookies import CookieJar
from qlik_jwt.emulator.engine import SampleApp
from qlik_jwt.emulator.faults import Faults
from qlik_jwt.emulator.options import EmulatorOptions
from qlik_jwt.emulator.state.access_tokens import AccessTokens, TokenRecord
from qlik_jwt.emulator.state.csp_origins import CspOrigins
from qlik_jwt.emulator.state.db import Database, new_key
from qlik_jwt.emulator.state.identity_providers import IdentityProviders
from qlik_jwt.emulator.state.oauth_clients import OAuthClients
from qlik_jwt.emulator.state.sessions import Session, Sessions
from qlik_jwt.emulator.state.spaces import Space, Spaces
from qlik_jwt.emulator.state.tenant import ensure_tenant, group_settings
from qlik_jwt.emulator.state.users import DirectoryUser, LoginProfile, User, Users
from qlik_jwt.emulator.state.web_integrations import WebIntegrations

__all__ = ["SAMPLE_SPACE", "EmulatedTenant", "OAuthClient"]

SAMPLE_SPACE = "Emulator samples"

DEFAULT_DIRECTORY = (
    DirectoryUser("emulator|ada", "Ada Lovelace", "ada@emulator.invalid", ["Finance"]),
    DirectoryUser("emulator|grace", "Grace Hopper", "grace@emulator.invalid", ["Engineering"]),
)


@dataclass(frozen=True)
class OAuthClient:
    """The emulator's own OAuth client (``client_credentials``), printed at start, whose
    tokens act as the admin key. Clients created through ``/api/v1/oauth-clients`` are
    state (:class:`~qlik_jwt.emulator.state.oauth_clients.OAuthClients`)."""

    client_id: str
    client_secret: str = field(repr=False)

    @classmethod
    def generate(cls) -> OAuthClient:
        return cls(new_key(32), secrets.token_urlsafe(32))


class EmulatedTenant:
    """Everything a request handler needs, built from explicit arguments.

    ``clock`` returns UNIX time; :meth:`now` adds the fault clock offset to it. ``apps`` are
    the engine's sample apps; on the first start they are listed in the shared space
    :data:`SAMPLE_SPACE`, which a restart on the same database finds again.
    """

    def __init__(
        self,
        options: EmulatorOptions,
        *,
        db: str,
        apps: Sequence[SampleApp],
        admin_key: str | None = None,
        oauth_client: OAuthClient | None = None,
        clock: Callable[[], float] = time.time,
        faults: Faults | None = None,
        directory: Sequence[DirectoryUser] = (),
    ) -> None:
        self.options = options
        self.clock = clock
        self.faults = faults or Faults()
        self.db = Database(db)
        now = self.now()
        record = ensure_tenant(self.db, now)
        self.tenant_id = record.tenant_id
        self.cookies = CookieJar(record.cookie_secret, options)
        self.admin_key = admin_key or secrets.token_urlsafe(32)
        self.oauth_client = oauth_client or OAuthClient.generate()
        self.identity_providers = IdentityProviders(
            self.db,
            min_rsa_bits=options.min_rsa_bits,
            strict_single_line_pem=options.strict_single_line_pem,
        )
        self.web_integrations = WebIntegrations(self.db)
        self.csp_origins = CspOrigins(self.db)
        self.users = Users(self.db)
        self.spaces = Spaces(self.db)
        self.oauth_clients = OAuthClients(self.db)
        self.access_tokens = AccessTokens(self.db)
        self.sessions = Sessions(
            self.db,
            inactivity=options.session_inactivity_seconds,
            max_age=options.session_max_age_seconds,
        )
        self.admin = self.users.ensure_admin(now=now)
        self.apps: Mapping[str, SampleApp] = {app.id: app for app in apps}
        self.sample_space = self._seed(now, directory)

    def now(self) -> float:
        """The tenant's current time: the injected clock plus the fault clock offset."""
        return self.clock() + self.faults.clock_offset

    def is_admin_key(self, token: str) -> bool:
        return hmac.compare_digest(token.encode(), self.admin_key.encode())

    def bearer_user(
        self, token: str, purposes: tuple[str, ...] = ("access",)
    ) -> tuple[User, TokenRecord | None] | None:
        """Whom a token speaks for: the administrator for the admin key or a
        client-credentials token, the user of a live token of one of ``purposes``, or None.
        A disabled or deleted user's tokens speak for nobody."""
        if "access" in purposes and self.is_admin_key(token):
            return self.admin, None
        record = self.access_tokens.find(token, now=self.now())
        if record is None or record.purpose not in purposes:
            return None
        if record.user_id is None:
            return self.admin, record
        user = self.users.find(record.user_id)
        if user is None or user.status == "disabled":
            return None
        return user, record

    def query_token_user(self, token: str, purpose: str) -> tuple[User, TokenRecord | None] | None:
        """Whom an ``accessToken`` query parameter speaks for: a token exchanged for
        ``purpose`` (or, without ``oauth_query_token_needs_exchange``, an access token too)."""
        needs_exchange = self.options.oauth_query_token_needs_exchange
        return self.bearer_user(token, (purpose,) if needs_exchange else (purpose, "access"))

    def is_admin_token(self, token: str) -> bool:
        """True for the admin key or a live client-credentials access token."""
        found = self.bearer_user(token)
        return found is not None and found[0].is_admin

    def sign_in(
        self, profile: LoginProfile, *, now: float, keep: Session | None = None
    ) -> tuple[User, Session]:
        """Create or refresh ``profile``'s user (its groups set) and start a session.

        ``keep``, a session of that same user, is kept instead of starting another. Runs in
        the caller's transaction when there is one; raises QlikError ``LOGIN-12`` as
        :meth:`Users.login` does.
        """
        with self.db.transaction():
            user = self.users.login(
                profile,
                now=now,
                auto_create_groups=group_settings(self.db).auto_create_groups,
                merge_groups=self.options.merge_groups,
                refuse_duplicate_email=self.options.refuse_duplicate_email,
            )
            if keep is not None and keep.user_id == user.id:
                return user, keep
            return user, self.sessions.start(user.id, now=now)

    def _seed(self, now: float, directory: Sequence[DirectoryUser]) -> Space:
        with self.db.transaction():
            space = self.spaces.by_name(SAMPLE_SPACE) or self.spaces.create(
                SAMPLE_SPACE,
                "shared",
                "The emulator's sample apps.",
                owner_id=self.admin.id,
                now=now,
            )
            for app in self.apps.values():
                self.spaces.add_app(app.id, app.name, space.id, owner_id=self.admin.id, now=now)
            if not self.users.directory():
                for person in DEFAULT_DIRECTORY:
                    self.users.add_to_directory(person)
            for person in directory:
                self.users.add_to_directory(person)
        return space

    def summary(self) -> dict[str, Any]:
        """What the tenant holds, for the CLI's start-up banner (no secrets)."""
        return {
            "tenant_id": self.tenant_id,
            "space": {"id": self.sample_space.id, "name": self.sample_space.name},
            "apps": [{"id": app.id, "name": app.name} for app in self.apps.values()],
            "identity_providers": [
                {"id": p.id, "issuer": p.issuer, "kid": p.kid, "active": p.active}
                for p in self.identity_providers.all()
            ],
            "web_integrations": [
                {"id": w.id, "name": w.name, "origins": w.valid_origins}
                for w in self.web_integrations.all()
            ],
            "sign_in_users": [p.subject for p in self.users.directory()],
        }

    def close(self) -> None:
        self.db.close()

    def __repr__(self) -> str:
        return f"EmulatedTenant(tenant_id={self.tenant_id!r}, db={self.db.path!r})"
