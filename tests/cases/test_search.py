"""Full-text search of the correspondence: bodies, subjects and file names."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import CaseSearchEntry, CaseState
from cases.search import search_snippets, search_terms, similar_cases
from cases.services import case_update
from correspondence.models import Message
from correspondence.services import case_open, message_post
from tests.cases.test_export import displayed_ids, read_csv
from tests.conftest import listed_ids, make_case
from tests.correspondence.conftest import text

URL = "/cases/"


def open_case(account, author, subject="Question", body="Hello", files=()):
    return case_open(account=account, author=author, subject=subject, body=body, files=files).case


def test_it_finds_a_word_only_in_a_message_body(seller_client, account, seller):
    case = open_case(account, seller, "Payment issue", "The parcel never reached Zanzibar harbour.")
    open_case(account, seller, "Other thing", "Nothing to see")
    response = seller_client.get(URL, {"q": "zanzibar"})
    assert listed_ids(response) == [case.id]
    assert "<mark>Zanzibar</mark>" in response.text


def test_it_finds_a_reply_subject_and_a_word_prefix(seller_client, account, seller):
    case = open_case(account, seller)
    message_post(
        case=case, author=seller, direction="seller", subject="Quokka sighting", body="See above"
    )
    assert listed_ids(seller_client.get(URL, {"q": "quokka"})) == [case.id]
    assert listed_ids(seller_client.get(URL, {"q": "quok"})) == [case.id]


def test_it_finds_an_attachment_file_name(seller_client, account, seller):
    case = open_case(account, seller, files=[text("kangaroo-report.txt")])
    response = seller_client.get(URL, {"q": "kangaroo"})
    assert listed_ids(response) == [case.id]
    assert "<mark>kangaroo</mark>" in response.text


def test_every_word_must_be_in_the_same_message(seller_client, account, seller):
    both = open_case(account, seller, "A", "alpha bravo")
    open_case(account, seller, "B", "alpha only")
    assert listed_ids(seller_client.get(URL, {"q": "alpha bravo"})) == [both.id]


def test_the_snippet_is_escaped(seller_client, account, seller):
    open_case(account, seller, "Odd text", "<script>alert(1)</script> wombat <b>bold</b>")
    response = seller_client.get(URL, {"q": "wombat"})
    snippet = re.search(r'class="[^"]*search-snippet[^"]*">(.*?)</div>', response.text, re.S)
    assert snippet is not None
    assert "&lt;script&gt;" in snippet.group(1)
    assert "<script>" not in snippet.group(1)
    assert "<b>" not in snippet.group(1)
    assert "<mark>wombat</mark>" in snippet.group(1)


def test_search_operators_typed_by_a_user_are_only_words(seller_client, account, seller):
    case = open_case(account, seller, "Quotes", 'He said "NEAR" OR not*')
    for query in ['"near', "near)", "NOT or AND", "near*:", "'; drop table x; --"]:
        response = seller_client.get(URL, {"q": query})
        assert response.status_code == 200
    assert listed_ids(seller_client.get(URL, {"q": '"near"'})) == [case.id]


def test_no_other_accounts_message_ever_matches(
    seller_client, outsider_client, account, seller, other_account, outsider
):
    theirs = open_case(other_account, outsider, "Private", "Our secret platypus supplier")
    assert listed_ids(seller_client.get(URL, {"q": "platypus"})) == []
    page = seller_client.get(URL, {"q": "platypus"}).text
    assert "supplier" not in page
    assert "search-snippet" not in page
    assert listed_ids(outsider_client.get(URL, {"q": "platypus"})) == [theirs.id]
    export = seller_client.get("/cases/export.csv", {"q": "platypus"})
    assert export.status_code == 302  # nothing to export


def test_the_case_id_and_description_search_still_work(seller_client, account, seller):
    case = make_case(account, owner=seller, short_description="Lost parcel to Lyon")
    assert listed_ids(seller_client.get(URL, {"q": "parcel to ly"})) == [case.id]
    assert listed_ids(seller_client.get(URL, {"q": str(case.id)})) == [case.id]


def test_the_export_of_a_search_equals_the_searched_log(seller_client, account, seller):
    expected = set()
    for number in range(30):
        body = "The invoice is wrong" if number % 3 else "All good"
        case = open_case(account, seller, f"Case {number}", body)
        if number % 3:
            expected.add(str(case.id))
    make_case(account, owner=seller, short_description="Invoice total differs")
    shown = displayed_ids(seller_client, "q=invoice&per_page=25")
    assert len(shown) == len(expected) + 1
    _raw, rows = read_csv(seller_client.get("/cases/export.csv", {"q": "invoice"}))
    assert [row[0] for row in rows[1:]] == shown


def test_a_reply_is_searchable_at_once(seller_client, account, seller, support_agent):
    case = open_case(account, seller)
    assert listed_ids(seller_client.get(URL, {"q": "axolotl"})) == []
    message_post(case=case, author=support_agent, direction="support", body="An axolotl reply")
    assert listed_ids(seller_client.get(URL, {"q": "axolotl"})) == [case.id]


def test_a_rolled_back_message_leaves_nothing_in_the_index(
    seller_client, account, seller, monkeypatch
):
    case = open_case(account, seller)
    entries = CaseSearchEntry.objects.count()

    def refuse(**kwargs):
        raise RuntimeError("the state change failed")

    monkeypatch.setattr("correspondence.services.messages.case_transition", refuse)
    with pytest.raises(RuntimeError):
        message_post(case=case, author=seller, direction="seller", body="A narwhal appears")
    assert not Message.objects.filter(body__contains="narwhal").exists()
    assert CaseSearchEntry.objects.count() == entries
    assert listed_ids(seller_client.get(URL, {"q": "narwhal"})) == []
    assert search_snippets(case_ids=[case.id], text="narwhal") == {}


def test_a_new_description_is_searchable_for_the_duplicate_guard(account, seller):
    case = open_case(account, seller, "Question", "Hello")
    case_update(
        case=case,
        actor=seller,
        expected_version=case.version,
        primary_email=seller.email,
        cc_list=[],
        short_description="Warehouse flooded",
    )
    from cases.access import cases_visible_to

    assert similar_cases(cases=cases_visible_to(seller), text="flooded warehouse") == [case]


def test_snippets_take_one_query_for_the_page(seller_client, account, seller):
    cases = [open_case(account, seller, f"Case {n}", f"The gecko number {n}") for n in range(30)]
    ids = [case.id for case in cases]
    with CaptureQueriesContext(connection) as queries:
        snippets = search_snippets(case_ids=ids, text="gecko")
    assert len(queries) == 1
    assert set(snippets) == set(ids)

    def count(per_page: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = seller_client.get(URL, {"q": "gecko", "per_page": per_page})
        assert response.text.count("<mark>gecko</mark>") == min(int(per_page), 30)
        return len(captured)

    assert count("25") == count("100")


def test_search_terms_are_words_only():
    assert search_terms('Refund "order" 402-123 OR x*') == ["refund", "order", "402-123", "or"]
    assert search_terms("the refund for my order", drop_stopwords=True) == ["refund", "order"]


def test_similar_cases_rank_and_stay_in_scope(account, seller, other_account, outsider):
    from cases.access import cases_visible_to

    refund = open_case(account, seller, "Refund not received for order 402", "Please check")
    open_case(account, seller, "Listing suppressed", "Safety information missing")
    open_case(other_account, outsider, "Refund not received", "Theirs")
    found = similar_cases(
        cases=cases_visible_to(seller).exclude(state=CaseState.RESOLVED), text="refund received?"
    )
    assert found == [refund]


def test_an_excerpt_is_cut_around_the_first_match_and_marks_every_match():
    from cases.search import excerpt, highlight

    body = " ".join(["filler"] * 60) + " the Refund was refunded <i>late</i> " + "tail " * 60
    cut = excerpt(body, ["refund"])
    assert cut.startswith("…")
    assert cut.endswith("…")
    html = str(highlight(cut))
    assert "<mark>Refund</mark>" in html
    assert "<mark>refunded</mark>" in html
    assert "&lt;i&gt;late&lt;/i&gt;" in html


def test_an_excerpt_needs_a_match_and_ignores_accents():
    from cases.search import excerpt

    cut = excerpt("Le remboursé arrive", search_terms("rembourse"))
    assert cut == "Le \x02remboursé\x03 arrive"
    assert excerpt("alpha only", search_terms("bravo")) is None


def test_entry_ids_hold_their_case_in_posting_order(account, seller, support_agent):
    case = open_case(account, seller, "Keyed", "First")
    message_post(case=case, author=support_agent, direction="support", body="Second")
    first = CaseSearchEntry.key(case.id, 0)
    entries = list(
        CaseSearchEntry.objects.filter(case=case).order_by("id").values_list("id", "message_id")
    )
    assert [entry_id - first for entry_id, _message in entries] == [0, 1, 2]
    assert entries[0][1] is None
    assert [entry_id >> CaseSearchEntry.KEY_BITS for entry_id, _message in entries] == [case.id] * 3


def test_an_entry_outside_its_case_range_is_refused(account, seller):
    from django.db import IntegrityError, transaction

    case = open_case(account, seller)
    other = open_case(account, seller)
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseSearchEntry.objects.create(
            id=CaseSearchEntry.key(other.id, 7), case=case, message_id=None, subject="x"
        )
    with pytest.raises(ValueError, match="too many search entries"):
        CaseSearchEntry.key(case.id, CaseSearchEntry.ORDINAL_MASK + 1)


def test_the_rebuild_keys_entries_and_keeps_them_searchable(seller_client, account, seller):
    from correspondence.services import search_index_rebuild

    case = open_case(account, seller, "Rebuilt", "A dugong swims")
    message_post(case=case, author=seller, direction="seller", body="and a manatee")
    assert search_index_rebuild(case_ids=[case.id]) == 3
    first = CaseSearchEntry.key(case.id, 0)
    assert sorted(CaseSearchEntry.objects.filter(case=case).values_list("id", flat=True)) == [
        first,
        first + 1,
        first + 2,
    ]
    assert listed_ids(seller_client.get(URL, {"q": "manatee"})) == [case.id]
    assert listed_ids(seller_client.get(URL, {"q": "dugong"})) == [case.id]


def test_the_migration_renumbers_entries_written_the_old_way(account, seller):
    """0007's statements turn autoincrement ids into case-keyed ones, index included."""
    import importlib

    migration = importlib.import_module("cases.migrations.0007_search_entry_keys")
    case = open_case(account, seller, "Old style", "An ocelot")
    message_post(case=case, author=seller, direction="seller", body="a second ocelot")
    with connection.cursor() as cursor:
        # Back to small ids, as 0004's backfill wrote them (out of the constraint's
        # reach only for this test: SQLite checks it, so move the rows through
        # the same negative step the migration uses).
        old = list(CaseSearchEntry.objects.filter(case=case).order_by("id"))
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA ignore_check_constraints = 1")
        else:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK checks
            cursor.execute(
                "ALTER TABLE cases_casesearchentry DROP CONSTRAINT searchentry_id_holds_case"
            )
        for number, entry in enumerate(old, start=1):
            cursor.execute(
                "UPDATE cases_casesearchentry SET id = %s WHERE id = %s", [number * 7, entry.id]
            )
        for sql in migration.RENUMBER:
            cursor.execute(sql)
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA ignore_check_constraints = 0")
    first = CaseSearchEntry.key(case.id, 0)
    keyed = dict(CaseSearchEntry.objects.filter(case=case).values_list("message_id", "id"))
    messages = sorted(message for message in keyed if message is not None)
    assert keyed == {None: first, messages[0]: first + 1, messages[1]: first + 2}
    from cases.access import cases_visible_to
    from cases.search import filter_cases

    assert list(filter_cases(cases_visible_to(seller), "ocelot")) == [case]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1234567890", 1234567890),
        (" 12345 67890 ", 1234567890),
        ("１２３４５６７８９０", 1234567890),  # full-width digits, as typed on a phone
        ("123456789", None),
        ("12345678901", None),
        ("12345²7890", None),
        ("", None),
        ("case 1234567890", None),
    ],
)
def test_one_parser_reads_a_typed_case_id(typed, expected):
    from cases.validators import parse_case_id

    assert parse_case_id(typed) == expected


