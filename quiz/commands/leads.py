"""`leads` commands: export (the same exporter as the back office's download), the offline
conversions for the ad platforms, and remind."""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

import click

from quiz.auth import Scope
from quiz.commands import Group
from quiz.commands.privacy import erase_command, purge_command
from quiz.conversions import CONVERSION_STATUSES, PLATFORMS
from quiz.exports import iter_csv
from quiz.queries import LeadFilters
from quiz.reporting import FORMATS, conversions_file, start_export
from quiz.services import get_clinic

leads_cli = Group("leads", help="Export and manage leads.")
GROUPS = (leads_cli,)


def _since(_ctx, _param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-01-31") from None


def _clinic(_ctx, _param, value: str | None) -> str | None:
    if value is not None and get_clinic(value) is None:
        raise click.BadParameter(f"no clinic with slug {value!r}")
    return value


def _output(_ctx, _param, value: str) -> Path | None:
    """The file to write, or None for standard output ("-"); its folder must exist."""
    if value == "-":
        return None
    target = Path(value)
    if not target.parent.is_dir():
        raise click.BadParameter(f"folder {str(target.parent)!r} does not exist")
    return target


def _write_beside(target: Path, write, suffix: str = "") -> None:
    """Write through `write(handle)` next to the target and rename, so a failed write never
    leaves half a file."""
    fd, temp = tempfile.mkstemp(suffix=suffix, dir=str(target.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            write(handle)
    except BaseException:
        os.unlink(temp)
        raise
    os.replace(temp, target)


@leads_cli.command("export")
@click.option("--format", "fmt", required=True, type=click.Choice(FORMATS), help="File format.")
@click.option("--clinic", callback=_clinic, help="Only this clinic's leads (slug).")
@click.option("--since", callback=_since, help="Only leads created on or after YYYY-MM-DD (UTC).")
@click.option(
    "--output",
    "target",
    required=True,
    callback=_output,
    help="File to write; - for standard output (csv only).",
)
def leads_export(fmt: str, clinic: str | None, since: date | None, target: Path | None):
    """Write an export of the leads, recording it like a back-office download."""
    if target is None and fmt == "xlsx":
        raise click.BadParameter("xlsx cannot go to standard output", param_hint="--output")
    export = start_export(
        Scope(everything=True),
        LeadFilters(clinic=clinic),
        fmt=fmt,
        actor="cli",
        user_id=None,
        since=since,
    )
    if target is None:
        stream = sys.stdout.buffer
        for chunk in iter_csv(export.rows()):
            stream.write(chunk.encode("utf-8"))
        stream.flush()
        click.echo(f"{export.record.row_count} leads exported.", err=True)
        return
    if fmt == "xlsx":
        # Written next to the target too, then renamed: never half a file.
        os.replace(export.xlsx_file(directory=str(target.parent)), target)
    else:
        _write_beside(target, lambda handle: handle.writelines(export.csv_chunks()), ".csv")
    click.echo(f"{export.record.row_count} leads exported to {target}.", err=True)


@leads_cli.command("conversions")
@click.option(
    "--platform", required=True, type=click.Choice(PLATFORMS), help="The ad platform's format."
)
@click.option("--clinic", callback=_clinic, help="Only this clinic's leads (slug).")
@click.option("--since", callback=_since, help="Only conversions on or after YYYY-MM-DD (UTC).")
@click.option(
    "--status",
    default="booked",
    show_default=True,
    type=click.Choice(tuple(CONVERSION_STATUSES)),
    help="The status that counts as the conversion.",
)
@click.option(
    "--output",
    "target",
    required=True,
    callback=_output,
    help="File to write; - for standard output.",
)
def leads_conversions(platform, clinic, since, status, target):
    """Write the offline conversions of leads with ad consent for an ad platform to import."""
    text, count = conversions_file(
        Scope(everything=True), platform, status=status, clinic=clinic, since=since, actor="cli"
    )
    if target is None:
        # Bytes as built: a text stream could change the CSV's CRLF line ends.
        sys.stdout.buffer.write(text.encode("utf-8"))
        sys.stdout.buffer.flush()
        click.echo(f"{count} conversions written.", err=True)
        return
    _write_beside(target, lambda handle: handle.write(text))
    click.echo(f"{count} conversions written to {target}.", err=True)


# Erasure and retention live with the privacy rules; they are `leads` subcommands.
def _now(_ctx, _param, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO 8601 time like 2026-01-31T09:00:00Z"
        ) from None
    # A time without an offset is read as UTC, as every time of the app is.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@leads_cli.command("remind")
@click.option(
    "--now",
    callback=_now,
    metavar="ISO8601",
    help="Act as if it were this time (UTC unless it has an offset); default: now.",
)
def leads_remind(now: datetime | None):
    """Mail each clinic's staff a digest of its leads still new past the follow-up time."""
    from quiz.services import reminders

    click.echo(str(reminders.remind(now or datetime.now(UTC))))


leads_cli.add_command(erase_command)
leads_cli.add_command(purge_command)
