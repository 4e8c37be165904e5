"""The CSV export opened by a real spreadsheet program: LibreOffice Calc, headless,
imports each file with the options a spreadsheet of that language uses (separator,
UTF-8, the language for dates: LibreOffice's headless import follows neither the
byte-order mark nor the system locale unless told), and we read the cells back.

`make test` installs LibreOffice (scripts/ensure-libreoffice); without it these
tests are skipped, saying so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cases.models import CaseState
from tests.conftest import make_case

SOFFICE = os.environ.get("SOFFICE_PATH") or shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(
    SOFFICE is None,
    reason="LibreOffice is not installed (scripts/ensure-libreoffice could not install "
    "libreoffice-calc-nogui): the spreadsheet import of the CSV export is NOT tested",
)

NS = {
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
}
# LibreOffice's CSV filter options: separator (character code), text delimiter ("),
# character set (76 = UTF-8), first line, column formats (all "standard"), language.
IMPORT_OPTIONS = {
    "fr": "CSV:59,34,76,1,,1036",  # ";" and French (JJ/MM/AAAA dates)
    "en": "CSV:44,34,76,1,,1033",  # "," and English (United States)
}
FORMULA = '=HYPERLINK("http://evil.example","Click")'
CREATED = datetime(2026, 3, 4, 17, 5, 42, tzinfo=UTC)


def import_in_calc(csv_bytes: bytes, language: str, tmp_path: Path) -> list[list[dict]]:
    """The cells of the first sheet after LibreOffice imported the CSV."""
    source = tmp_path / "export.csv"
    source.write_bytes(csv_bytes)
    subprocess.run(  # noqa: S603 - our own arguments, no shell
        [
            SOFFICE,
            f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
            "--headless",
            f"--infilter={IMPORT_OPTIONS[language]}",
            "--convert-to",
            "fods",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    tree = ET.parse(tmp_path / "export.fods")  # noqa: S314 - LibreOffice's own output
    rows = []
    for row in tree.iter(f"{{{NS['table']}}}table-row"):
        cells = [
            {
                "type": cell.get(f"{{{NS['office']}}}value-type"),
                "date": cell.get(f"{{{NS['office']}}}date-value"),
                "formula": cell.get(f"{{{NS['table']}}}formula"),
                "text": "\n".join(
                    "".join(p.itertext()) for p in cell.iter() if p.tag.endswith("}p")
                ),
            }
            for cell in row.findall("table:table-cell", NS)
        ]
        if any(cell["type"] for cell in cells):
            rows.append([cell for cell in cells if cell["type"]])
    return rows


@pytest.mark.parametrize(
    ("language", "zone", "headers"),
    [
        (
            "fr",
            "America/Montreal",
            ["ID du cas", "Date de création (America/Montreal)", "État"],
        ),
        ("en", "Asia/Tokyo", ["Case ID", "Creation date (Asia/Tokyo)", "State"]),
    ],
)
def test_calc_reads_the_export_in_the_users_conventions(
    client, account, seller, tmp_path, language, zone, headers
):
    seller.language, seller.time_zone = language, zone
    seller.save()
    client.force_login(seller)
    client.cookies["django_language"] = language
    accented = make_case(
        account,
        owner=seller,
        state=CaseState.NEEDS_ATTENTION,
        created_at=CREATED,
        short_description="Problème d'été : colis égaré à Besançon",
    )
    make_case(account, owner=seller, short_description=FORMULA)

    response = client.get("/cases/export.csv?o=created")
    rows = import_in_calc(b"".join(response.streaming_content), language, tmp_path)

    assert [len(row) for row in rows] == [5, 5, 5], "five columns, split on the separator"
    assert [cell["text"] for cell in rows[0][:3]] == headers
    first, second = rows[1], rows[2]
    assert first[0]["text"] == str(accented.id)
    # The creation date is a date cell, at the minute, in the user's zone.
    local = CREATED.astimezone(ZoneInfo(zone)).replace(tzinfo=None, second=0)
    assert first[1]["type"] == "date"
    assert first[1]["date"] == local.isoformat()
    assert first[3]["text"] == "seller@example.com"
    assert first[4]["text"] == "Problème d'été : colis égaré à Besançon"
    # The formula-looking description stays text: no formula, nothing evaluated.
    assert second[4]["type"] == "string"
    assert second[4]["formula"] is None
    assert FORMULA in second[4]["text"]


@pytest.mark.parametrize(
    ("language", "opened_as", "description"),
    [("en", "fr", "x ;@SUM(1+1)"), ("fr", "en", "x ,=1+1")],
)
def test_calc_splitting_on_the_other_separator_finds_no_formula(
    client, account, seller, tmp_path, language, opened_as, description
):
    """An export opened by a spreadsheet of the other language (issue #23.7)."""
    client.force_login(seller)
    client.cookies["django_language"] = language
    make_case(account, owner=seller, short_description=description)

    response = client.get("/cases/export.csv")
    rows = import_in_calc(b"".join(response.streaming_content), opened_as, tmp_path)

    cells = [cell for row in rows for cell in row]
    assert [cell for cell in cells if cell["formula"]] == []
    assert not [cell for cell in cells if cell["type"] != "string" and "SUM" in cell["text"]]
