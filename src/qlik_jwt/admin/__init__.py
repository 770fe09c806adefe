"""Provisioning and diagnostics over a Qlik Cloud tenant's REST APIs.

Works against a real tenant and the emulator alike. :class:`TenantClient` speaks HTTP;
each resource module plans and ensures one kind of tenant resource (identity providers,
web integrations, CSP origins, groups, spaces); :mod:`~qlik_jwt.admin.setup`,
:mod:`~qlik_jwt.admin.doctor` and :mod:`~qlik_jwt.admin.rotation` compose them into the
``setup``, ``doctor`` and ``rotate-key`` commands.
"""

from __future__ import annotations

from qlik_jwt.admin.client import TenantClient
from qlik_jwt.admin.connect import client_from_settings, signer_from_settings
from qlik_jwt.admin.csp_origins import ensure_csp_origin
from qlik_jwt.admin.groups import enable_auto_create_groups
from qlik_jwt.admin.identity_providers import ensure_identity_provider
from qlik_jwt.admin.login import LoginResult, jwt_login
from qlik_jwt.admin.plan import Step
from qlik_jwt.admin.spaces import app_space_id, grant_group_to_space
from qlik_jwt.admin.web_integrations import ensure_web_integration

__all__ = [
    "LoginResult",
    "Step",
    "TenantClient",
    "app_space_id",
    "client_from_settings",
    "enable_auto_create_groups",
    "ensure_csp_origin",
    "ensure_identity_provider",
    "ensure_web_integration",
    "grant_group_to_space",
    "jwt_login",
    "signer_from_settings",
]
