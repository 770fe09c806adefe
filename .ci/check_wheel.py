"""Build the wheel, install it in a fresh virtualenv outside the repository, and check that
``qlik-jwt`` works from it: ``--version``, ``--help``, ``keygen``, ``token``, ``inspect`` and
``emulator`` (started on a free port, asked once over HTTP, stopped).

``make test-wheel`` runs it (``make test`` too); it needs ``make node-deps`` first, since
the wheel carries Qlik's JavaScript copied from node_modules.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run(*command: str | Path, cwd: Path, stdin: str | None = None) -> str:
    done = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{command[0]} {command[1]} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


def check_emulator(cli: Path, cwd: Path) -> str:
    """Start ``qlik-jwt emulator`` on a free port; its URL once it answers, then stop it."""
    process = subprocess.Popen(
        [str(cli), "emulator", "--port", "0", "--db", ":memory:"],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        found = re.search(r"serving on (http://\S+)", banner)
        if found is None:
            raise SystemExit(f"qlik-jwt emulator printed {banner!r}")
        url = found.group(1)
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/v1/csrf-token", timeout=5)  # noqa: S310
            except urllib.error.HTTPError as answer:
                if answer.code != 401:  # no session: Qlik's 401
                    raise SystemExit(f"csrf-token answered {answer.code}") from None
                return url
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("qlik-jwt emulator never answered") from None
                time.sleep(0.2)
            else:
                raise SystemExit("csrf-token answered 2xx without a session")
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="qlik-jwt-wheel-") as folder:
        work = Path(folder)
        run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", work, REPO, cwd=work)
        wheel = next(work.glob("qlik_jwt-*.whl"))
        run(sys.executable, "-m", "venv", work / "venv", cwd=work)
        run(work / "venv/bin/python", "-m", "pip", "install", "-q", wheel, cwd=work)
        cli = work / "venv/bin/qlik-jwt"
        print(run(cli, "--version", cwd=work).strip())
        assert "keygen" in run(cli, "--help", cwd=work)
        run(cli, "keygen", "--out", "keys", "--bits", "2048", "--issuer", "wheel.example", cwd=work)
        user = ("--sub", "app|1", "--name", "Ada", "--email", "ada@example.com")
        key = ("--key", "keys/private.pem", "--issuer", "wheel.example")
        token = run(cli, "token", *key, *user, cwd=work)
        report = run(cli, "inspect", "-", "--cert", "keys/certificate.pem", cwd=work, stdin=token)
        assert "signature verifies" in report, report
        print("emulator answered at", check_emulator(cli, work))
        print(f"the wheel works outside the repository: {wheel.name}")


if __name__ == "__main__":
    main()
