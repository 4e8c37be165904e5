#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caselog.settings")
    from django.core.management import execute_from_command_line
    from django.db import OperationalError, connections

    from caselog.database_check import unreachable_message

    try:
        execute_from_command_line(sys.argv)
    except OperationalError as error:
        if connections["default"].connection is not None:
            raise  # connected: a failure of the command itself, traceback and all
        from django.conf import settings

        url = os.environ.get("DATABASE_URL") or f"sqlite:///{settings.DATABASES['default']['NAME']}"
        sys.exit(unreachable_message(url, error))


if __name__ == "__main__":
    main()