def _odd_words(count: int, start: int = 0) -> str:
    """Distinct words of letters only (no stem merges them): `qa`, `qb`, … `qaab`…"""
    letters = "abcdefghijklmnopqrstuvwxyz"

    def word(n: int) -> str:
        out = ""
        while True:
            out = letters[n % 26] + out
            n //= 26
            if not n:
                return "zq" + out

    return " ".join(word(n) for n in range(start, start + count))


def test_a_long_message_gives_a_bounded_number_of_index_rows(seller_client, account, seller):
    """Issue 23.5: one 20,000-character message gave ~21,000 index rows. A text gives
    its first MAX_TERMS_PER_TEXT terms; the words within the bound are found."""
    from cases.models import CaseSearchTerm
    from cases.search.terms import MAX_TERMS_PER_TEXT
    from correspondence.rules import MAX_BODY_LENGTH

    body = _odd_words(4_000)[:MAX_BODY_LENGTH]
    case = open_case(account, seller, "Odd words", body)

    rows = CaseSearchTerm.objects.filter(case=case).count()
    assert rows <= MAX_TERMS_PER_TEXT + 10  # the message, its subject, the owner's address
    first_word, later_word = body.split()[0], body.split()[-2]  # [-1] is cut short
    assert listed_ids(seller_client.get(URL, {"q": first_word})) == [case.id]
    assert listed_ids(seller_client.get(URL, {"q": body.split()[MAX_TERMS_PER_TEXT - 20]})) == [
        case.id
    ]
    assert listed_ids(seller_client.get(URL, {"q": later_word})) == []


