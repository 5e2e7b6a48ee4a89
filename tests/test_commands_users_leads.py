"""`user create` and `leads export` on the command line: output, files and every bad input."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from quiz.extensions import db
from quiz.models import ExportRecord, User
from tests.helpers import STRONG

pytestmark = pytest.mark.usefixtures("admin_config")


def one_line_error(result, code=(1, 2)):
    assert result.exit_code in code, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.output


# --------------------------------------------------------------------------- user create


def test_user_create_reads_the_password_from_stdin(cli, make_clinic):
    make_clinic("alpha")
    result = cli(
        "user",
        "create",
        "Staff@Alpha.example",
        "--role",
        "staff",
        "--clinic",
        "alpha",
        "--password-stdin",
        input=STRONG + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created staff account staff@alpha.example for clinic alpha." in result.output
    user = db.session.execute(db.select(User)).scalar_one()
    assert user.clinic.slug == "alpha" and user.password_hash.startswith("$argon2id$")
    assert STRONG not in result.output


def test_user_create_prompts_twice_with_hidden_input(cli):
    result = cli(
        "user", "create", "admin@clinic.example", "--role", "admin", input=f"{STRONG}\n{STRONG}\n"
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("Password") == 1 and "Repeat for confirmation" in result.output
    assert STRONG not in result.output


def test_user_create_asks_again_when_the_two_entries_differ(cli):
    result = cli(
        "user",
        "create",
        "admin@clinic.example",
        "--role",
        "admin",
        input=f"{STRONG}\nsomething-else\n{STRONG}\n{STRONG}\n",
    )
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--role", "staff"], STRONG, "staff accounts need --clinic"),
        (["--role", "admin", "--clinic", "alpha"], STRONG, "drop --clinic"),
        (["--role", "owner"], STRONG, "'owner' is not one of"),
        (["--role", "staff", "--clinic", "nowhere"], STRONG, "no such clinic"),
        (["--role", "admin"], "short", "at least 12"),
        (["--role", "admin"], "opsperson-2026", "email address"),
        ([], STRONG, "Missing option '--role'"),
    ],
)
def test_user_create_refuses_bad_input_with_one_line(cli, make_clinic, args, stdin, message):
    make_clinic("alpha")
    result = cli(
        "user", "create", "opsperson@clinic.example", *args, "--password-stdin", input=stdin + "\n"
    )
    output = one_line_error(result)
    assert message in output
    assert db.session.execute(db.select(User)).first() is None


def test_user_create_refuses_a_bad_email_and_a_duplicate(cli):
    output = one_line_error(
        cli("user", "create", "nope", "--role", "admin", "--password-stdin", input=STRONG + "\n")
    )
    assert "not a valid email" in output
    for bad in ("ops,eve@clinic.example", "ops@clinic.example\u2028"):
        output = one_line_error(
            cli("user", "create", bad, "--role", "admin", "--password-stdin", input=STRONG + "\n")
        )
        assert "not a valid email" in output
    ok = cli(
        "user",
        "create",
        "a@clinic.example",
        "--role",
        "admin",
        "--password-stdin",
        input=STRONG + "\n",
    )
    assert ok.exit_code == 0
    again = cli(
        "user",
        "create",
        "A@clinic.example",
        "--role",
        "admin",
        "--password-stdin",
        input=STRONG + "\n",
    )
    assert "already exists" in one_line_error(again)


# --------------------------------------------------------------------------- leads export


@pytest.fixture
def leads(make_clinic, make_lead):
    alpha, beta = make_clinic("alpha", name="Alpha"), make_clinic("beta", name="Beta")
    make_lead(alpha, name="=cmd|' /C calc'!A0")
    make_lead(alpha, name="Zoë Alpha")
    make_lead(beta, name="Bob Beta")


def test_leads_export_writes_csv_to_standard_output(cli, leads):
    result = cli("leads", "export", "--format", "csv", "--output", "-")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert {r["Name"] for r in rows} == {"'=cmd|' /C calc'!A0", "Zoë Alpha", "Bob Beta"}
    assert "3 leads exported." in result.stderr
    record = db.session.execute(db.select(ExportRecord)).scalar_one()
    assert (record.actor, record.format, record.row_count) == ("cli", "csv", 3)


def test_leads_export_filters_by_clinic_and_date(cli, leads):
    result = cli("leads", "export", "--format", "csv", "--clinic", "beta", "--output", "-")
    rows = list(csv.DictReader(io.StringIO(result.stdout.lstrip("\ufeff"))))
    assert [r["Name"] for r in rows] == ["Bob Beta"]
    future = cli("leads", "export", "--format", "csv", "--since", "2999-01-01", "--output", "-")
    assert list(csv.DictReader(io.StringIO(future.stdout.lstrip("\ufeff")))) == []
    record = (
        db.session.execute(db.select(ExportRecord).order_by(ExportRecord.id.desc()))
        .scalars()
        .first()
    )
    assert record.filters == {"since": "2999-01-01"}


def test_leads_export_writes_xlsx_to_a_file(cli, leads, tmp_path):
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "leads.xlsx"
    result = cli(
        "leads", "export", "--format", "xlsx", "--clinic", "alpha", "--output", str(target)
    )
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(target)
    names = [row[3].value for row in book.active.iter_rows(min_row=2)]
    assert sorted(names) == sorted(["'=cmd|' /C calc'!A0", "Zoë Alpha"])
    book.close()
    assert list(target.parent.iterdir()) == [target]  # no temporary file left behind


def test_leads_export_writes_csv_to_a_file(cli, leads, tmp_path):
    target = tmp_path / "leads.csv"
    assert cli("leads", "export", "--format", "csv", "--output", str(target)).exit_code == 0
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
    assert len(target.read_text(encoding="utf-8-sig").splitlines()) == 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "pdf", "--output", "-"], "'pdf' is not one of"),
        (["--format", "xlsx", "--output", "-"], "xlsx cannot go to standard output"),
        (["--format", "csv", "--clinic", "nowhere", "--output", "-"], "no clinic with slug"),
        (["--format", "csv", "--since", "31/01/2026", "--output", "-"], "not a date"),
        (["--format", "csv", "--output", "/nonexistent-folder/x.csv"], "does not exist"),
        (["--format", "csv"], "Missing option '--output'"),
    ],
)
def test_leads_export_refuses_bad_input_and_writes_nothing(cli, leads, args, message):
    result = cli("leads", "export", *args)
    output = one_line_error(result, code=(2,))
    assert message in output
    assert "Lead ID" not in result.stdout
    assert db.session.execute(db.select(ExportRecord)).first() is None
