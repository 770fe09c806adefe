"""The emulator's ``POST /login/jwt-session`` against the raw RSA verification it performs.

In one run, interleaved rounds:
- raw: ``public_key.verify`` (cryptography directly) of a token's signature, one thread,
  so per core;
- logins: ``qlik-jwt emulator`` (a real process, state in an SQLite file, provisioned over
  its REST API by :mod:`qlik_jwt.admin`) under wrk at ``--connections`` keep-alive
  connections for a fixed duration. Every request carries its own pre-minted token (a new
  ``jti``; 100 subjects in turn, group ``Finance``), so each one is a full login: every
  check of the reference's order, the user refreshed, the ``jti`` recorded, a new session.
  The Tier 2 rate limit is raised out of the way; any refusal fails the run.

Logins are compared per CPU-second the emulator used (its process's CPU time), which is the
per-core figure whatever else the machine was doing.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from tests.support.servers import ServerProcess, free_port

from bench.loadgen import Load, Target, median_load, missing_tools, run_wrk, spread, wrk_script
from bench.machine import print_facts, rates
from qlik_jwt import jws, keys
from qlik_jwt.admin import TenantClient, enable_auto_create_groups, ensure_identity_provider
from qlik_jwt.signer import TokenSigner, UserClaims

__all__ = ["main"]

ISSUER = "bench.qlik-jwt.local"
KEY_ID = "bench-kid"
SUBJECTS = 100
TARGET = 0.5
NO_LIMIT = 1_000_000_000  # Tier 2 requests per minute: out of the way

# One pre-minted token per request, read from the file named after wrk's "--".
TOKENS_LUA = """
local tokens, next_token = {}, 0
init = function(args)
  for line in io.lines(args[1]) do tokens[#tokens + 1] = line end
end
request = function()
  next_token = next_token + 1
  local token = tokens[next_token] or "exhausted"
  return wrk.format(nil, nil, {["Authorization"] = "Bearer " .. token})
end
"""


class Tenant:
    """A ``qlik-jwt emulator`` process holding a JWT identity provider for ``signer``."""

    def __init__(self, workdir: Path, signer: TokenSigner, key: RSAPrivateKey) -> None:
        self.workdir = workdir
        self.signer = signer
        self.admin_key = secrets.token_urlsafe(24)
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.server = ServerProcess(
            [
                sys.executable, "-m", "qlik_jwt", "emulator", "--port", str(port),
                "--db", str(workdir / "emulator.sqlite3"), "--admin-key", self.admin_key,
                "--tier2-limit", str(NO_LIMIT), "--log-level", "warning",
            ],
            f"{self.url}/openapi.json",
            cwd=workdir,
        ).start()  # fmt: skip
        certificate = keys.certificate_pem(keys.self_signed_certificate(key, common_name=ISSUER))
        with TenantClient(self.url, api_key=self.admin_key) as client:
            ensure_identity_provider(
                client, issuer=ISSUER, key_id=KEY_ID, certificate_pem=certificate
            )
            enable_auto_create_groups(client)
        self.rounds = 0

    def tokens(self, count: int) -> Path:
        """A file of ``count`` fresh tokens, one per line (subjects in turn)."""
        users = [
            UserClaims(f"bench|{n}", f"Bench User {n}", f"user{n}@example.com", True, ("Finance",))
            for n in range(SUBJECTS)
        ]
        self.rounds += 1
        path = self.workdir / f"tokens-{self.rounds}.txt"
        path.write_text("\n".join(self.signer.mint(users[n % SUBJECTS]) for n in range(count)))
        return path

    def load(self, seconds: float, connections: int, expected_rate: float) -> Load:
        """One round of logins, with tokens for twice the expected rate."""
        count = int(expected_rate * seconds * 2) + 2000
        script = wrk_script(self.workdir / "login.lua", "POST", {}, TOKENS_LUA)
        target = Target(
            "jwt-session logins",
            f"{self.url}/login/jwt-session",
            script,
            (self.server,),
            (str(self.tokens(count)),),
        )
        return run_wrk(target, seconds, connections)

    def stop(self) -> None:
        self.server.stop()


@dataclass(frozen=True)
class Verifications:
    """Raw RSA verification over one round: per second of wall time, per CPU-second."""

    rate: float
    per_cpu_second: float


def measure(
    bits: int, seconds: float, rounds: int, connections: int
) -> tuple[list[Verifications], list[Load]]:
    """Interleaved rounds: raw verification in this thread, then logins under wrk."""
    key = keys.generate_private_key(bits)
    signer = TokenSigner(key, KEY_ID, ISSUER)  # 60 s tokens, minted just before each round
    token = jws.decode(signer.mint(UserClaims("bench|0", "B", "b@example.com", True)))
    public_key = key.public_key()

    def raw() -> object:
        pkcs1, sha256 = padding.PKCS1v15(), hashes.SHA256()
        return public_key.verify(token.signature, token.signing_input, pkcs1, sha256)

    verifications: list[Verifications] = []
    logins: list[Load] = []
    with tempfile.TemporaryDirectory(prefix="qlik-jwt-bench-") as tmp:
        tenant = Tenant(Path(tmp), signer, key)
        try:
            expected = tenant.load(1, connections, 1000).rate  # warm-up and calibration
            for _ in range(rounds):
                verifications.append(Verifications(*rates(raw, seconds)))
                logins.append(tenant.load(seconds, connections, expected))
                expected = logins[-1].rate
        finally:
            tenant.stop()
    return verifications, logins


def report(verifications: list[Verifications], logins: list[Load], heading: str) -> bool:
    """Print the table and the target; True when it is met."""
    login = median_load(logins)
    raw_rate = statistics.median(v.rate for v in verifications)
    raw_cpu = statistics.median(v.per_cpu_second for v in verifications)
    raw_cores = statistics.median(v.rate / v.per_cpu_second for v in verifications)
    per_cpu = statistics.median(x.per_cpu_second for x in logins)
    per_round = [
        x.per_cpu_second / v.per_cpu_second for x, v in zip(logins, verifications, strict=True)
    ]
    ratio = statistics.median(per_round)
    print(heading)
    print("| case | per second | spread | p50 ms | p99 ms | CPU cores used | per CPU-second |")
    print("|---|---|---|---|---|---|---|")
    print(
        f"| raw RSA verify (cryptography, 1 thread) | {raw_rate:,.0f} "
        f"| {spread([v.rate for v in verifications])} | | | {raw_cores:.2f} | {raw_cpu:,.0f} |"
    )
    print(
        f"| emulator jwt-session logins | {login.rate:,.0f} "
        f"| {spread([x.rate for x in logins])} | {login.p50_ms:.1f} | {login.p99_ms:.1f} "
        f"| {login.cores:.2f} | {per_cpu:,.0f} |"
    )
    met = ratio >= TARGET
    print(
        f"target: emulator logins >= {TARGET} x raw verification per core: "
        f"{'met' if met else 'MISSED'} ({ratio:.3f}; per round "
        f"{', '.join(f'{r:.3f}' for r in per_round)})"
    )
    print(
        f"- per login: {1e6 / per_cpu:,.0f} us of CPU, of which one RSA verification "
        f"{1e6 / raw_cpu:,.0f} us"
    )
    return met


def main(argv: list[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0, help="per case and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--bits", type=int, default=2048)
    args = parser.parse_args(argv)
    if missing_tools("wrk"):
        print("emulator_login: wrk not found: run `make bench-deps`")
        return False
    verifications, logins = measure(args.bits, args.seconds, args.rounds, args.connections)
    met = report(
        verifications,
        logins,
        f"## emulator_login  (RSA-{args.bits}, wrk 1 thread, c={args.connections}, "
        f"{args.seconds:.0f} s per case, median of {args.rounds} interleaved rounds)",
    )
    print_facts(("wrk", "--version"))
    return met


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
