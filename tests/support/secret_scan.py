"""Find secrets in log text: by their shape, by the name they travel under, and by value.

Three detectors, each cheap on megabytes of text:

1. **Shape.** A private key PEM (``-----BEGIN … PRIVATE KEY-----``) or a whole JWT (three
   base64url parts, the first starting ``eyJ``, the last a signature of 16+ characters).
2. **Name.** A value of 16+ token characters right after a name secrets travel under: the
   Qlik cookies (``eas.sid``, ``_csrfToken``), ``qlik-csrf-token``, ``X-CSRF-Token``,
   ``csrfToken``/``csrf_token``, the web app's ``qlik-jwt-session`` cookie, ``Bearer``, and
   OAuth's ``access_token``/``accessToken``, ``refresh_token``, ``subject_token``,
   ``client_secret``/``clientSecret``.
3. **Value.** Every secret the servers of the run actually handed out or received
   (:meth:`SecretScan.harvest_request` / :meth:`~SecretScan.harvest_response`: session
   cookies, CSRF tokens, bearer credentials such as admin keys and OAuth access tokens, the
   ``accessToken`` query of the engine websocket, and the client secrets and tokens in the
   bodies of ``/oauth/*`` and ``/api/v1/oauth-clients`` (:meth:`SecretScan.harvest_body`)) is
   remembered; any log text holding one of them verbatim is a leak. Log text is cut into
   runs of base64url characters; every 16-character window of a run is looked up in an
   index of the secrets' first 16 characters, so a secret is found inside a longer run too.

Findings never repeat the secret: :class:`Finding` shows where it was and a masked excerpt.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl

__all__ = ["Finding", "SecretScan", "mask"]

MIN_SECRET = 16
MIN_DISTINCT = 8  # a real secret is random; "x" * 43 sent by a test as a fake one is not
_PEM = re.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}")
_NAMED = re.compile(
    r"(?i)(?:eas\.sid|_csrftoken|qlik-csrf-token|x-csrf-token|csrf_?token|qlik-jwt-session"
    r"|access_?token|refresh_?token|subject_token|client_?secret"
    r"|authorization:\s*bearer|bearer)(?:\.sig)?[\"']?\s*[:= ]\s*[\"']?([A-Za-z0-9_.~+/-]{16,})"
)
_RUN = re.compile(r"[A-Za-z0-9_-]{16,}")
_REQUEST_SECRETS = (b"x-csrf-token", b"qlik-csrf-token")
_QUERY_SECRETS = ("qlik-csrf-token", "accesstoken")
# OAuth bodies (requests and answers of /oauth/* and /api/v1/oauth-clients) carry these
_BODY_SECRETS = (
    "access_token",
    "refresh_token",
    "subject_token",
    "token",
    "client_secret",
    "clientSecret",
)
OAUTH_PATHS = ("/oauth/", "/api/v1/oauth-clients")
# cookies whose value is public by design: the interactive login's state travels in the URL
_PUBLIC_COOKIES = ("eas.rfp.",)


def mask(text: str, secret: str) -> str:
    """``text`` around ``secret``, with the secret shortened to its first 4 characters."""
    at = text.find(secret)
    start = max(0, at - 60)
    shown = text[start:at] + secret[:4] + "…" + text[at + len(secret) : at + len(secret) + 60]
    return shown.replace("\n", "⏎")


@dataclass(frozen=True)
class Finding:
    """One leak: what kind of secret, where (logger or process) and a masked excerpt."""

    kind: str
    source: str
    excerpt: str

    def __str__(self) -> str:
        return f"{self.kind} in {self.source}: {self.excerpt}"


class SecretScan:
    """Collects log text and the run's secrets; :meth:`findings` reports every leak."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.secrets: set[str] = set()
        self.texts: list[tuple[str, str]] = []

    # --- what the run logged ------------------------------------------------------------
    def record(self, source: str, text: str) -> None:
        self.texts.append((source, text))  # list.append is atomic: no lock on the hot path

    # --- the secrets the run handed out ---------------------------------------------------
    def remember(self, value: str) -> None:
        """Keep ``value`` as a secret when it is long and varied enough to be one."""
        if len(value) >= MIN_SECRET and len(set(value)) >= MIN_DISTINCT:
            with self._lock:
                self.secrets.add(value)

    def harvest_request(self, headers: Iterable[tuple[bytes, bytes]], query: bytes) -> None:
        """Bearer credentials, cookies and CSRF tokens a client sent."""
        for name, value in headers:
            if name == b"authorization" and value[:7].lower() == b"bearer ":
                self.remember(value[7:].decode("latin-1").strip())
            elif name == b"cookie":
                for pair in value.decode("latin-1").split(";"):
                    self._remember_cookie(pair)
            elif name in _REQUEST_SECRETS:
                self.remember(value.decode("latin-1").strip())
        for key, value in parse_qsl(query.decode("latin-1")):
            if key.lower() in _QUERY_SECRETS:
                self.remember(value)

    def harvest_body(self, body: bytes) -> None:
        """OAuth client secrets and access tokens in a JSON or form body of an OAuth path."""
        text = body.decode("utf-8", "replace")
        try:
            fields = json.loads(text)
        except (ValueError, RecursionError):  # a form, or a hostile body a test sends
            fields = dict(parse_qsl(text))
        if isinstance(fields, dict):
            for name in _BODY_SECRETS:
                value = fields.get(name)
                if isinstance(value, str):
                    self.remember(value)

    def harvest_response(self, headers: Iterable[tuple[bytes, bytes]]) -> None:
        """Cookie values and CSRF tokens a server handed out."""
        for name, value in headers:
            if name == b"set-cookie":
                self._remember_cookie(value.decode("latin-1").split(";", 1)[0])
            elif name == b"qlik-csrf-token":
                self.remember(value.decode("latin-1").strip())

    def _remember_cookie(self, pair: str) -> None:
        name, _, value = pair.partition("=")
        if not name.strip().startswith(_PUBLIC_COOKIES):
            self.remember(value.strip().strip('"'))

    # --- the verdict -------------------------------------------------------------------
    def findings(self) -> list[Finding]:
        found: list[Finding] = []
        index: dict[str, list[str]] = {}
        for secret in list(self.secrets):
            index.setdefault(secret[:MIN_SECRET], []).append(secret)
        for source, text in list(self.texts):
            found.extend(self.scan(source, text, index))
        return found

    @staticmethod
    def scan(source: str, text: str, index: dict[str, list[str]] | None = None) -> list[Finding]:
        """Every leak in one text; ``index`` maps secrets' first 16 characters to them."""
        found = []
        for match in _PEM.finditer(text):
            found.append(Finding("private key PEM", source, mask(text, match.group(0))))
        for match in _JWT.finditer(text):
            found.append(Finding("whole JWT", source, mask(text, match.group(0))))
        for match in _NAMED.finditer(text):
            found.append(Finding("named secret", source, mask(text, match.group(1))))
        if index:
            for match in _RUN.finditer(text):
                run = match.group(0)
                for start in range(len(run) - MIN_SECRET + 1):
                    for secret in index.get(run[start : start + MIN_SECRET], ()):
                        if run.startswith(secret, start):
                            found.append(Finding("secret value", source, mask(text, secret)))
        return found
