"""Where rotate-key puts a new key pair by default."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from qlik_jwt.admin.rotation import default_key_dir
from qlik_jwt.settings import Settings

NOW = dt.datetime(2026, 11, 28, 14, 36, 35, tzinfo=dt.UTC)


def test_a_dated_sibling_of_the_key_directory() -> None:
    settings = Settings.load(env_file=None, private_key="/srv/app/keys/private.pem")
    assert default_key_dir(settings, NOW) == Path("/srv/app/keys-20261128T143635Z")


def test_an_earlier_date_is_replaced_not_appended() -> None:
    settings = Settings.load(
        env_file=None, private_key="/srv/app/keys-20250101T000000Z/private.pem"
    )
    assert default_key_dir(settings, NOW) == Path("/srv/app/keys-20261128T143635Z")


def test_pem_text_gets_the_default_directory() -> None:
    pem = "-----BEGIN PRIVATE KEY-----\\nMIIE\\n-----END PRIVATE KEY-----"
    settings = Settings.load(env_file=None, private_key=pem)
    assert default_key_dir(settings, NOW) == Path(".qlik-jwt/keys-20261128T143635Z")
