"""The framework-free parts of embedding Qlik in a web app.

Shared by the bundled web app (:mod:`qlik_jwt.web`, FastAPI) and the drop-in integrations
(:mod:`qlik_jwt.integrations`): the token endpoint's rules and audit line
(:mod:`~qlik_jwt.embedding.tokens`), forgery checks on header values
(:mod:`~qlik_jwt.embedding.forgery`), the per-user rate limit, the public configuration, the
embedding page's parts (:mod:`~qlik_jwt.embedding.page`) and the front end's static files.
Nothing here imports a web framework; each framework only adapts its request and response.
"""

from __future__ import annotations

from qlik_jwt.embedding.forgery import CSRF_HEADER, check_csrf_header, check_same_origin
from qlik_jwt.embedding.page import EmbedFragment, EmbedPage, Html
from qlik_jwt.embedding.public_config import PublicConfig, public_config
from qlik_jwt.embedding.ratelimit import RateLimiter
from qlik_jwt.embedding.refusals import WebError
from qlik_jwt.embedding.requirements import required_settings
from qlik_jwt.embedding.static import StaticFile, static_file
from qlik_jwt.embedding.tokens import AUDIT_LOGGER, TokenMinter

__all__ = [
    "AUDIT_LOGGER",
    "CSRF_HEADER",
    "EmbedFragment",
    "EmbedPage",
    "Html",
    "PublicConfig",
    "RateLimiter",
    "StaticFile",
    "TokenMinter",
    "WebError",
    "check_csrf_header",
    "check_same_origin",
    "public_config",
    "required_settings",
    "static_file",
]
