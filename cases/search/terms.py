"""The search's tokeniser: the terms a text is found by (`index_terms`) and
the terms of what a user types (`query_terms`), the same on every database.

**The tokeniser.** Text is folded (Unicode NFKD, combining marks dropped, case
folded, œ/æ/ø/ł/ß spelled out, every script's decimal digits read as 0–9, dashes
and apostrophes unified, a decimal comma `12,50` read as `12.50`), then cut into
*chunks*: runs of letters and digits held together by `. @ - _ / + ' & : #`
(`jean.dupont@example.fr`, `171-7654321`, `12.50`, `shop.example.com`). A chunk
gives its *parts* (`jean`, `dupont`, `example`, `fr`), the letter and digit runs
of a mixed part (`ord12345` → `ord`, `12345`), every run of 2–4 consecutive parts
(`example.fr`, `dupont@example.fr`, `jean.dupont@example.fr`), the whole chunk,
and the digits of an all-digit chunk written together (`06.12.34.56.78` →
`0612345678`; so are digits separated by single spaces, `+33 6 12 34 56 78` →
`33612345678`). Words are cut to a light English/French stem (`refunds`,
`refund` → `refund`; `remboursements` → `remboursement`; `journaux` → `journal`;
`policies`, `policy` → `polici`; `problème`, `problem` → `problem`): plural and
singular meet, nothing cleverer (no dictionary, so nothing to differ between
engines or versions). A term is at most 64 characters.

What the query's terms match: `cases.search.match`.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata

from cases.models import CaseSearchTerm

MAX_TERMS = 8
MAX_TERM_LENGTH = CaseSearchTerm.TERM_LENGTH
MAX_RUN = 4  # parts of a chunk joined into one term, at most
# The index's bound on one text (rows of `CaseSearchTerm`): a text gives its
# first terms (the bound on a case is `cases.search.index.MAX_TERMS_PER_CASE`).
# A 20,000-character message of odd words once gave 21,000 rows; a page of
# prose gives a few hundred.
MAX_TERMS_PER_TEXT = 2_000
EMAIL_MARK = "@"
# The terms of an agents' internal note are stored as NOTE_MARK + term (no
# ordinary term starts with "!"): a seller's query term, a prefix range of
# ordinary terms, can never reach one; the agents' search reads both ranges.
NOTE_MARK = "!"

# Words too common to say that two subjects resemble each other (the duplicate
# guard's, not the log's search: there a typed word is always looked for). Small
# lists, one a language; a word of either is ignored whatever the seller's language.
_STOPWORDS_EN = """a about after again all also am an and any are as at be been before but by
    can could did do does done for from get got had has have how i if in into is it its just
    me my no not now of on one or our out over please same since so still than that the their
    them then there these they this to too up us very was we were what when where which who
    why will with would yes yet you your"""
_STOPWORDS_FR = """a afin ai au aucun aucune aussi aux avec avez avoir bien ce cela ces cet cette
    comme dans de depuis des deux donc du elle en encore est et etait ete etre il ils je jour
    la le les leur lui ma mais me merci mes moi mon ne ni non nos notre nous on ont ou par pas
    peu plus pour pourquoi quand que quel quelle qui sa sans se ses si son sont sur ta te toujours
    tous tout toute tres tu un une vos votre vous y"""

_JOINERS = ".@\\-_/+'&:#"
# A chunk: letters/digits, held together by joiners. `[^\W_]` is a letter or digit.
_CHUNK = re.compile(rf"[^\W_]+(?:[{_JOINERS}]+[^\W_]+)*")
_PART = re.compile(r"[^\W_]+")
_RUNS = re.compile(r"\d+|[^\W\d_]+")
_SPACED_DIGITS = re.compile(r"(?<![\w.@\-])\d+(?: \d+){2,}(?![\w])")
_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d)")
_LETTERS_ONLY = re.compile(r"[^\W\d_]+")


@functools.cache
def _fold_table() -> dict[int, str | None]:
    """str.translate table: combining marks dropped, digits to ASCII, dashes, apostrophes."""
    table: dict[int, str | None] = {}
    for code in range(0x80, sys.maxunicode + 1):
        char = chr(code)
        category = unicodedata.category(char)
        if category[0] == "M":
            table[code] = None
        elif category == "Nd":
            table[code] = str(unicodedata.decimal(char))
        elif category == "Pd":
            table[code] = "-"
        elif category == "Cs":  # lone surrogates: not text, cannot reach a database
            table[code] = " "
    for char in "’‘ʼ´":
        table[ord(char)] = "'"
    for char, spelled in {"œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d", "ı": "i"}.items():
        table[ord(char)] = spelled
    table[0] = " "
    return table


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _fold_run(match: re.Match[str]) -> str:
    table = _fold_table()
    folded = unicodedata.normalize("NFKD", match.group()).translate(table).casefold()
    return unicodedata.normalize("NFKD", folded).translate(table)


def fold(text: str) -> str:
    """`text` case-folded and without accents; digits of every script as ASCII digits."""
    # Only the non-ASCII runs go through Unicode normalisation (decomposition is
    # per character, so folding a run alone gives the same result): most of a
    # French text is ASCII, and str.translate with a large table is slow per character.
    if not text.isascii():
        text = _NON_ASCII.sub(_fold_run, text)
    return _DECIMAL_COMMA.sub(".", text.lower().replace("\x00", " "))


def stem(word: str) -> str:
    """A light English/French stem of a folded word: plural and singular meet."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("eaux"):
        word = word[:-1]
    elif word.endswith("aux"):
        word = word[:-3] + "al"
    elif word.endswith(("eux", "oux")) or (
        word.endswith("s") and not word.endswith(("ss", "us", "is"))
    ):
        word = word[:-1]
    if word.endswith("ee") and len(word) > 4:
        word = word[:-2]
    elif word.endswith("e") and len(word) > 3:
        word = word[:-1]
    if word.endswith("y") and len(word) > 3:
        word = word[:-1] + "i"
    return word


