"""Identity rules: email normalisation and role checks."""

from __future__ import annotations

import pytest

from boxoffice.identity.domain import ROLES, UnknownRole, check_roles, normalise_email
from boxoffice.kernel.errors import InvalidRequest


def test_email_is_trimmed_and_lowercased() -> None:
    assert normalise_email("  Alice.Smith@Example.COM \n") == "alice.smith@example.com"


def test_normalising_a_normal_email_changes_nothing() -> None:
    assert normalise_email("bob@example.org") == "bob@example.org"


def test_known_roles_come_back_sorted_without_duplicates() -> None:
    assert check_roles(["staff", "customer", "staff"]) == ["customer", "staff"]


def test_every_documented_role_is_accepted() -> None:
    assert check_roles(list(ROLES)) == sorted(ROLES)
    assert set(ROLES) == {"customer", "organizer", "staff", "admin"}


def test_unknown_roles_are_rejected_and_named() -> None:
    with pytest.raises(UnknownRole) as err:
        check_roles(["customer", "wizard", "god"])
    assert "god, wizard" in err.value.detail
    assert err.value.status == 422
    assert isinstance(err.value, InvalidRequest)


def test_a_user_without_roles_is_rejected() -> None:
    with pytest.raises(UnknownRole, match="at least one role"):
        check_roles([])
