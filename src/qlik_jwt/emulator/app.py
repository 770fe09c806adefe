"""``create_app``: one emulated tenant as a FastAPI application. Only assembles the parts."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

from fastapi import FastAPI

from qlik_jwt.emulator.engine import SampleApp, sample_apps
from qlik_jwt.emulator.errors import document_errors, install_error_handlers
from qlik_jwt.emulator.faults import Faults
from qlik_jwt.emulator.middleware.body_limit import BodyLimitMiddleware
from qlik_jwt.emulator.middleware.cors import CorsMiddleware, OriginGate
from qlik_jwt.emulator.middleware.faults import FaultsMiddleware, LatencyMiddleware
from qlik_jwt.emulator.middleware.hosts import host_gate
from qlik_jwt.emulator.middleware.rate_limit import RateLimitMiddleware
from qlik_jwt.emulator.options import EmulatorOptions
from qlik_jwt.emulator.routes import (
    control,
    csp_origins,
    engine,
    identity_providers,
    login,
    oauth,
    oauth_clients,
    session,
    single,
    spaces,
    users,
    web_integrations,
)
from qlik_jwt.emulator.state.users import DirectoryUser
from qlik_jwt.emulator.tenant import EmulatedTenant, OAuthClient
from qlik_jwt.served_hosts import ServedHosts

__all__ = ["create_app"]


def create_app(
    options: EmulatorOptions | None = None,
    *,
    db: str = ":memory:",
    admin_key: str | None = None,
    oauth_client: OAuthClient | None = None,
    clock: Callable[[], float] = time.time,
    faults: Faults | None = None,
    apps: Sequence[SampleApp] | None = None,
    sign_in_users: Sequence[DirectoryUser] = (),
    host_names: Sequence[str] = (),
) -> FastAPI:
    """An emulated Qlik Cloud tenant with its state in ``db`` (a file, or ``":memory:"``).

    ``admin_key`` and ``oauth_client`` are generated when not given (read them back from
    ``app.state.tenant``). ``clock`` returns UNIX time; every time rule uses it. ``apps``
    defaults to the engine's sample apps. Requests are answered for IP addresses,
    ``localhost``, the name the emulator listens on and ``host_names`` (``*``: any), others
    get 421 (:mod:`qlik_jwt.served_hosts`). Raises
    ConfigurationError for bad options or host names and ``sqlite3.Error`` for an unusable
    database file.
    """
    options = options or EmulatorOptions()
    hosts = ServedHosts.from_names(host_names, field="--host-name")
    tenant = EmulatedTenant(
        options,
        db=db,
        apps=sample_apps() if apps is None else apps,
        admin_key=admin_key,
        oauth_client=oauth_client,
        clock=clock,
        faults=faults,
        directory=sign_in_users,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        tenant.close()

    app = FastAPI(
        title="Qlik Cloud tenant emulator",
        summary="An offline stand-in for a Qlik Cloud tenant's JWT, session and embedding APIs.",
        version="1",
        lifespan=lifespan,
        redoc_url=None,
    )
    app.state.tenant = tenant
    install_error_handlers(app)
    document_errors(app)
    for module in (
        login,
        session,
        identity_providers,
        web_integrations,
        csp_origins,
        users,
        spaces,
        oauth,
        oauth_clients,
        engine,
        single,
        control,
    ):
        app.include_router(module.router)
    # Added innermost first: requests meet the host gate, the latency fault, CORS, the faults,
    # rate limit, the origin gate and the body limit.
    app.add_middleware(BodyLimitMiddleware, tenant=tenant)
    app.add_middleware(OriginGate, tenant=tenant)
    app.add_middleware(RateLimitMiddleware, tenant=tenant)
    app.add_middleware(FaultsMiddleware, tenant=tenant)
    app.add_middleware(CorsMiddleware, tenant=tenant)
    app.add_middleware(LatencyMiddleware, tenant=tenant)
    app.add_middleware(host_gate, tenant=tenant, hosts=hosts)
    return app
