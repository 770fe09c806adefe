"""``qlik-jwt rotate-key``: a new key under continuous logins, and not one of them fails."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from qlik_jwt.admin import TenantClient
from qlik_jwt.admin.connect import signer_from_settings
from qlik_jwt.admin.identity_providers import list_jwt_providers, provider_key_id
from qlik_jwt.admin.rotation import STEPS, VERIFY_SUBJECT_PREFIX, rotate_key
from qlik_jwt.cli import app
from qlik_jwt.emulator import EmulatorOptions
from qlik_jwt.env_file import update_env_file
from qlik_jwt.errors import ConfigurationError, TenantHTTPError
from qlik_jwt.settings import Settings
from qlik_jwt.signer import TokenSigner, UserClaims
from tests.integration.admin.conftest import run_cli
from tests.support.emulator import RunningEmulator, running_emulator

runner = CliRunner()
USER = UserClaims("app|42", "Ada Lovelace", "ada@example.com", True)
WORKERS = 3
WAIT = 30.0  # seconds a hook may wait for logins before the test fails


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    """An emulator whose jwt-session rate limit does not stop continuous logins."""
    with running_emulator(options=EmulatorOptions(tier2_per_minute=1_000_000)) as running:
        yield running


@pytest.fixture
def provisioned(emulator: RunningEmulator, env_file: Path) -> Path:
    result = runner.invoke(app, ["setup"])
    assert result.exit_code == 0, result.output
    return env_file


class ContinuousLogins:
    """Worker threads that log in over and over, like a web app, with the current signer.

    Each login mints a fresh token with whichever signer is current when it starts, posts
    it to ``/login/jwt-session`` and records the outcome. ``generation`` counts switches,
    so the test knows when no login signed with the old key is still in flight.
    """

    def __init__(self, url: str, signer: TokenSigner) -> None:
        self.url = url
        self.signer = signer
        self.generation = 0
        self.ok = 0
        self.failures: list[tuple[int, str, str]] = []
        self.finished_generation = [-1] * WORKERS
        self.changed = threading.Condition()
        self.stopping = threading.Event()
        self.threads = [
            threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(WORKERS)
        ]

    def _run(self, worker: int) -> None:
        with httpx.Client(base_url=self.url, timeout=10) as http:
            while not self.stopping.is_set():
                with self.changed:
                    signer, generation = self.signer, self.generation
                token = signer.mint(USER)
                answer = http.post(
                    "/login/jwt-session", headers={"Authorization": f"Bearer {token}"}
                )
                with self.changed:
                    if answer.status_code == 200:
                        self.ok += 1
                    else:
                        self.failures.append((answer.status_code, answer.text, signer.key_id))
                    self.finished_generation[worker] = generation
                    self.changed.notify_all()

    def __enter__(self) -> ContinuousLogins:
        for thread in self.threads:
            thread.start()
        self.logins_pass(5)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(WAIT)

    def logins_pass(self, count: int) -> None:
        """Block until ``count`` more logins have succeeded."""
        with self.changed:
            target = self.ok + count
            assert self.changed.wait_for(lambda: self.ok >= target or self.failures, WAIT)

    def switch(self, signer: TokenSigner) -> None:
        with self.changed:
            self.signer = signer
            self.generation += 1

    def drain(self, seconds: float) -> None:
        """Instead of sleeping: wait until every worker finished a login with the new key."""
        self.drain_asked = seconds
        with self.changed:
            assert self.changed.wait_for(
                lambda: min(self.finished_generation) == self.generation, WAIT
            )


def test_rotation_under_continuous_logins_loses_none(
    emulator: RunningEmulator, provisioned: Path, tmp_path: Path
) -> None:
    old_signer = signer_from_settings(Settings.load(env_file=provisioned))
    steps: list[str] = []
    with TenantClient(emulator.url, api_key=emulator.admin_key) as admin:
        with ContinuousLogins(emulator.url, old_signer) as logins:

            def on_step(name: str) -> None:
                steps.append(name)
                logins.logins_pass(5)  # logins keep succeeding at every step

            result = rotate_key(
                admin,
                env_file=provisioned,
                key_dir=tmp_path / "new-key",
                bits=2048,
                on_step=on_step,
                on_switch=logins.switch,
                drain=logins.drain,
            )
            logins.logins_pass(5)
        assert logins.failures == []
        assert logins.ok >= 5 * (len(STEPS) + 2)
        assert steps == list(STEPS)
        assert logins.drain_asked == 60 + 5  # token lifetime + the provider's tolerance

        assert [provider_key_id(p) for p in list_jwt_providers(admin)] == [result.new_key_id]
        users = admin.paginate("/api/v1/users", params={"limit": 100})
        assert not [u for u in users if u["subject"].startswith(VERIFY_SUBJECT_PREFIX)]
    assert result.old_key_id == old_signer.key_id and result.retired
    settings = Settings.load(env_file=provisioned)
    assert settings.key_id == result.new_key_id
    assert settings.private_key is not None
    assert settings.private_key.get_secret_value() == str(result.private_key.resolve())
    assert provisioned.read_text().startswith("# written by the test\n")

    with emulator.client() as http:
        stale = http.post(
            "/login/jwt-session", headers={"Authorization": f"Bearer {old_signer.mint(USER)}"}
        )
        assert stale.status_code == 401
        fresh = signer_from_settings(settings).mint(USER)
        assert http.post(
            "/login/jwt-session", headers={"Authorization": f"Bearer {fresh}"}
        ).is_success


def test_a_provider_tolerance_of_zero_is_kept_by_the_new_provider(
    emulator: RunningEmulator, env_file: Path, tmp_path: Path
) -> None:
    """0 is a tolerance, not a missing one: the settings' 5 s must not replace it."""
    update_env_file(env_file, {"QLIK_CLOCK_TOLERANCE": "0"})
    assert runner.invoke(app, ["setup"]).exit_code == 0
    update_env_file(env_file, {"QLIK_CLOCK_TOLERANCE": "5"})
    waited: list[float] = []
    with TenantClient(emulator.url, api_key=emulator.admin_key) as admin:
        result = rotate_key(
            admin,
            env_file=env_file,
            key_dir=tmp_path / "new",
            bits=2048,
            keep_old=True,
            drain=waited.append,
        )
        new = admin.get(f"/api/v1/identity-providers/{result.new_provider_id}")
    assert new["clockToleranceSec"] == 0
    assert waited == [60.0]  # the token lifetime, with no tolerance added


