"""The run's data: who logs in, the files they send, the seed, and the check afterwards."""

from __future__ import annotations

import json
from typing import Any

from load.django_env import run_in_django

PASSWORD = "load-test-pass-4821"  # noqa: S105 - a throwaway database
ACCOUNT = "Load Shop"
OTHER_ACCOUNT = "Other Load Store"
# Small real files: they pass the content checks of correspondence.rules.
FILES = [
    ("facture.pdf", "application/pdf", b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"),
    ("écran.png", "image/png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 17),
    ("notes.txt", "text/plain", b"Commande 402-1234 : remboursement attendu.\n"),
]


def seed(env: dict[str, str], users: int) -> dict[str, Any]:
    """Seed a migrated database (in_django/seed.py); returns who is who."""
    return json.loads(run_in_django(env, "seed", str(users), PASSWORD, ACCOUNT, OTHER_ACCOUNT))


def check(env: dict[str, str]) -> dict[str, Any]:
    """What the database and the disk hold (in_django/check.py)."""
    return json.loads(run_in_django(env, "check"))
