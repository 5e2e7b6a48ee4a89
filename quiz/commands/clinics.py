"""`clinic` and `questions` commands."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from quiz import queries, services
from quiz.commands import Group
from quiz.followup import parse_hours, parse_window
from quiz.messages import Message
from quiz.questions import QuestionnaireError, load

clinic_cli = Group("clinic", help="Manage clinics.")
questions_cli = Group("questions", help="Check questionnaires.")
GROUPS = (clinic_cli, questions_cli)


@clinic_cli.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="The clinic's name, shown to visitors.")
@click.option("--origin", "origins", multiple=True, help="A site allowed to embed the quiz.")
@click.option("--email", help="Where new leads are mailed.")
@click.option("--webhook", help="URL that receives new leads as signed JSON.")
@click.option("--notify", help="Chat webhook (Slack-compatible or Teams) told of new leads.")
@click.option(
    "--language", help="The quiz's language (without it, each visitor's browser chooses)."
)
@click.option("--booking-url", help="The clinic's booking page (https), offered after the result.")
@click.option(
    "--booking-inline",
    is_flag=True,
    help="Show the booking page in a frame on the thanks screen, not as a button.",
)
def clinic_create(slug, name, origins, email, webhook, notify, language, **booking):
    """Add a clinic and print its embed snippet."""
    try:
        fields = services.ClinicFields(
            name=name,
            origins=origins,
            email=email,
            webhook_url=webhook,
            notify_url=notify,
            language=language,
            **booking,
        )
        clinic = services.create_clinic(slug, fields, actor="cli")
    except services.ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created clinic {clinic.slug!r}. Paste this where the quiz should appear:")
    click.echo(services.embed_snippet(clinic.slug))


def _hours(ctx, param, value):
    """Refuse a follow-up time that is not a positive number of hours (usage error, exit 2)."""
    if value is None:
        return None
    parsed = parse_hours(value)
    if not isinstance(parsed, float):
        raise click.BadParameter(str(parsed))
    return parsed


def _window(ctx, param, value):
    """Refuse working hours that are not HH:MM-HH:MM (usage error, exit 2); '' removes them."""
    if value is None or not value.strip():
        return value
    parsed = parse_window(value)
    if isinstance(parsed, Message):
        raise click.BadParameter(str(parsed))
    return str(parsed)


@clinic_cli.command("update")
@click.argument("slug")
@click.option(
    "--notify", help="Chat webhook told of new leads (Slack-compatible or Teams); '' removes it."
)
@click.option("--booking-url", help="The clinic's booking page (https); '' removes it.")
@click.option(
    "--booking-inline/--booking-button",
    default=None,
    help="Show the booking page in a frame on the thanks screen, or as a button to it.",
)
@click.option(
    "--follow-up",
    "follow_up",
    callback=_hours,
    metavar="HOURS",
    help="Hours a new lead may wait for a first contact (default 24).",
)
@click.option(
    "--working-hours",
    callback=_window,
    metavar="HH:MM-HH:MM",
    help="Only these hours (UTC, every day) count towards the follow-up time; '' removes them.",
)
def clinic_update(slug, notify, booking_url, booking_inline, follow_up, working_hours):
    """Change a clinic's chat webhook, booking or follow-up time (the other settings are on its
    back-office page); what is not given stays as it is."""
    from quiz.services.clinic_admin import set_booking, set_follow_up, set_notify_url
    from quiz.services.clinics import check_booking_url, check_notify_url

    given = (notify, booking_url, booking_inline, follow_up, working_hours)
    if all(value is None for value in given):
        raise click.UsageError(
            "give --notify, --booking-url, --booking-inline/--booking-button, --follow-up "
            "or --working-hours"
        )
    try:
        # Every value checked before any is saved: a refused one changes nothing.
        check_notify_url(notify)
        check_booking_url(booking_url)
        if booking_url is not None or booking_inline is not None:
            clinic = set_booking(slug, booking_url, booking_inline, actor="cli")
            click.echo(_booking_line(clinic))
        if follow_up is not None or working_hours is not None:
            clinic = set_follow_up(slug, follow_up, working_hours, actor="cli")
            window = f", working hours {clinic.working_hours} UTC" if clinic.working_hours else ""
            click.echo(
                f"Clinic {clinic.slug!r}: follow-up time {clinic.follow_up_hours:g} hours{window}."
            )
        if notify is not None:
            clinic = set_notify_url(slug, notify, actor="cli")
            _say_notify(clinic)
    except services.ServiceError as exc:
        raise click.ClickException(str(exc)) from None


def _say_notify(clinic) -> None:
    if clinic.notify_url:
        click.echo(f"Clinic {clinic.slug!r}: new leads are announced to its chat webhook.")
    else:
        click.echo(f"Clinic {clinic.slug!r}: no chat webhook.")


def _booking_line(clinic) -> str:
    if not clinic.booking_url:
        return f"Clinic {clinic.slug!r}: no booking link."
    shown = "in a frame on the thanks screen" if clinic.booking_inline else "as a button"
    return f"Clinic {clinic.slug!r}: booking at {clinic.booking_url}, shown {shown}."


@clinic_cli.command("conversion")
@click.argument("slug")
@click.option("--name", help="Conversion name, as in the ad platforms ('' for the default).")
@click.option("--value", help="Value of one conversion, like 120 or 99.50 ('' for none).")
@click.option("--currency", help="ISO 4217 currency of the value, like EUR ('' for none).")
def clinic_conversion(slug, name, value, currency):
    """Set the name, value and currency of a clinic's offline conversions."""
    from quiz.conversions import DEFAULT_NAME
    from quiz.services.clinic_admin import SettingsError, set_conversion

    clinic = services.get_clinic(slug)
    if clinic is None:
        raise click.BadParameter(f"no clinic with slug {slug!r}", param_hint="SLUG")
    # An option left out keeps what is stored; '' clears it.
    given = {
        "name": clinic.conversion_name if name is None else name,
        "value": None if clinic.conversion_value is None else str(clinic.conversion_value),
        "currency": clinic.conversion_currency if currency is None else currency,
    }
    if value is not None:
        given["value"] = value
    try:
        clinic = set_conversion(clinic, **given, actor="cli")
    except SettingsError as exc:
        field, messages = next(iter(exc.errors.items()))
        option = "--" + field.removeprefix("conversion_")
        raise click.BadParameter(str(messages[0]), param_hint=option) from None
    except services.ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    worth = (
        f"{clinic.conversion_value} {clinic.conversion_currency}"
        if clinic.conversion_value is not None
        else "no value"
    )
    click.echo(
        f"Clinic {clinic.slug!r}: conversions named "
        f"{clinic.conversion_name or DEFAULT_NAME!r}, {worth}."
    )


