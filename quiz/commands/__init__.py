"""Command-line interface: each module of this package contributes its click groups.

Bad input on any of them gets one line (exit status 2), not click's usage banner:
operators' scripts read the last line, and `--help` is there for the usage.
"""

from __future__ import annotations

import importlib
import pkgutil
from contextlib import contextmanager

import click
from flask import Flask
from flask.cli import AppGroup


class OneLineUsageError(click.UsageError):
    """A usage error shown as one line naming the command's --help."""

    def __init__(self, error: click.UsageError):
        """Keep the message (with its parameter hint) and the context of `error`."""
        super().__init__(error.format_message(), error.ctx)

    def show(self, file=None) -> None:
        """Print `Error: message (see 'command --help')` to standard error."""
        hint = f" (see '{self.ctx.command_path} --help')" if self.ctx is not None else ""
        click.echo(f"Error: {self.format_message()}{hint}", err=True, file=file)


@contextmanager
def _one_line():
    try:
        yield
    except OneLineUsageError:
        raise  # already made one line by a command under this one
    except click.exceptions.NoArgsIsHelpError:
        raise  # a group called without a command answers with its help, as asked
    except click.UsageError as exc:
        raise OneLineUsageError(exc) from None


class OneLineErrors:
    """Report bad input on this command, or on any command under it, in one line."""

    def make_context(self, info_name, args, parent=None, **extra):
        """Parse this command's own arguments."""
        with _one_line():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx):
        """Run the command: for a group, parse and run the command under it."""
        with _one_line():
            return super().invoke(ctx)


class Group(OneLineErrors, AppGroup):
    """A group of the quiz's commands: Flask's AppGroup (an app context), one-line errors."""

    @classmethod
    def adopt(cls, group: click.Group) -> Group:
        """Return a Group with the name, options, callback and commands of another group."""
        return cls(
            group.name,
            commands=group.commands,
            params=group.params,
            callback=group.callback,
            help=group.help,
            short_help=group.short_help,
        )


class Command(OneLineErrors, click.Command):
    """A quiz command outside any group, with one-line errors."""


def register_commands(app: Flask) -> None:
    """Attach the GROUPS of every module in this package to the app's CLI."""
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for group in getattr(module, "GROUPS", ()):
            app.cli.add_command(group)
    # Flask-Migrate's `db` (added by migrate.init_app) answers bad input like the others.
    app.cli.add_command(Group.adopt(app.cli.commands["db"]))
