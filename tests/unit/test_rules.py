"""One rule, one place: each rule's step and meta.reason live on ``contract.RULES``, and the
emulator's and admin client's tables are read from it, both ways where a reason is a rule's."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from qlik_jwt.admin.failures import REASON_FIXES, REASON_RULES, ErrorEntry, fix_for
from qlik_jwt.contract import AUDIENCE, RULES, Step, check, check_claims, check_header

README = (Path(__file__).parents[2] / "README.md").read_text()
NOW = 1_767_225_600


def emulator_table() -> list[tuple[int, str, list[str]]]:
    """(step, meta.reason, violation codes) of each row of the README's emulator table."""
    start = README.index("| step | rule | status | `meta.reason` | violation code |")
    rows = []
    for line in README[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split(" | ")]
        reason = cells[-2].strip("`")
        rows.append((int(cells[0]), reason, re.findall(r"`([a-z-]+)`", cells[-1])))
    return rows


def test_every_reason_names_a_rule_that_gives_it() -> None:
    for rule in RULES.values():
        assert RULES[REASON_RULES[rule.reason]].reason == rule.reason
    assert set(REASON_RULES) == {rule.reason for rule in RULES.values()}


def test_a_reason_of_one_rule_maps_back_to_that_rule() -> None:
    for rule in RULES.values():
        sharing = [r for r in RULES.values() if r.reason == rule.reason]
        if len(sharing) == 1:
            assert REASON_RULES[rule.reason] == rule.code
    assert REASON_RULES["unknown_issuer"] == "issuer-mismatch"
    assert RULES["issuer-mismatch"].reason == "unknown_issuer"


def test_a_shared_reason_is_explained_by_its_first_rule() -> None:
    assert REASON_RULES["bad_claim_type"] == "bad-claim-type"
    sharing = [r.code for r in RULES.values() if r.reason == "bad_claim_type"]
    assert sharing == ["bad-claim-type", "empty-claim", "untrimmed-value", "bad-groups"]


@pytest.mark.parametrize("code", list(RULES))
def test_the_admin_client_explains_each_rule_by_its_reason(code: str) -> None:
    rule = RULES[code]
    assert fix_for(401, ErrorEntry(reason=rule.reason)) == RULES[REASON_RULES[rule.reason]].fix


def test_reasons_without_a_rule_are_not_also_a_rules() -> None:
    assert set(REASON_FIXES).isdisjoint(REASON_RULES)


def test_the_readme_emulator_table_agrees_with_each_rules_step_and_reason() -> None:
    seen = set()
    for step, reason, codes in emulator_table():
        for code in codes:
            seen.add(code)
            assert RULES[code].step == step, code
            assert RULES[code].reason == reason or reason in REASON_FIXES, code
    # The emulator compares iss and kid exactly: an untrimmed one is an unknown issuer or key.
    assert seen == set(RULES) - {"untrimmed-value"}


def test_steps_are_the_emulators_order() -> None:
    assert [int(step) for step in Step] == list(range(3, 11))


def test_check_is_check_header_then_check_claims() -> None:
    header: dict[str, Any] = {"alg": "HS256", "crit": ["x"], "kid": " k"}
    claims: dict[str, Any] = {"aud": "x", "subType": "admin", "nbf": NOW + 99, "exp": NOW + 9999}
    options: dict[str, Any] = {"now": NOW, "issuer": "i", "reject_future_iat": True}
    both = check(header, claims, key_id="k", **options)
    assert both == check_header(header, key_id="k") + check_claims(claims, **options)
    assert {v.code for v in check_header(header, key_id="k")} == {
        "alg-not-allowed",
        "unsupported-header",
        "untrimmed-value",
    }
    assert "not-yet-valid" in {v.code for v in check_claims(claims, **options)}


def test_check_claims_alone_validates_its_arguments() -> None:
    claims = {"aud": AUDIENCE}
    with pytest.raises(ValueError, match="clock_tolerance"):
        check_claims(claims, now=NOW, clock_tolerance=-1)
    with pytest.raises(ValueError, match="now must be a finite number"):
        check_claims(claims, now=float("nan"))
    with pytest.raises(ValueError, match="algorithms"):
        check_header({}, algorithms={"HS256"})
