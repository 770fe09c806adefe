"""A page view's Qlik credential with OAuth impersonation, against the JWT route's.

In one run, against the emulator on loopback (in this process, state in memory):
- cached: ``ImpersonationClient.access_token`` for a user whose token is cached (a page
  view or reload after the first);
- mint: ``TokenSigner.mint`` (2048-bit key), the JWT route's cost per token, the peer;
- grant: a new impersonation grant (``POST /oauth/token`` over loopback HTTP, the user
  looked up in the Users API first), what an uncached page view would cost.

Then the grants a burst of page views costs: ``--users`` users, each viewing
``--views`` pages from 8 threads at once. The target: one grant per user, none on a reload.
"""

from __future__ import annotations

import argparse
import statistics
import threading

from tests.support.emulator import running_emulator

from bench.machine import print_facts, rates
from qlik_jwt import ImpersonationClient, keys
from qlik_jwt.admin.client import TenantClient
from qlik_jwt.emulator import EmulatorOptions
from qlik_jwt.signer import TokenSigner, UserClaims

__all__ = ["main"]

NO_LIMIT = 1_000_000_000


def person(n: int) -> UserClaims:
    return UserClaims(f"bench|{n}", f"User {n}", f"user{n}@example.com", True, ("Finance",))


def burst(client: ImpersonationClient, users: int, views: int) -> int:
    """Page views of ``users`` users, ``views`` each, from 8 threads; the grants they cost."""
    before = client.grants
    people = [person(1000 + n) for n in range(users)]
    work = [p for p in people for _ in range(views)]
    lock = threading.Lock()

    def view() -> None:
        while True:
            with lock:
                if not work:
                    return
                user = work.pop()
            client.access_token(user)

    threads = [threading.Thread(target=view) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return client.grants - before


def main(argv: list[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=1.0, help="per case and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--views", type=int, default=25)
    args = parser.parse_args(argv)
    options = EmulatorOptions(oauth_max_tokens_per_user=NO_LIMIT, tier2_per_minute=NO_LIMIT)
    with running_emulator(options=options) as tenant:
        client_id, secret = tenant.create_oauth_client()
        admin = TenantClient(tenant.url, api_key=tenant.admin_key)
        client = ImpersonationClient(tenant.url, client_id, secret, admin=admin)
        signer = TokenSigner(keys.generate_private_key(2048), "kid", "bench.example.com")
        cached_user = person(1)
        client.access_token(cached_user)
        fresh = person(2)

        def grant() -> object:
            token = client.access_token(fresh)
            client.discard(token)
            return token

        cases = {
            "cached": lambda: client.access_token(cached_user),
            "mint": lambda: signer.mint(cached_user),
            "grant": grant,
        }
        samples: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.rounds):
            for name, work in cases.items():
                samples[name].append(rates(work, args.seconds)[0])
        rate = {name: statistics.median(values) for name, values in samples.items()}
        grants = burst(client, args.users, args.views)
        reload_grants = burst(client, args.users, args.views)
        client.close()
        admin.close()
    views = args.users * args.views
    ok = grants == args.users and reload_grants == 0 and rate["cached"] > rate["mint"]
    print(f"## impersonation  (wall-clock calls/s, median of {args.rounds} interleaved rounds)")
    print(
        "| cached access_token/s | TokenSigner.mint/s | grant/s | cached / mint | cached / grant |"
    )
    print("|---|---|---|---|---|")
    print(
        f"| {rate['cached']:,.0f} | {rate['mint']:,.0f} | {rate['grant']:,.0f} "
        f"| {rate['cached'] / rate['mint']:,.1f} | {rate['cached'] / rate['grant']:,.0f} |"
    )
    print()
    print(
        f"page views: {views} ({args.users} users x {args.views}, 8 threads): {grants} grants "
        f"({grants / views:.3f} per view); the same again (reloads): {reload_grants} grants; "
        "tokens cached per user: 1"
    )
    verdict = "met" if ok else "MISSED"
    print(f"target: one grant per user, none on reloads, cached faster than mint: {verdict}")
    print_facts()
    return ok


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
