"""`clinic` and `questions` commands."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from quiz import queries, services
from quiz.commands import Group
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
def clinic_create(slug, name, origins, email, webhook, notify, language):
    """Add a clinic and print its embed snippet."""
    try:
        fields = services.ClinicFields(
            name=name,
            origins=origins,
            email=email,
            webhook_url=webhook,
            notify_url=notify,
            language=language,
        )
        clinic = services.create_clinic(slug, fields, actor="cli")
    except services.ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created clinic {clinic.slug!r}. Paste this where the quiz should appear:")
    click.echo(services.embed_snippet(clinic.slug))


@clinic_cli.command("update")
@click.argument("slug")
@click.option(
    "--notify",
    required=True,
    help="Chat webhook told of new leads (Slack-compatible or Teams); '' removes it.",
)
def clinic_update(slug, notify):
    """Change a clinic's chat webhook (the other settings are on its back-office page)."""
    from quiz.services.clinic_admin import set_notify_url

    try:
        clinic = set_notify_url(slug, notify, actor="cli")
    except services.ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    if clinic.notify_url:
        click.echo(f"Clinic {clinic.slug!r}: new leads are announced to its chat webhook.")
    else:
        click.echo(f"Clinic {clinic.slug!r}: no chat webhook.")


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
