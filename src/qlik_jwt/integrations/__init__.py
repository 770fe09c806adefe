"""Drop-in Qlik embedding for web apps you already have: FastAPI/Starlette, Flask, Django.

Each module mounts ``/qlik/config``, ``/qlik/token`` and ``/qlik/static/{name}`` (the front
end's ES modules) into the host app (FastAPI in proxy mode: Qlik's own paths forwarded
instead of ``/qlik/token``), takes one function mapping the host's current user to
:class:`~qlik_jwt.signer.UserClaims` (``None`` → 401), reuses the host's own session,
authentication and CSRF protection, and renders the embedding page's parts
(:class:`~qlik_jwt.embedding.page.EmbedFragment`) for the host's templates. The rules are
the web app's (:mod:`qlik_jwt.embedding`): same origin, ``Cache-Control: no-store``, the
per-user rate limit and the same audit line.

- :mod:`qlik_jwt.integrations.fastapi`: an ``APIRouter`` (FastAPI is a core dependency).
- :mod:`qlik_jwt.integrations.flask`: a ``Blueprint``; install ``qlik-jwt[flask]``.
- :mod:`qlik_jwt.integrations.django`: URL patterns; install ``qlik-jwt[django]``.

This package imports no framework itself: import the module for yours.
"""

from __future__ import annotations

__all__: list[str] = []
