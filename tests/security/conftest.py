"""Fixtures shared by the security tests: one case with a file in an account, the
world the access matrix and the staff-role tests walk."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from cases.models import CaseState
from correspondence.models import Message
from correspondence.services import message_post
from tests.conftest import make_case
from tests.correspondence.conftest import on_disk, pdf  # noqa: F401 - on_disk re-exported


@dataclass
class World:
    seller: Any
    outsider: Any
    case: Any
    message: Message
    account: Any


@pytest.fixture
def world(account, seller, colleague, outsider) -> World:
    case = make_case(account, owner=seller, state=CaseState.ANSWERED)
    message = message_post(
        case=case,
        author=seller,
        direction=Message.Direction.FROM_SELLER,
        body="A file for the matrix",
        files=[pdf()],
    )
    case.refresh_from_db()
    return World(seller=seller, outsider=outsider, case=case, message=message, account=account)
