"""The CSV export of the case log: streamed, Excel-friendly and formula-safe."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from types import SimpleNamespace
from typing import Any

from django.db import connections
from django.db.models import CharField, QuerySet
from django.db.models.functions import Cast
from django.db.models.sql.constants import MULTI
from django.http import StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from cases.models import Case, CaseState

BOM = "\ufeff"
# A cell starting with one of these is read as a formula by spreadsheet programs.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Every separator a spreadsheet may split the file on, whichever the export's
# language: an English file opened by a French spreadsheet splits on ";".
SEPARATORS = (",", ";")
_FORMULA_AFTER_SEPARATOR = re.compile(
    f"([{re.escape(''.join(SEPARATORS))}])(?=[{re.escape(''.join(FORMULA_PREFIXES))}])"
)
CHUNK_ROWS = 2000
_HOUR = timedelta(hours=1)
_LAST_SECOND = timedelta(seconds=3599)


def neutralize(value: str) -> str:
    """Make a spreadsheet show `value` as text, never run it (OWASP CSV injection).

    A cell that starts like a formula gets a `'`; so does each part after a
    separator of either language (`x ;@SUM(1+1)`, `x ,=1+1`): a spreadsheet that
    splits the file on the other separator would start a cell there. The field is
    also quoted when written (`csv_lines`). `export_rows` calls it only for a
    value that starts so or holds a separator (a quick `in` first: most have
    neither, and the export is benchmarked).
    """
    if value.startswith(FORMULA_PREFIXES):
        value = "'" + value
    if "," in value or ";" in value:
        value = _FORMULA_AFTER_SEPARATOR.sub(r"\1'", value)
    return value


@dataclass(frozen=True)
class Conventions:
    """How a language's spreadsheets read a CSV: the separator they split on and
    the date text they recognise as a date (LibreOffice and Excel alike)."""

    delimiter: str
    date: Callable[[str], str]  # "YYYY-MM-DDTHH:MM:SS+HH:MM" -> the cell's text


# French spreadsheets split on ";" (the comma is their decimal mark) and read
# JJ/MM/AAAA; English ones split on "," and read ISO dates.
CONVENTIONS = {
    "fr": Conventions(";", lambda iso: f"{iso[8:10]}/{iso[5:7]}/{iso[:4]} {iso[11:16]}"),
    "en": Conventions(",", lambda iso: f"{iso[:10]} {iso[11:16]}"),
}


def conventions_for(language: str | None) -> Conventions:
    return CONVENTIONS.get((language or "en").split("-")[0], CONVENTIONS["en"])


def export_header(zone_name: str | None = None) -> list[str]:
    zone_name = zone_name or timezone.get_current_timezone_name()
    return [
        _("Case ID"),
        _("Creation date (%(zone)s)") % {"zone": zone_name},
        _("State"),
        _("Primary e-mail"),
        _("Short description"),
    ]


def local_iso(tz: tzinfo) -> Callable[[Any], str]:
    """`value.astimezone(tz).isoformat(timespec="seconds")` of a UTC date, for a
    whole export: ISO 8601 local time with the offset.

    `value` is an aware datetime, or (SQLite) the stored text of a UTC date,
    "YYYY-MM-DD HH:MM:SS[.ffffff]". The zone's offset is looked up once per UTC
    hour: when it is the same at both ends of the hour and a whole number of
    hours, the local text is the hour's local prefix + the stored minutes and
    seconds + the offset, by string slicing; a zone 30 minutes off adds the
    hour's offset to each date; an hour with a change of offset inside it
    converts each date through the zone.
    """
    hours: dict[str, tuple[str, str, timedelta | None] | None] = {}

    def convert(value: Any) -> str:
        if isinstance(value, str):
            key = value[:13]
            try:
                found = hours[key]
            except KeyError:
                found = hours[key] = _hour_prefix(key, value, tz)
            if found is not None:
                prefix, suffix, offset = found
                if offset is None:
                    return prefix + value[14:19] + suffix
                local = datetime.fromisoformat(value[:19]) + offset
                return local.isoformat() + suffix
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(tz).isoformat(timespec="seconds")

    return convert


def _hour_prefix(key: str, value: str, tz: tzinfo) -> tuple[str, str, timedelta | None] | None:
    """(local "YYYY-MM-DDTHH:", offset "+HH:MM", None) of the UTC hour `key`;
    ("", offset text, offset) when the offset is constant in the hour but not a
    whole number of hours; None when it changes inside the hour."""
    if len(value) < 19 or value[10] != " " or value[13] != ":" or value[16] != ":":
        return None
    try:
        start = datetime.fromisoformat(key + ":00:00").replace(tzinfo=UTC)
        local = start.astimezone(tz)
        offset = local.utcoffset()
        end_offset = (start + _LAST_SECOND).astimezone(tz).utcoffset()
    except (ValueError, OverflowError):
        return None
    if offset is None or offset != end_offset:
        return None
    text = local.isoformat()  # "YYYY-MM-DDTHH:MM:SS+HH:MM"
    if offset % _HOUR:
        return "", text[19:], offset
    return text[:14], text[19:], None


def local_date_texts(tz: tzinfo, date_text: Callable[[str], str]) -> Callable[[Any], str]:
    """`date_text(local_iso(tz)(value))` of each date of an export, faster: an
    hour of stored UTC text that reads as one local hour (the minutes are the
    text's last two characters at both ends of the hour) has its text up to the
    minutes made once; each date of that hour adds its own minutes. Any other
    hour (a half-hour zone, an offset change) converts each date."""
    iso = local_iso(tz)
    hours: dict[str, str | None] = {}

    def text(value: Any) -> str:
        if isinstance(value, str):
            key = value[:13]
            try:
                prefix = hours[key]
            except KeyError:
                prefix = hours[key] = _hour_text_prefix(value, iso, date_text)
            if prefix is not None:
                return prefix + value[14:16]
        return date_text(iso(value))

    return text


def _hour_text_prefix(
    value: str, iso: Callable[[Any], str], date_text: Callable[[str], str]
) -> str | None:
    if len(value) < 19 or value[10] != " " or value[13] != ":" or value[16] != ":":
        return None
    first, last = date_text(iso(value[:13] + ":00:00")), date_text(iso(value[:13] + ":59:59"))
    if first.endswith("00") and last.endswith("59") and first[:-2] == last[:-2]:
        return first[:-2]
    return None


def export_rows(
    queryset: QuerySet[Case],
    labels: dict[str, str],
    tz: tzinfo,
    date_text: Callable[[str], str] = CONVENTIONS["en"].date,
) -> Iterator[list[tuple[str, ...]]]:
    """The rows of the export, a list per database chunk (what `csv.writer` takes).

    Read through the query compiler: raw rows by chunks, with a server-side
    cursor where the database has them (as `QuerySet.iterator()`), without
    Django's per-row converters. On SQLite the date is read as its stored text
    (a cast: the driver would parse it into a datetime, and the export would
    format it back).
    """
    connection = connections[queryset.db]
    created: Any = "created_at"
    if connection.vendor == "sqlite":
        created = Cast("created_at", output_field=CharField())
    values = queryset.values_list("id", created, "state", "primary_email", "short_description")
    compiler = values.query.get_compiler(using=values.db)
    chunked = not connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")
    chunks = compiler.execute_sql(MULTI, chunked_fetch=chunked, chunk_size=CHUNK_ROWS)
    local_date = local_date_texts(tz, date_text)
    label = labels.get
    prefixes = FORMULA_PREFIXES
    for chunk in chunks or ():
        # The check before `neutralize` inlined: a call per cell would cost more.
        yield [
            (
                str(case_id),
                local_date(created_at),
                label(state, state),
                neutralize(email)
                if email.startswith(prefixes) or "," in email or ";" in email
                else email,
                neutralize(text)
                if text.startswith(prefixes) or "," in text or ";" in text
                else text,
            )
            for case_id, created_at, state, email, text in chunk
        ]


def csv_lines(
    header: list[str], chunks: Iterable[list[tuple[str, ...]]], delimiter: str = ","
) -> Iterator[str]:
    """The file's text, a piece per chunk of rows.

    A row holding the other language's separator is written with every field
    quoted (`csv.writer` quotes only its own separator), so a spreadsheet that
    splits on either keeps the field whole; the rest stay as they were.
    """
    written: list[str] = []
    out = SimpleNamespace(write=written.append)
    writer = csv.writer(out, delimiter=delimiter)
    quoting = csv.writer(out, delimiter=delimiter, quoting=csv.QUOTE_ALL)
    other = next(separator for separator in SEPARATORS if separator != delimiter)
    writer.writerow([neutralize(h) for h in header])
    yield BOM + "".join(written)
    for rows in chunks:
        written.clear()
        start = 0
        for index in _rows_holding(other, rows):
            writer.writerows(rows[start:index])
            quoting.writerow(rows[index])
            start = index + 1
        writer.writerows(rows[start:] if start else rows)
        if written:
            yield "".join(written)


def _rows_holding(separator: str, rows: list[tuple[str, ...]]) -> list[int]:
    """The indexes of the rows with `separator` in a field, in order.

    The rows' text is joined in C (`map`), and searched once first: most chunks
    have no such row.
    """
    lines = list(map("".join, rows))
    if separator not in "".join(lines):
        return []
    return [index for index, line in enumerate(lines) if separator in line]


def csv_export_response(
    queryset: QuerySet[Case], *, language: str | None = None, tz: tzinfo | None = None
) -> StreamingHttpResponse:
    """The export of `queryset` in `language`'s spreadsheet conventions and labels,
    its dates in `tz` (defaults: the current language and time zone, which the
    site sets from the user's choices)."""
    with translation.override(language or translation.get_language()):
        # Labels and zone are read now: the body streams after the view returns.
        tz = tz or timezone.get_current_timezone()
        convention = conventions_for(translation.get_language())
        labels = {value: str(label) for value, label in CaseState.choices}
        header = export_header(getattr(tz, "key", None) or str(tz))
        # Translators: the CSV export's file name (ASCII, no spaces); keep %(date)s.
        filename = _("case-log-%(date)s.csv") % {
            "date": timezone.localdate(timezone=tz).isoformat()
        }
    rows = export_rows(queryset, labels, tz, convention.date)
    response = StreamingHttpResponse(
        csv_lines(header, rows, convention.delimiter),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
