"""`user` commands: back-office accounts."""

from __future__ import annotations

import sys

import click

from quiz import delivery
from quiz.commands import Group
from quiz.services import ServiceError, accounts
from quiz.services import users as user_service

user_cli = Group("user", help="Manage back-office accounts.")
GROUPS = (user_cli,)


def _check_role(role: str, clinic: str | None) -> None:
    if role == "staff" and not clinic:
        raise click.UsageError("staff accounts need --clinic SLUG")
    if role == "admin" and clinic:
        raise click.UsageError("admin accounts see every clinic: drop --clinic")


@user_cli.command("invite")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(user_service.ROLES), help="Access.")
@click.option("--clinic", "clinic", help="The clinic a staff account sees (staff only).")
def user_invite(email: str, role: str, clinic: str | None):
    """Create an account and mail its owner a link to choose a password (72 hours, once)."""
    _check_role(role, clinic)
    try:
        user, delivery_id = accounts.invite_user(email, role, clinic=clinic, actor="cli")
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    outcome, error = delivery.send_now(delivery_id)
    where = f" for clinic {clinic}" if clinic else ""
    if outcome in ("sent", "queued"):
        click.echo(f"Invited {user.email} ({user.role}{where}): the link works once, for 72 hours.")
    else:
        click.echo(
            f"Invited {user.email} ({user.role}{where}), but the mail is not sent yet: {error}. "
            "The delivery worker retries it (see 'deliver')."
        )


@user_cli.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(user_service.ROLES), help="Access.")
@click.option("--clinic", "clinic", help="The clinic a staff account sees (staff only).")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)
def user_create(email: str, role: str, clinic: str | None, password_stdin: bool):
    """Create a back-office account; without --password-stdin, ask for the password twice."""
    _check_role(role, clinic)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = user_service.create_user(email, role, password, clinic=clinic)
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    where = f" for clinic {clinic}" if clinic else ""
    click.echo(f"Created {user.role} account {user.email}{where}.")
