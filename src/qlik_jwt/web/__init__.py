"""The embedding web app: host-app sign-in, ``/config``, ``/token`` (direct mode), the Qlik
proxy (proxy mode, :mod:`qlik_jwt.web.proxy`) and the front end.

Use :func:`create_app`; integrators with their own authentication pass ``identify=`` (see
:mod:`qlik_jwt.web.identity`).
"""

from __future__ import annotations

from qlik_jwt.web.app import create_app, required_settings
from qlik_jwt.web.identity import Identify, SessionIdentity
from qlik_jwt.web.users import DEMO_USERS, DemoUser, User, UserStore

__all__ = [
    "DEMO_USERS",
    "DemoUser",
    "Identify",
    "SessionIdentity",
    "User",
    "UserStore",
    "create_app",
    "required_settings",
]