def test_a_case_stops_taking_terms_at_its_bound_and_a_rebuild_agrees(
    seller_client, account, seller, monkeypatch
):
    from cases.models import CaseSearchTerm
    from cases.search import case_search_terms_refresh, index

    monkeypatch.setattr(index, "MAX_TERMS_PER_CASE", 300)
    case = open_case(account, seller, "Bounded", _odd_words(200))
    for n in range(1, 5):
        message_post(case=case, author=seller, direction="seller", body=_odd_words(200, n * 200))

    def terms() -> set[str]:
        return set(CaseSearchTerm.objects.filter(case=case).values_list("term", flat=True))

    posted = terms()
    # The first two messages are in (the case held under 300 terms before each; some
    # words share a stem), the rest is not.
    assert 300 <= len(posted) < 300 + 200 + 10
    assert listed_ids(seller_client.get(URL, {"q": _odd_words(1, 250)})) == [case.id]
    assert listed_ids(seller_client.get(URL, {"q": _odd_words(1, 950)})) == []
    case_search_terms_refresh(case_ids=[case.id])
    assert terms() == posted


def test_similar_cases_ignore_stop_words_and_one_common_word(account, seller):
    """Issue #22: "Étiquette de retour non générée" matched unrelated cases on "non"."""
    from cases.access import cases_visible_to

    open_case(account, seller, "Paiement non reçu", "Bonjour")
    open_case(account, seller, "Retour client refusé", "Bonjour")
    open_case(account, seller, "The parcel has not arrived", "Hello")
    label = open_case(account, seller, "Étiquette de retour introuvable", "Bonjour")
    scope = cases_visible_to(seller)
    assert similar_cases(cases=scope, text="Étiquette de retour non générée") == [label]
    # One ordinary word in common ("retour", "parcel") is not a resemblance.
    assert similar_cases(cases=scope, text="Retour de la semaine") == []
    assert similar_cases(cases=scope, text="The parcel") == []


def test_similar_cases_rank_an_order_number_above_words(account, seller):
    from cases.access import cases_visible_to

    words = open_case(account, seller, "Refund not received for damaged parcel", "Hi")
    order = open_case(account, seller, "Question about 171-7654321", "Hi")
    mail = open_case(account, seller, "Login", "Write to jean.dupont@example.fr")
    scope = cases_visible_to(seller)
    found = similar_cases(cases=scope, text="Refund not received for order 171-7654321")
    assert found == [order, words]
    # An identifier alone is enough; an e-mail is one.
    assert similar_cases(cases=scope, text="171-7654321") == [order]
    assert similar_cases(cases=scope, text="jean.dupont@example.fr") == [mail]