@clinic_cli.command("list")
def clinic_list():
    """Print one clinic a line: slug, name, language, origins, email."""
    for clinic in queries.list_clinics(by="slug"):
        click.echo(services.clinic_summary(clinic))


@clinic_cli.command("webhook-secret")
@click.argument("slug")
def clinic_webhook_secret(slug):
    """Give a clinic a new webhook signing secret and print it (shown this once)."""
    from quiz.services.clinic_admin import rotate_webhook_secret

    try:
        secret = rotate_webhook_secret(slug, actor="cli")
    except services.ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(secret)
    click.echo(
        "Shown once: copy it into the webhook receiver now; the old secret no longer works.",
        err=True,
    )


@clinic_cli.command("ensure-demo", hidden=True)
def clinic_ensure_demo():
    """Create the demo clinic if it does not exist (used by `make run`)."""
    clinic = services.ensure_demo_clinic()
    click.echo(f"Demo clinic {clinic.slug!r} is ready.")


@questions_cli.command("check")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
def questions_check(file: Path | None):
    """Validate a questionnaire; exit 1 with one line per error."""
    path = file or Path(current_app.config["QUESTIONS_FILE"])
    try:
        questionnaire = load(path)
    except QuestionnaireError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        raise SystemExit(1) from None
    click.echo(
        f"{path.name}: OK, version {questionnaire.version}, "
        f"{len(questionnaire.questions)} questions in {len(questionnaire.steps)} steps, "
        f"{len(questionnaire.outcomes)} outcomes, {len(questionnaire.content)} content items"
    )
