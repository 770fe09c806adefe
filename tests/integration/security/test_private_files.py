"""Every file holding users, sessions, cookies, keys or secrets is its owner's only.

Under the usual umask (022, which leaves new files readable by everyone), the folders the
web app, the proxy session store, the emulator and the demo create are 0700 and their files
0600, SQLite's ``-wal`` and ``-shm`` included; an existing file readable by others is
reported at start.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from qlik_jwt.demo.state import DemoState
from qlik_jwt.emulator import create_app as create_emulator
from qlik_jwt.emulator.state.users import LoginProfile
from qlik_jwt.private_files import InsecureFileWarning
from qlik_jwt.web.database import Database
from qlik_jwt.web.proxy.sqlite_store import SqliteSessionStore
from tests.support.servers import ServerProcess, free_port, qlik_jwt_command
from tests.support.webapp import ADA, serve_environment, sign_in


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def assert_sqlite_private(database: Path) -> None:
    assert mode(database.parent) == 0o700, database.parent
    side_files = [database.with_name(database.name + side) for side in ("-wal", "-shm")]
    assert side_files[0].exists(), "no write reached the WAL"
    for path in (database, *side_files):
        if path.exists():
            assert mode(path) == 0o600, (path, oct(mode(path)))


def test_serve_creates_its_folder_and_databases_owner_only(key_dir: Path, tmp_path: Path) -> None:
    port = free_port()
    env = serve_environment(key_dir, port, tmp_path / "unused", web_mode="proxy")
    del env["QLIK_USERS_DB"]  # the defaults: .qlik-jwt/web.sqlite3, .qlik-jwt/proxy-sessions…
    base = f"http://127.0.0.1:{port}"
    serve = qlik_jwt_command("serve", "--demo-users")
    with ServerProcess(serve, f"{base}/healthz", env=env, cwd=tmp_path) as server:
        with httpx.Client(base_url=base) as client:
            assert sign_in(client, ADA.username, ADA.password).status_code == 303
        assert_sqlite_private(tmp_path / ".qlik-jwt" / "web.sqlite3")
        sessions = tmp_path / ".qlik-jwt" / "proxy-sessions.sqlite3"
        assert mode(sessions) == 0o600
        assert "readable by other users" not in server.output

    users_db = tmp_path / ".qlik-jwt" / "web.sqlite3"
    users_db.chmod(0o644)
    with ServerProcess(serve, f"{base}/healthz", env=env, cwd=tmp_path) as server:
        pass
    warning = "users database .qlik-jwt/web.sqlite3 is readable by other users (mode 644); run"
    assert warning in server.output


def test_the_emulator_state_and_its_folder_are_owner_only(tmp_path: Path) -> None:
    db = tmp_path / "new" / "state" / "emulator.sqlite3"
    app = create_emulator(db=str(db))
    tenant = app.state.tenant
    profile = LoginProfile("test|ada", "Ada", "ada@example.com", True, ["Finance"])
    tenant.sign_in(profile, now=tenant.now())
    assert mode(tmp_path / "new") == 0o700
    assert_sqlite_private(db)
    tenant.close()


def test_the_proxy_session_store_is_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "store" / "proxy-sessions.sqlite3"
    store = SqliteSessionStore(str(path), lifetime=60)
    assert mode(path.parent) == 0o700 and mode(path) == 0o600
    store.database.close()


def test_the_demo_folder_and_its_parents_are_owner_only(tmp_path: Path) -> None:
    state = DemoState(tmp_path / ".qlik-jwt" / "demo")
    state.prepare()
    state.admin_key()
    state.tls_certificate()
    assert mode(tmp_path / ".qlik-jwt") == 0o700 and mode(state.root) == 0o700
    assert mode(state.root / "admin-key") == 0o600
    assert mode(state.tls_dir) == 0o700


def test_an_existing_database_readable_by_others_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "web.sqlite3"
    Database(path).close()
    path.chmod(0o640)
    with pytest.warns(InsecureFileWarning, match=r"users database .*\(mode 640\).*chmod 600"):
        Database(path).close()
    assert mode(path) == 0o640  # reported, not changed behind the owner's back
