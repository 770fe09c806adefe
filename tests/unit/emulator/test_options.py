"""EmulatorOptions: the reference's defaults, text parsing, and refusals."""

from __future__ import annotations

import dataclasses

import pytest

from qlik_jwt.emulator.options import EmulatorOptions, option_fields
from qlik_jwt.errors import ConfigurationError


def test_defaults_follow_the_reference() -> None:
    options = EmulatorOptions()
    assert options.algorithms() == frozenset({"RS256"})
    assert (options.claim_fault_status, options.key_fault_status) == (400, 401)
    assert options.strict_profile_claims and not options.reject_future_iat
    assert options.users_me_redirect and not options.single_requires_csrf
    assert (options.session_inactivity_seconds, options.session_max_age_seconds) == (1800, 86400)
    assert (options.tier1_per_minute, options.tier2_per_minute) == (1000, 100)
    assert options.jti_retention_seconds is None and not options.merge_groups
    assert options.csrf_cookie_httponly and not options.cookie_partitioned


def test_every_option_has_a_description() -> None:
    fields = option_fields()
    assert len(fields) == len(dataclasses.fields(EmulatorOptions))
    assert all(f.doc.endswith(".") and len(f.doc) > 15 for f in fields)


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("allow_rs384_rs512", "true", True),
        ("users_me_redirect", "off", False),
        ("key_fault_status", "403", 403),
        ("jti_retention_seconds", "", None),
        ("max_groups", "none", None),
        ("cookie_domain", "example.com", "example.com"),
        ("cookie_secure", "always", "always"),
    ],
)
def test_with_values_parses_text(name: str, text: str, expected: object) -> None:
    assert getattr(EmulatorOptions().with_values({name: text}), name) == expected


def test_algorithms_grow_with_the_option() -> None:
    assert EmulatorOptions(allow_rs384_rs512=True).algorithms() == {"RS256", "RS384", "RS512"}


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"nope": "1"}, "option"),
        ({"strict": "maybe"}, "strict"),
        ({"tier1_per_minute": "many"}, "tier1_per_minute"),
        ({"key_fault_status": "200"}, "key_fault_status"),
        ({"min_rsa_bits": "1024"}, "min_rsa_bits"),
        ({"cookie_secure": "sometimes"}, "cookie_secure"),
        ({"session_inactivity_seconds": "0"}, "session_inactivity_seconds"),
        ({"max_groups": "-1"}, "max_groups"),  # refused every token that carried groups
        ({"jti_retention_seconds": "-1"}, "jti_retention_seconds"),  # allowed every replay
        ({"cookie_max_age": "-5"}, "cookie_max_age"),  # cookies gone as soon as set
    ],
)
def test_impossible_values_name_the_option(values: dict[str, str], field: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        EmulatorOptions().with_values(values)
    assert caught.value.field == field
