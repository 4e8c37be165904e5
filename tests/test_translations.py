"""The French catalogue is complete, compiled and typographically French, and no
template shows the user an unmarked string.

When a check fails after a change of wording, refresh the catalogue:
    .venv/bin/python manage.py makemessages -l fr --no-obsolete
    (translate the new or fuzzy entries in locale/fr/LC_MESSAGES/django.po)
    .venv/bin/python manage.py compilemessages -l fr --ignore='*venv*'
"""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation

PO_PATH = Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")
TEMPLATES = Path(settings.BASE_DIR) / "templates"

# Text a template may show as is: symbols, and names that are the same in every language.
ALLOWED_TEXT = {"&rsaquo;", "&raquo;", "&laquo;", "&nbsp;", "—", "–", "·", "…", "▲", "▼", "⇅", "×"}
# Templates that are not pages: plain-text e-mails are checked too (their text is marked).
TEMPLATE_SUFFIXES = {".html", ".txt"}

_BLOCK_TRANSLATE = re.compile(r"{%\s*blocktrans(late)?\b.*?{%\s*endblocktrans(late)?\s*%}", re.S)
_COMMENT = re.compile(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}|{#.*?#}", re.S)
_TAG = re.compile(r"{%.*?%}|{{.*?}}", re.S)
_SCRIPT_STYLE = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)
_HTML_TAG = re.compile(r"<[^>]*>", re.S)
_ATTRIBUTE = re.compile(
    r"\b(title|alt|placeholder|aria-label|aria-description|label)\s*=\s*\"([^\"]*)\"", re.I
)


@pytest.fixture(scope="module")
def catalogue() -> polib.POFile:
    return polib.pofile(str(PO_PATH))


def test_the_french_catalogue_has_no_untranslated_entry(catalogue):
    untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
    assert untranslated == [], f"translate these in {PO_PATH}: {untranslated}"


def test_the_french_catalogue_has_no_fuzzy_entry(catalogue):
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert fuzzy == [], f"check these and remove their fuzzy flag: {fuzzy}"


def test_every_plural_form_is_filled(catalogue):
    assert catalogue.metadata.get("Plural-Forms", "").startswith("nplurals=")
    empty = [
        entry.msgid
        for entry in catalogue
        if entry.msgid_plural and not all(entry.msgstr_plural.values())
    ]
    assert empty == []


def test_the_compiled_catalogue_is_up_to_date():
    """The .mo is committed (a fresh clone needs no gettext tools): it must match the .po."""
    assert MO_PATH.exists(), "run: manage.py compilemessages -l fr --ignore='*venv*'"
    compiled = polib.mofile(str(MO_PATH))
    source = polib.pofile(str(PO_PATH))
    expected = {
        (e.msgctxt, e.msgid): e.msgstr or dict(e.msgstr_plural) for e in source.translated_entries()
    }
    actual = {(e.msgctxt, e.msgid): e.msgstr or dict(e.msgstr_plural) for e in compiled if e.msgid}
    stale = sorted(str(key) for key in expected if actual.get(key) != expected[key])
    assert stale == [], f"locale/fr .mo is stale, run compilemessages: {stale[:5]}"


def _french_texts(catalogue: polib.POFile) -> list[tuple[str, str]]:
    texts = []
    for entry in catalogue.translated_entries():
        strings = [entry.msgstr] if not entry.msgid_plural else entry.msgstr_plural.values()
        texts.extend((entry.msgid, text) for text in strings)
    return texts


def test_french_typography(catalogue):
    """A (narrow) non-breaking space before : ; ? ! and inside « », French quotes."""
    problems = []
    for _msgid, text in _french_texts(catalogue):
        without_markup = re.sub(r"<[^>]*>|%\([a-z_]+\)[sd]|https?://\S+", "", text)
        if re.search(r"[^\u00a0\u202f\s][:;?!](\s|$)", without_markup):
            problems.append(f"no non-breaking space before : ; ? ! in {text!r}")
        if re.search(r"[ \t][:;?!»]|«[ \t]", without_markup):
            problems.append(f"an ordinary space where a non-breaking one belongs in {text!r}")
        if re.search(r"«(?![\u00a0\u202f])|(?<![\u00a0\u202f])»", without_markup):
            problems.append(f"« » without non-breaking spaces in {text!r}")
        if "“" in text or "”" in text:
            problems.append(f"English quotes in {text!r} (use « »)")
    assert problems == [], "\n".join(problems)


def test_french_keeps_every_placeholder(catalogue):
    placeholder = re.compile(r"%\([a-z_]+\)[sd]")
    problems = []
    for entry in catalogue.translated_entries():
        wanted = set(placeholder.findall(entry.msgid + entry.msgid_plural))
        if entry.msgid_plural:
            # A singular may leave its count implicit ("le dossier"), never add a name.
            texts = list(entry.msgstr_plural.values())
            if any(set(placeholder.findall(text)) - wanted for text in texts):
                problems.append(f"{entry.msgid!r}: unknown placeholder in {texts}")
        elif set(placeholder.findall(entry.msgstr)) != wanted:
            problems.append(f"{entry.msgid!r}: placeholders differ in {entry.msgstr!r}")
    assert problems == [], "\n".join(problems)


def test_the_state_labels_are_the_glossary_ones():
    from cases.models import CaseState

    with translation.override("fr"):
        labels = [str(label) for label in CaseState.labels]
    assert labels == [
        "Ouvert",
        "En attente d'une réponse du support",
        "Exige votre attention",
        "Répondu",
        "Transféré",
        "Ré-ouvert",
        "Résolu",
    ]


def unmarked_strings(source: str) -> list[str]:
    """Visible text of a template that is outside {% translate %}/{% blocktranslate %}."""
    text = _COMMENT.sub(" ", source)
    text = _BLOCK_TRANSLATE.sub(" ", text)
    attributes = [value for _name, value in _ATTRIBUTE.findall(_TAG.sub("", text))]
    text = _SCRIPT_STYLE.sub(" ", text)
    text = _TAG.sub(" ", text)
    text = _HTML_TAG.sub("\n", text)
    found = []
    for chunk in [*text.split("\n"), *attributes]:
        for piece in re.split(r"\s{2,}", chunk.strip()):
            piece = piece.strip()
            if piece and piece not in ALLOWED_TEXT and re.search(r"[^\W\d_]", piece):
                found.append(piece)
    return found


def test_the_template_checker_finds_unmarked_text():
    assert unmarked_strings("<p>Hello {{ name }}</p>") == ["Hello"]
    assert unmarked_strings('<img alt="A chart">') == ["A chart"]
    assert unmarked_strings("<p>{% translate 'Hello' %} &rsaquo;</p>") == []
    assert unmarked_strings("{% blocktranslate %}Hi {{ x }}{% endblocktranslate %}") == []
    assert unmarked_strings("{% comment %}Why{% endcomment %}<script src=x></script>") == []


@pytest.mark.parametrize(
    "template",
    sorted(
        str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*") if p.suffix in TEMPLATE_SUFFIXES
    ),
)
def test_every_template_string_is_marked_for_translation(template):
    assert unmarked_strings((TEMPLATES / template).read_text(encoding="utf-8")) == []
