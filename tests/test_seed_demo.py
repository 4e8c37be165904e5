"""`manage.py seed_demo` gives a usable demo and can run twice."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from cases.models import Case, CaseState, SellerAccount
from correspondence.models import Attachment, Message


def test_seed_demo_is_idempotent_and_covers_every_state(db, client):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    counts = (Case.objects.count(), Message.objects.count(), Attachment.objects.count())
    call_command("seed_demo", stdout=StringIO())
    assert (Case.objects.count(), Message.objects.count(), Attachment.objects.count()) == counts
    assert counts[0] >= 300
    assert counts[2] > 0
    assert set(Case.objects.values_list("state", flat=True)) == set(CaseState.values)
    assert SellerAccount.objects.get(name="Demo Shop").members.count() == 2
    assert "seller@example.com" in out.getvalue()
    assert "demo-seller-pass" in out.getvalue()
    assert client.login(username="seller@example.com", password="demo-seller-pass")
    response = client.get("/cases/")
    assert response.status_code == 200
    assert "Other Store" not in response.text


def test_seed_demo_ships_saved_replies_in_english_and_french_once(db):
    from correspondence.models import SavedReply

    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())
    replies = list(SavedReply.objects.all())
    assert len(replies) >= 3
    assert all(reply.body_en.strip() and reply.body_fr.strip() for reply in replies)
    assert any("{case_id}" in reply.body_en for reply in replies)