@functools.lru_cache(maxsize=65536)
def _chunk_terms(chunk: str) -> tuple[str, ...]:
    # Cached: the words of a thread (and of a whole index rebuild) repeat. In a
    # fixed order (no set's): the index keeps a text's first terms (`text_terms`).
    parts = list(_PART.finditer(chunk))
    terms: dict[str, None] = {}
    for part in parts:
        word = part.group()
        terms[stem(word)] = None
        runs = _RUNS.findall(word)
        if len(runs) > 1:
            terms.update((stem(run), None) for run in runs)
    if len(parts) > 1:
        for first in range(len(parts)):
            for last in range(first + 1, min(len(parts), first + MAX_RUN)):
                terms[chunk[parts[first].start() : parts[last].end()]] = None
        terms[chunk] = None
        words = [part.group() for part in parts]
        if all(word.isdigit() for word in words):
            terms["".join(words)] = None
    return tuple(dict.fromkeys(term[:MAX_TERM_LENGTH] for term in terms if term))


def _ordered_terms(text: str) -> dict[str, None]:
    """The terms of `text` once each, in the order they first appear."""
    folded = fold(text)
    terms: dict[str, None] = {}
    for chunk in _CHUNK.findall(folded):
        terms.update(dict.fromkeys(_chunk_terms(chunk)))
    for digits in _SPACED_DIGITS.findall(folded):
        terms[digits.replace(" ", "")[:MAX_TERM_LENGTH]] = None
    return terms


def index_terms(text: str) -> set[str]:
    """Every term a case's `text` can be found by (see the module's docstring)."""
    return set(_ordered_terms(text))


def text_terms(text: str) -> list[str]:
    """The terms the index keeps of one text (a message, a description): its first
    MAX_TERMS_PER_TEXT, in the order they appear (see "The index's bounds" in
    `cases.search.index`)."""
    return list(_ordered_terms(text))[:MAX_TERMS_PER_TEXT]


def _query_term(chunk: str) -> str:
    parts = _PART.findall(chunk)
    term = stem(parts[0]) if len(parts) == 1 else chunk
    return term[:MAX_TERM_LENGTH]


def query_terms(text: str, *, drop_stopwords: bool = False) -> list[str]:
    """The terms of what a user typed: one a chunk, 2+ characters, at most 8."""
    terms: list[str] = []
    for chunk in _CHUNK.findall(fold(text)):
        term = _query_term(chunk)
        if len(term) < 2 or term in terms or (drop_stopwords and term in _stopword_terms()):
            continue
        terms.append(term)
    return terms[:MAX_TERMS]


# The old name, kept for callers that only need the words.
search_terms = query_terms


@functools.cache
def _stopword_terms() -> frozenset[str]:
    words = (_STOPWORDS_EN + " " + _STOPWORDS_FR).split()
    return frozenset(stem(fold(word)) for word in words)


def is_identifier(term: str) -> bool:
    """Whether a query term is an identifier (see
    `cases.search.similar.SIMILAR_IDENTIFIER_WEIGHT`)."""
    return any(char.isdigit() or char in "@." for char in term)


def entry_text(subject: str, body: str, file_names: str) -> str:
    """The text of one `CaseSearchEntry`: what is tokenised, and what snippets are cut from."""
    return " · ".join(part for part in (subject, body, file_names) if part)
