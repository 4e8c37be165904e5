"""Each rule about a case is written once: its Q (the log, the export, the admin, the
counts) and its Python answer for one case agree over a matrix of cases, and the
log's `?cc=1` finds addresses with any letter, with its chip, on both databases."""

from __future__ import annotations

import html
import itertools
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from cases.filters import PARAMS, CaseFilter
from cases.models import (
    DEFAULT_RESPONSE_TARGET_HOURS,
    Case,
    CaseState,
    SupportTeam,
    copied_q,
    expired_q,
    needs_attention_q,
    overdue_q,
    owned_by_q,
)
from cases.validators import parse_cc_list
from tests.conftest import make_case, make_user

NON_ASCII = "zoe@exämple.fr"  # what the CC form keeps of "ZOE@EXÄMPLE.FR"
CC_LISTS = [
    [],
    [NON_ASCII],
    ["xzoe@exämple.fr"],  # a longer address that ends like it
    ["ann@x.de", NON_ASCII],
    ["joann@x.de"],
    ["zoé@exämple.fr"],  # a local part the form refuses, as older data may hold
    ["müller@münchen.de", "ann@x.de"],
]
ADDRESSES = [
    NON_ASCII,
    "ZOE@EXÄMPLE.FR",
    "ann@x.de",
    "zoé@exämple.fr",
    "müller@münchen.de",
    "seller@example.com",
    "nobody@example.com",
]


@pytest.fixture
def matrix(account, seller, colleague):
    """Cases in every state, each side of each rule's boundary, at one moment `now`."""
    now = timezone.now()
    slow = SupportTeam.objects.create(name="Slow", response_target_hours=72)
    expire = timedelta(days=30)
    default_target = timedelta(hours=DEFAULT_RESPONSE_TARGET_HOURS)
    waits = [None, timedelta(hours=1), default_target, default_target + timedelta(seconds=1)]
    waits += [timedelta(hours=72), timedelta(hours=73)]
    resolved = [None, expire - timedelta(seconds=1), expire, expire + timedelta(days=1)]
    cases = []
    combos = itertools.product(CaseState.values, [None, slow], waits)
    for index, (state, team, wait) in enumerate(combos):
        case = make_case(
            account,
            owner=seller if index % 2 else colleague,
            state=state,
            cc_list=CC_LISTS[index % len(CC_LISTS)],
        )
        ago = resolved[index % len(resolved)] if state == CaseState.RESOLVED else None
        Case.objects.filter(pk=case.pk).update(
            support_team=team,
            waiting_since=now - wait if wait is not None else None,
            resolved_at=now - ago if ago is not None else None,
        )
        cases.append(case.pk)
    rows = list(Case.objects.filter(pk__in=cases).select_related("support_team"))
    return now, rows


def ids(rows) -> set[int]:
    return {case.pk for case in rows}


def found(condition) -> set[int]:
    return set(Case.objects.filter(condition).values_list("pk", flat=True))


def test_the_matrix_reaches_both_sides_of_every_rule(matrix):
    now, rows = matrix
    for rule in (
        lambda c: c.is_expired_at(now),
        lambda c: c.is_overdue_at(now),
        lambda c: c.needs_attention,
        lambda c: c.copies(NON_ASCII),
    ):
        assert {rule(case) for case in rows} == {True, False}


def test_expired_is_one_rule(matrix):
    now, rows = matrix
    assert found(expired_q(now)) == ids(c for c in rows if c.is_expired_at(now))


def test_overdue_is_one_rule(matrix):
    now, rows = matrix
    assert found(overdue_q(now)) == ids(c for c in rows if c.is_overdue_at(now))


def test_needs_attention_is_one_rule(matrix):
    _now, rows = matrix
    assert found(needs_attention_q()) == ids(c for c in rows if c.needs_attention)


@pytest.mark.parametrize("email", ["seller@example.com", "SELLER@example.com ", "x@example.com"])
def test_mine_is_one_rule(matrix, email):
    _now, rows = matrix
    assert found(owned_by_q(email)) == ids(c for c in rows if c.is_owned_by(email))


@pytest.mark.parametrize("email", ADDRESSES)
def test_cc_membership_is_one_rule_whatever_the_letters(matrix, email):
    _now, rows = matrix
    expected = ids(c for c in rows if c.copies(email))
    assert found(copied_q(email)) == expected
    if email.lower() in (NON_ASCII, "zoé@exämple.fr", "müller@münchen.de"):
        assert expected  # the address is on some lists: the test can fail


def test_every_parameter_of_the_log_declares_what_it_is():
    assert set(PARAMS) == set(CaseFilter.base_filters)


def test_the_filters_panel_shows_exactly_the_folded_parameters():
    template = Path(settings.BASE_DIR, "templates/cases/_filter_fields.html").read_text()
    shown = set(re.findall(r"filter\.form\.(\w+)\|", template))
    assert shown == {name for name, param in PARAMS.items() if param.folded}


def chips(text: str) -> dict[str, str]:
    return {
        html.unescape(label): html.unescape(href)
        for href, label in re.findall(
            r'<a class="badge rounded-pill[^"]*filter-chip" href="([^"]*)"><span>([^<]*)</span>',
            text,
        )
    }


def test_cc_filter_finds_a_non_ascii_address_and_shows_its_chip(account, seller):
    zoe = make_user("ZOE@EXÄMPLE.FR", account=account)
    copied = make_case(
        account,
        owner=seller,
        short_description="Copied case",
        cc_list=parse_cc_list("Zoe@Exämple.FR"),
    )
    make_case(
        account,
        owner=seller,
        short_description="Look-alike case",
        cc_list=parse_cc_list("xzoe@exämple.fr, zoe@example.fr"),
    )
    make_case(account, owner=seller, short_description="Uncopied case")
    client = Client()
    client.force_login(zoe)

    response = client.get("/cases/", {"cc": "1", "o": "id"})

    assert response.status_code == 200
    text = response.content.decode()
    assert str(copied.pk) in text
    assert "Look-alike case" not in text
    assert "Uncopied case" not in text
    assert chips(text) == {"Cases where I am copied": "/cases/?o=id"}
    assert re.search(r'<span class="badge text-bg-primary filters-count">1</span>', text)
    # The export takes the same parameters and finds the same case.
    exported = client.get("/cases/export.csv", {"cc": "1"})
    export = b"".join(exported.streaming_content).decode("utf-8-sig")
    assert str(copied.pk) in export
    assert "Look-alike" not in export
