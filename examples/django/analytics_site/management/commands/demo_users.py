"""``python manage.py demo_users``: create the demo users and their groups."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from analytics_site.demo_users import create_demo_users
from qlik_jwt.web import DEMO_USERS


class Command(BaseCommand):
    help = "Create (or reset) the demo users ada, grace and eve with their groups."

    def handle(self, *args: Any, **options: Any) -> None:
        create_demo_users()
        for person in DEMO_USERS:
            groups = ", ".join(person.groups)
            self.stdout.write(f"{person.username} / {person.password} ({groups})")
