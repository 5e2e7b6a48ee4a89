"""`deliver`: run the outbox worker that sends new leads by mail and webhook."""

from __future__ import annotations

import logging
import signal
import threading

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from quiz import delivery
from quiz.commands import Command
from quiz.services import outbox

log = logging.getLogger("quiz.delivery")


@click.command("deliver", cls=Command)
@click.option("--once", is_flag=True, help="Send what is due now, print a summary, then exit.")
@click.option(
    "--poll",
    type=click.FloatRange(min=0.1, max=3600),
    default=5.0,
    show_default=True,
    help="Seconds between looks at the outbox (with REDIS_URL, new leads wake it sooner).",
)
@click.option("--retry-failed", is_flag=True, help="Make every failed delivery due again first.")
@with_appcontext
def deliver_command(once: bool, poll: float, retry_failed: bool) -> None:
    """Send new leads to clinics (mail, webhooks, chat), visitors' copies and reminders."""
    _configure_logging()
    try:
        if retry_failed:
            click.echo(f"{outbox.retry_all_failed()} failed deliveries made due again")
        if once:
            click.echo(str(delivery.run_once()))
            return
    except SQLAlchemyError as exc:
        raise click.ClickException(f"database error: {str(exc).splitlines()[0]}") from None

    stop, idle = threading.Event(), threading.Event()

    def _stop(signum, _frame):
        stop.set()
        # While sending, let the current delivery finish; while only waiting, leave at once.
        if idle.is_set():
            raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    log.info("delivery worker started (poll %s s)", poll)
    try:
        delivery.run_forever(poll, stop=stop, idle=idle)
    except KeyboardInterrupt:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("delivery worker stopped")


def _configure_logging() -> None:
    # Mails logged without MAIL_SERVER, and each delivery's result, should reach the terminal.
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    logging.getLogger("quiz").setLevel(logging.INFO)


GROUPS = (deliver_command,)
