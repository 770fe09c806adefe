"""Token minting against the RSA signature itself, and against parsing the PEM per token.

For 2048- and 4096-bit keys, in one run and interleaved rounds:
- raw: ``private_key.sign`` (cryptography directly) over a token-sized signing input;
- mint: ``TokenSigner.mint`` (claims, contract pre-flight check, PyJWT encoding, signature);
- pem-per-call: ``jwt.encode`` given the PEM text each time, as Qlik's Python SDK does.
"""

from __future__ import annotations

import argparse
import statistics

import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from bench.machine import print_facts, rates
from qlik_jwt import keys
from qlik_jwt.signer import TokenSigner, UserClaims

USER = UserClaims("app|12345", "Example User", "user@example.com", True, ("Finance",))
TARGET = 0.9


def measure(bits: int, seconds: float, rounds: int) -> dict[str, float]:
    key = keys.generate_private_key(bits)
    pem = keys.private_key_pem(key).decode()
    signer = TokenSigner(key, "kid", "myorganization.com")
    signing_input = signer.mint(USER).rsplit(".", 1)[0].encode()

    def raw() -> object:
        return key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())

    def pem_per_call() -> object:
        return jwt.encode(signer.claims_for(USER), pem, algorithm="RS256", headers={"kid": "kid"})

    cases = {"raw": raw, "mint": lambda: signer.mint(USER), "pem-per-call": pem_per_call}
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, work in cases.items():
            budget = seconds if name != "pem-per-call" else seconds / 2
            samples[name].append(rates(work, budget)[1])
    return {name: statistics.median(values) for name, values in samples.items()}


def main(argv: list[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=1.0, help="per case and round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    print(
        f"## mint  (one thread, per CPU-second of it, median of {args.rounds} interleaved rounds)"
    )
    print(
        "| key | raw RSA sign/s | TokenSigner.mint/s | PEM parsed per call/s "
        "| mint / raw | mint / PEM-per-call |"
    )
    print("|---|---|---|---|---|---|")
    ok = True
    for bits in (2048, 4096):
        r = measure(bits, args.seconds, args.rounds)
        ratio = r["mint"] / r["raw"]
        ok = ok and ratio >= TARGET
        print(
            f"| RSA-{bits} | {r['raw']:,.0f} | {r['mint']:,.0f} | {r['pem-per-call']:,.1f} "
            f"| {ratio:.2f} | {r['mint'] / r['pem-per-call']:,.0f}x |"
        )
    print(f"target: mint >= {TARGET} x raw for both sizes: {'met' if ok else 'MISSED'}")
    print_facts()
    return ok


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
