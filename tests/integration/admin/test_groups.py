"""Qlik's group bootstrap and space grants, against the emulator."""

from __future__ import annotations

import pytest

from qlik_jwt.admin import (
    TenantClient,
    app_space_id,
    enable_auto_create_groups,
    ensure_identity_provider,
    grant_group_to_space,
)
from qlik_jwt.admin.groups import BOOTSTRAP_SUBJECT_PREFIX, find_group
from qlik_jwt.admin.spaces import find_assignment, plan_group_grant
from qlik_jwt.errors import ConfigurationError, TenantError
from qlik_jwt.signer import TokenSigner
from tests.support.emulator import RunningEmulator


@pytest.fixture
def registered(admin: TenantClient, signer: TokenSigner, certificate: bytes) -> TokenSigner:
    """The signer's identity provider exists, so bootstrap logins work."""
    ensure_identity_provider(
        admin, issuer=signer.issuer, key_id=signer.key_id, certificate_pem=certificate
    )
    return signer


def subjects(client: TenantClient) -> list[str]:
    return [u["subject"] for u in client.paginate("/api/v1/users", params={"limit": 100})]


def test_a_new_group_is_bootstrapped_assigned_and_its_temporary_user_deleted(
    admin: TenantClient, registered: TokenSigner, emulator: RunningEmulator
) -> None:
    enable_auto_create_groups(admin)
    before = subjects(admin)
    assert find_group(admin, 'Sales & "Ops"') is None
    group_id = grant_group_to_space(
        admin, signer=registered, group='Sales & "Ops"', space_id=emulator.space_id
    )
    assert find_group(admin, 'Sales & "Ops"') == admin.get(f"/api/v1/groups/{group_id}")
    assignment = find_assignment(admin, emulator.space_id, group_id)
    assert assignment is not None and assignment["roles"] == ["consumer"]
    assert subjects(admin) == before
    assert not any(s.startswith(BOOTSTRAP_SUBJECT_PREFIX) for s in subjects(admin))


def test_granting_again_changes_nothing(
    admin: TenantClient, registered: TokenSigner, emulator: RunningEmulator
) -> None:
    enable_auto_create_groups(admin)
    first = grant_group_to_space(
        admin, signer=registered, group="Finance", space_id=emulator.space_id
    )
    step = plan_group_grant(admin, signer=registered, group="Finance", space_id=emulator.space_id)
    assert step.action == "keep"
    assert (
        grant_group_to_space(admin, signer=registered, group="Finance", space_id=emulator.space_id)
        == first
    )
    assignments = admin.get(f"/api/v1/spaces/{emulator.space_id}/assignments")["data"]
    assert [a["assigneeId"] for a in assignments].count(first) == 1


def test_without_group_auto_creation_the_fix_is_named_and_no_user_is_left(
    admin: TenantClient, registered: TokenSigner, emulator: RunningEmulator
) -> None:
    before = subjects(admin)
    with pytest.raises(TenantError) as caught:
        grant_group_to_space(admin, signer=registered, group="Finance", space_id=emulator.space_id)
    assert "--auto-create-groups" in str(caught.value)
    assert subjects(admin) == before


def test_the_apps_space_is_found_from_the_app_id(
    admin: TenantClient, emulator: RunningEmulator
) -> None:
    assert app_space_id(admin, emulator.app_id) == emulator.space_id
    with pytest.raises(ConfigurationError) as caught:
        app_space_id(admin, "no-such-app")
    assert caught.value.field == "app_id"
