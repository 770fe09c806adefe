"""The minter's per-user hint (the integrations' ``qlikSessionLikely``): how long a mint is
remembered, and that stale entries are dropped without rebuilding the map on every mint."""

from __future__ import annotations

from pathlib import Path

from qlik_jwt.embedding.ratelimit import PRUNE_EVERY
from qlik_jwt.embedding.tokens import QLIK_SESSION_HINT_SECONDS, TokenMinter
from qlik_jwt.signer import UserClaims
from tests.support.webapp import FakeClock, web_settings

KIM = UserClaims("crm|77", "Kim", "kim@example.com", True, ("Sales",))


def test_a_mint_is_remembered_for_the_window_then_dropped(key_dir: Path) -> None:
    clock = FakeClock()
    minter = TokenMinter(web_settings(key_dir), clock=clock)
    minter.mint(KIM, via="token-endpoint")
    assert minter.minted_recently(KIM.sub) and not minter.minted_recently("crm|other")
    clock.advance(QLIK_SESSION_HINT_SECONDS - 1)
    assert minter.minted_recently(KIM.sub)
    clock.advance(1)
    assert not minter.minted_recently(KIM.sub)
    for index in range(PRUNE_EVERY):  # what each mint records, without signing
        minter._remember(f"web|{index}")
    # Kim's stale entry went with the periodic prune; every live one stayed.
    assert set(minter._minted) == {f"web|{index}" for index in range(PRUNE_EVERY)}
