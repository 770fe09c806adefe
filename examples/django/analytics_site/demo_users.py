"""The demo's people (ada, grace, eve) as Django users, their Qlik groups as Django groups."""

from __future__ import annotations

from django.contrib.auth.models import Group, User

from qlik_jwt.web import DEMO_USERS


def create_demo_users() -> list[str]:
    """Create or update the demo users; returns their user names."""
    for person in DEMO_USERS:
        user, _ = User.objects.get_or_create(username=person.username)
        user.first_name, _, user.last_name = person.name.partition(" ")
        user.email = person.email
        user.set_password(person.password)
        user.save()
        user.groups.set([Group.objects.get_or_create(name=name)[0] for name in person.groups])
    return [person.username for person in DEMO_USERS]
