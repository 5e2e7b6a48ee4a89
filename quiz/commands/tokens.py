"""`token` commands: create, list and revoke a clinic's API tokens."""

from __future__ import annotations

import click

from quiz import queries, services
from quiz.commands import Group
from quiz.services import tokens

token_cli = Group("token", help="Manage API tokens for the pull API.")
GROUPS = (token_cli,)


def _clinic(slug: str):
    clinic = services.get_clinic(slug)
    if clinic is None:
        raise click.ClickException(f"no clinic with slug {slug!r}")
    return clinic


@token_cli.command("create")
@click.option("--clinic", "slug", required=True, help="The clinic the token reads leads of.")
def token_create(slug: str):
    """Create an API token for a clinic and print it once."""
    clinic = _clinic(slug)
    secret = tokens.create_token(clinic)
    click.echo(secret)
    click.echo(
        f"This is the only time the token for {clinic.slug!r} is shown; store it safely.",
        err=True,
    )


@token_cli.command("list")
@click.option("--clinic", "slug", required=True, help="The clinic whose tokens to list.")
def token_list(slug: str):
    """Print one token a line: id, created, last used, revoked (never the secret)."""
    for record in queries.list_tokens(_clinic(slug)):
        click.echo(
            "\t".join(
                [
                    str(record.id),
                    record.created_at.isoformat(timespec="seconds"),
                    record.last_used_at.isoformat(timespec="seconds")
                    if record.last_used_at
                    else "never used",
                    "revoked " + record.revoked_at.isoformat(timespec="seconds")
                    if record.revoked_at
                    else "active",
                ]
            )
        )


@token_cli.command("revoke")
@click.argument("token_id", type=int)
def token_revoke(token_id: int):
    """Revoke a token by its id, as `token list` shows it."""
    try:
        tokens.revoke(token_id)
    except services.ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Token {token_id} revoked.")
