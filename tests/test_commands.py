"""The clinic, questions and db commands, and what a broken set-up prints."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from quiz.extensions import db
from quiz.models import Clinic
from tests.helpers import flask_process

ROOT = Path(__file__).resolve().parent.parent


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_clinic_create_stores_the_clinic_and_prints_its_snippet(app):
    result = run(
        app,
        "clinic", "create", "acme", "--name", "Acme Skin",
        "--origin", "https://www.acme.example/", "--origin", "http://localhost:8080",
        "--email", "Desk@Acme.example", "--language", "de",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert '<script src="' in result.stdout and 'data-clinic="acme"' in result.stdout
    assert "<noscript>" in result.stdout
    clinic = db.session.execute(db.select(Clinic).filter_by(slug="acme")).scalar_one()
    assert clinic.origins == ["https://www.acme.example", "http://localhost:8080"]
    assert clinic.email == "desk@acme.example"
    assert clinic.language == "de"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Bad Slug!", "--name", "X"], "slug"),
        (["acme", "--name", "   "], "name"),
        (["acme", "--name", "X", "--origin", "ftp://acme.example"], "origin"),
        (["acme", "--name", "X", "--origin", "https://acme.example/path"], "origin"),
        (["acme", "--name", "X", "--email", "nobody"], "email"),
        (["acme", "--name", "X", "--email", "desk,eve@acme.example"], "email"),
        (["acme", "--name", "X", "--email", "=?utf-8?q?desk?=@acme.example"], "email"),
        (["acme", "--name", "X", "--language", "fr"], "language"),
        (["acme", "--name", "X", "--webhook", "not a url"], "webhook"),
        # An argument in no valid encoding: Python hands "\xff" over as a lone surrogate.
        (["acme", "--name", "A\udcffB"], "remove the NUL or broken characters"),
        (["acme", "--name", "X", "--webhook", "https://a\udcff.example/h"], "broken characters"),
        (["acme", "--name", "X", "--origin", "https://a\udcff.example"], "broken characters"),
    ],
)
def test_clinic_create_refuses_bad_input_in_one_line(app, args, message):
    result = run(app, "clinic", "create", *args)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert db.session.execute(db.select(Clinic)).first() is None


def test_clinic_create_refuses_a_duplicate_slug(app, make_clinic):
    make_clinic("acme")
    result = run(app, "clinic", "create", "acme", "--name", "Again")
    assert result.exit_code == 1
    assert "already exists" in result.output


def test_clinic_list_prints_one_clinic_a_line(app, make_clinic):
    make_clinic("beta", name="Beta", origins=["https://beta.example"])
    make_clinic("alpha", name="Alpha")
    result = run(app, "clinic", "list")
    lines = result.stdout.strip().splitlines()
    assert [line.split("\t")[0] for line in lines] == ["alpha", "beta"]
    assert "https://beta.example" in lines[1]


def test_questions_check_accepts_the_shipped_questionnaire(app):
    result = run(app, "questions", "check")
    assert result.exit_code == 0, result.output
    assert "OK, version" in result.stdout


def test_questions_check_lists_every_problem_with_its_json_path(app, tmp_path):
    document = json.loads((ROOT / "questions.json").read_text())
    document["questions"][1]["options"][1]["id"] = document["questions"][1]["options"][0]["id"]
    document["outcomes"][0]["content"] = ["no-such-page"]
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(document))
    shutil.copytree(ROOT / "quiz", tmp_path / "quiz", ignore=shutil.ignore_patterns("*.py"))
    result = run(app, "questions", "check", str(broken))
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert any(line.startswith("questions[1].options[1].id: duplicate id") for line in lines)
    assert any("outcomes[0].content[0]: unknown content id" in line for line in lines)
    assert "Traceback" not in result.output


def test_questions_check_reports_a_missing_file(app, tmp_path):
    result = run(app, "questions", "check", str(tmp_path / "nope.json"))
    assert result.exit_code in (1, 2)
    assert "Traceback" not in result.output


def test_a_broken_questionnaire_stops_start_up_with_one_line_per_problem(tmp_path):
    broken = tmp_path / "q.json"
    broken.write_text('{"areas": [], "steps": []}')
    proc = flask_process(tmp_path, "clinic", "list", QUESTIONS_FILE=str(broken))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("q.json: ")]
    assert any("areas: must be a non-empty list" in line for line in lines)
    assert any('missing "questions"' in line for line in lines)


def test_db_upgrade_builds_a_schema_that_matches_the_models(tmp_path):
    upgrade = flask_process(tmp_path, "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    check = flask_process(tmp_path, "db", "check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No new upgrade operations detected" in check.stdout + check.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["leads", "erase", "not-an-email"],
        ["leads", "export", "--format", "pdf", "--output", "-"],
        ["clinic", "create"],
        ["deliver", "--poll", "soon"],
    ],
)
def test_bad_arguments_get_exactly_one_line_and_exit_2(tmp_path, args):
    proc = flask_process(tmp_path, *args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), proc.stderr
    assert "Traceback" not in proc.stderr
