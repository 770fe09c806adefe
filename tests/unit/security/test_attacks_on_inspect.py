"""The attack catalogue against ``qlik_jwt.inspection``: every case gets exactly its codes."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from qlik_jwt.inspection import inspect_token
from tests.support.attacks import ATTACKS, Attack
from tests.support.forge import ISSUER, KID, TOLERANCE, Forge

NOW = 1_767_225_600.0
LONGEST_MESSAGE = 400  # whatever a token holds, an explanation stays readable


@pytest.mark.parametrize("case", ATTACKS, ids=lambda case: case.name)
def test_inspect_reports_exactly_the_expected_codes(
    case: Attack, rsa_key: rsa.RSAPrivateKey, other_rsa_key: rsa.RSAPrivateKey
) -> None:
    for token in case.build(Forge(rsa_key, other_rsa_key, NOW)):
        report = inspect_token(
            token,
            now=NOW,
            public_key=rsa_key.public_key(),
            issuer=ISSUER,
            key_id=KID,
            clock_tolerance=TOLERANCE,
        )
        assert {v.code for v in report.violations} == case.inspect
        assert report.valid is not case.inspect
        for violation in report.violations:
            assert len(violation.message) <= LONGEST_MESSAGE, violation.message
            assert violation.fix
        json.dumps(report.as_dict())  # whatever was decoded can be printed as JSON


def test_the_catalogue_names_are_unique_and_cover_the_issue() -> None:
    names = [case.name for case in ATTACKS]
    assert len(names) == len(set(names))
    wanted = {
        "alg-none",
        "hs256-public-key",
        "kid-unknown",
        "kid-path-traversal",
        "kid-sql-or",
        "issuer-mismatch",
        "aud-array",
        "aud-array-extra",
        "expired",
        "nbf-future",
        "window-too-long",
        "jti-replayed",
        "jti-replayed-parallel",
        "signature-stripped",
        "signature-altered",
        "payload-altered",
        "token-oversized",
        "header-oversized",
        "groups-oversized",
        "claims-not-json",
        "base64-padding",
        "duplicate-claim",
        "times-as-strings",
        "exp-huge-integer",
        "jti-huge-integer",
    } | {f"missing-{claim}" for claim in ("iss", "aud", "sub", "jti", "iat", "nbf", "exp")}
    assert wanted <= set(names)
