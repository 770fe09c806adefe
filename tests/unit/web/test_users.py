from __future__ import annotations

import pytest

from qlik_jwt.errors import ClaimsError, ConfigurationError
from qlik_jwt.web import DEMO_USERS, UserStore
from qlik_jwt.web.database import Database
from qlik_jwt.web.passwords import hash_password, verify_password


@pytest.fixture()
def store() -> UserStore:
    return UserStore(Database(":memory:"))


def test_password_hash_is_salted_and_verifies() -> None:
    first, second = hash_password("s3cret"), hash_password("s3cret")
    assert first != second and "s3cret" not in first
    assert first.startswith("scrypt$16384$8$1$")
    assert verify_password("s3cret", first)
    assert not verify_password("s3cret!", first)


@pytest.mark.parametrize("stored", ["", "plain", "md5$x$y$z$a$b", "scrypt$x$8$1$AA==$AA=="])
def test_unreadable_hash_never_verifies(stored: str) -> None:
    assert verify_password("anything", stored) is False


def test_added_user_authenticates_with_own_password_only(store: UserStore) -> None:
    user = store.add(
        "ada", "pw-1", name="Ada", email="ada@example.com", email_verified=True, groups=["F"]
    )
    assert user.subject == "web|ada" and user.groups == ("F",)
    assert store.authenticate("ada", "pw-1") == user
    assert store.authenticate("ada", "pw-2") is None
    assert store.authenticate("nobody", "pw-1") is None


def test_claims_carry_the_stored_identity(store: UserStore) -> None:
    user = store.add("bob", "pw", name="Bob", email="bob@example.org", email_verified=False)
    claims = user.claims()
    assert (claims.sub, claims.name, claims.email, claims.email_verified, claims.groups) == (
        "web|bob",
        "Bob",
        "bob@example.org",
        False,
        (),
    )


def test_duplicate_user_name_is_refused_and_nothing_changes(store: UserStore) -> None:
    store.add("ada", "pw", name="Ada", email="ada@example.com", email_verified=True)
    with pytest.raises(ConfigurationError, match="already taken"):
        store.add("ada", "other", name="Ada 2", email="a2@example.com", email_verified=True)
    assert store.count() == 1
    assert store.authenticate("ada", "pw") is not None


@pytest.mark.parametrize("name", ["", "Ada", "a b", "x" * 65, "../etc"])
def test_invalid_user_names_are_refused(store: UserStore, name: str) -> None:
    with pytest.raises(ConfigurationError, match="username"):
        store.add(name, "pw", name="A", email="a@example.com", email_verified=True)


def test_claims_qlik_would_refuse_are_refused_before_storing(store: UserStore) -> None:
    with pytest.raises(ClaimsError, match="email"):
        store.add("ada", "pw", name="Ada", email="not-an-address", email_verified=True)
    assert store.count() == 0


def test_seed_is_idempotent_and_keeps_subjects_stable(store: UserStore) -> None:
    first = store.seed()
    second = store.seed()
    assert [u.subject for u in first] == [u.subject for u in second]
    assert store.count() == len(DEMO_USERS)
    for demo in DEMO_USERS:
        assert store.authenticate(demo.username, demo.password) is not None


def test_demo_users_cover_granted_unverified_and_refused_cases() -> None:
    assert any("Finance" in u.groups and u.email_verified for u in DEMO_USERS)
    assert any(not u.email_verified for u in DEMO_USERS)
    assert any("Finance" not in u.groups for u in DEMO_USERS)


def test_database_path_that_cannot_be_created_names_the_setting(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigurationError, match="users_db"):
        Database(blocker / "sub" / "web.sqlite3")
