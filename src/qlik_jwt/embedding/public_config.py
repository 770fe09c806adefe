"""The settings a browser needs to reach the tenant, and nothing else.

Never the issuer, the key id, the key, or any host-app secret: these would tell an attacker
exactly which identity provider to forge tokens for.
"""

from __future__ import annotations

from pydantic import BaseModel

from qlik_jwt.settings import LoginMode, Settings

__all__ = ["PublicConfig", "public_config"]


class PublicConfig(BaseModel):
    """The public part of the settings, in the browser's spelling."""

    tenantUrl: str | None
    webIntegrationId: str | None
    appId: str | None
    objectId: str | None
    sheetId: str | None
    chartObjectIds: list[str]
    loginMode: LoginMode


def public_config(settings: Settings) -> PublicConfig:
    return PublicConfig(
        tenantUrl=settings.tenant_url,
        webIntegrationId=settings.web_integration_id,
        appId=settings.app_id,
        objectId=settings.object_id,
        sheetId=settings.sheet_id,
        chartObjectIds=settings.chart_object_ids,
        loginMode=settings.login_mode,
    )