def test_a_failed_verification_undoes_the_rotation(
    emulator: RunningEmulator, provisioned: Path, tmp_path: Path
) -> None:
    before = provisioned.read_text()
    emulator.admin.put(
        "/_emulator/faults",
        json={"errors": [{"path": "/login/jwt-session", "status": 503, "count": 1}]},
    ).raise_for_status()
    with TenantClient(emulator.url, api_key=emulator.admin_key) as admin:
        old_ids = [p["id"] for p in list_jwt_providers(admin)]
        with pytest.raises(TenantHTTPError) as caught:
            rotate_key(admin, env_file=provisioned, key_dir=tmp_path / "new", bits=2048)
        assert caught.value.status == 503
        assert [p["id"] for p in list_jwt_providers(admin)] == old_ids
    assert provisioned.read_text() == before
    assert list((tmp_path / "new").iterdir()) == []


def test_a_failed_confirmation_restores_the_settings_file(
    emulator: RunningEmulator, provisioned: Path, tmp_path: Path
) -> None:
    before = provisioned.read_text()

    def on_step(name: str) -> None:
        if name == "confirm":  # the file is switched; now make the next login fail
            emulator.admin.put(
                "/_emulator/faults",
                json={"errors": [{"path": "/login/jwt-session", "status": 503, "count": 1}]},
            ).raise_for_status()

    with TenantClient(emulator.url, api_key=emulator.admin_key) as admin:
        with pytest.raises(TenantHTTPError):
            rotate_key(
                admin, env_file=provisioned, key_dir=tmp_path / "new", bits=2048, on_step=on_step
            )
        assert len(list_jwt_providers(admin)) == 1
    assert provisioned.read_text() == before


def test_keys_set_in_the_environment_are_refused_before_any_change(
    emulator: RunningEmulator, provisioned: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QLIK_KEY_ID", "pinned")
    with TenantClient(emulator.url, api_key=emulator.admin_key) as admin:
        with pytest.raises(ConfigurationError) as caught:
            rotate_key(admin, env_file=provisioned, key_dir=tmp_path / "new", bits=2048)
        assert caught.value.field == "QLIK_KEY_ID"
        assert len(list_jwt_providers(admin)) == 1
    assert not (tmp_path / "new").exists()


def test_nothing_to_rotate_without_a_provider(emulator: RunningEmulator, env_file: Path) -> None:
    result = runner.invoke(app, ["rotate-key", "--bits", "2048", "--grace", "0"])
    assert result.exit_code == 2
    assert "qlik-jwt setup" in result.output


def test_the_cli_rotates_and_keeps_the_old_provider_when_asked(
    emulator: RunningEmulator, provisioned: Path, tmp_path: Path
) -> None:
    result = runner.invoke(
        app,
        [
            "rotate-key",
            "--bits",
            "2048",
            "--grace",
            "0",
            "--keep-old",
            "--out",
            str(tmp_path / "k"),
        ],
    )
    assert result.exit_code == 0, result.output
    for name in STEPS[:-1]:
        assert name in result.output
    assert "kept" in result.output
    assert len(emulator.admin.get("/api/v1/identity-providers").json()["data"]) == 2
    assert (tmp_path / "k" / "private.pem").stat().st_mode & 0o077 == 0


def test_rotate_key_as_a_subprocess(emulator: RunningEmulator, provisioned: Path) -> None:
    old_kid = signer_from_settings(Settings.load(env_file=provisioned)).key_id
    done = run_cli(provisioned.parent, "rotate-key", "--bits", "2048", "--grace", "0")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "retired" in done.stdout
    new_kid = Settings.load(env_file=provisioned).key_id
    assert new_kid and new_kid != old_kid
    kids = [
        p["options"]["staticKeys"][0]["kid"]
        for p in emulator.admin.get("/api/v1/identity-providers").json()["data"]
    ]
    assert kids == [new_kid]
