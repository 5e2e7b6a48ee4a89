"""Bad input on the quiz's commands gets one line, and click stays as it is for the rest."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from quiz.commands import OneLineErrors


def test_every_command_the_app_adds_is_one_of_the_quizs(app):
    # A group built with click or AppGroup directly would answer bad input with a banner.
    plain = [name for name, c in app.cli.commands.items() if not isinstance(c, OneLineErrors)]
    assert plain == []


@pytest.mark.parametrize(
    "args",
    [
        ["clinic", "--bogus"],
        ["clinic", "bogus"],
        ["clinic", "create", "acme", "--language"],
        ["user", "create", "ada@example.com", "--role", "staff"],
        ["deliver", "--poll", "soon"],
        ["db", "upgrade", "--bogus"],
    ],
)
def test_bad_input_on_any_command_is_one_line(app, args):
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr


def test_the_one_line_names_the_command_to_ask_for_help(app):
    result = app.test_cli_runner().invoke(args=["clinic", "create"])
    # The root is `flask` from the shell, the app's name under the test runner.
    assert result.stderr.startswith("Error: Missing argument 'SLUG'. (see '")
    assert result.stderr.endswith(" clinic create --help')\n")


def test_a_group_called_without_a_command_shows_its_help(app):
    result = app.test_cli_runner().invoke(args=["clinic"])
    assert "Manage clinics." in result.stderr and "Commands:" in result.stderr


def test_commands_that_are_not_the_quizs_keep_clicks_usage_banner(app):
    @click.command()
    @click.argument("slug")
    def other(slug: str) -> None:
        """Not a command of the quiz."""

    result = CliRunner().invoke(other, [])
    assert result.exit_code == 2
    assert result.stderr.startswith("Usage: other [OPTIONS] SLUG")
