"""`keys` commands (encryption key rotation) and the erase and purge commands for `leads`."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from quiz.commands import Group
from quiz.crypto import new_key
from quiz.services import ServiceError, privacy

keys_cli = Group("keys", help="Manage the keys that encrypt health answers at rest.")
GROUPS = (keys_cli,)


@keys_cli.command("new")
def keys_new():
    """Print a fresh encryption key and how to start using it."""
    key = new_key()
    click.echo(key)
    click.echo(
        "To start using it, put it first in DATA_ENCRYPTION_KEY and keep the current key(s) "
        "after it, comma-separated (DATA_ENCRYPTION_KEY=NEW,OLD), restart the app, then run "
        "`flask --app wsgi keys rotate`. Remove the old key only after rotate reports "
        "0 re-encrypted.",
        err=True,
    )


@keys_cli.command("rotate")
@click.option(
    "--batch-size",
    type=click.IntRange(1, 10_000),
    default=200,
    show_default=True,
    help="Leads re-encrypted per transaction.",
)
def keys_rotate(batch_size: int):
    """Re-encrypt every lead's health answers under the newest key (safe to re-run)."""
    try:
        rotated, current = privacy.rotate_keys(batch_size=batch_size, actor="cli")
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"re-encrypted {rotated} leads, {current} already current")


def _email(_ctx, _param, value: str) -> str:
    try:
        return privacy.clean_email(value)
    except ServiceError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command("erase")
@click.argument("email", callback=_email)
@with_appcontext
def erase_command(email: str):
    """Delete every lead of EMAIL (any clinic), with its notes and deliveries."""
    count = privacy.erase_person(email, actor="cli")
    click.echo(f"{count} lead{'' if count == 1 else 's'} erased")


@click.command("purge")
@with_appcontext
def purge_command():
    """Delete leads older than LEAD_RETENTION_DAYS."""
    count = privacy.purge_expired(actor="cli")
    click.echo(f"{count} lead{'' if count == 1 else 's'} purged")
