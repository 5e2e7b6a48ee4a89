"""Command-line interface: each module of this package contributes its click groups."""

from __future__ import annotations

import importlib
import pkgutil

import click
from flask import Flask


def register_commands(app: Flask) -> None:
    """Attach the GROUPS of every module in this package to the app's CLI."""
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for group in getattr(module, "GROUPS", ()):
            app.cli.add_command(group)
    click.exceptions.UsageError.show = _show_one_line


def _show_one_line(self: click.UsageError, file=None) -> None:
    # Bad input on any command gets one line (exit status 2), not click's usage banner:
    # operators' scripts read the last line, and `--help` is there for the usage.
    hint = f" (see '{self.ctx.command_path} --help')" if self.ctx is not None else ""
    click.echo(f"Error: {self.format_message()}{hint}", err=True, file=file)
