"""Command-line interface: each module of this package contributes its click groups."""

from __future__ import annotations

import importlib
import pkgutil

from flask import Flask


def register_commands(app: Flask) -> None:
    """Attach the GROUPS of every module in this package to the app's CLI."""
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for group in getattr(module, "GROUPS", ()):
            app.cli.add_command(group)
