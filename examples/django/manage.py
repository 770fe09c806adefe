"""Django's command line for the example project (``migrate``, ``demo_users``, ``runserver``)."""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "analytics_site.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
