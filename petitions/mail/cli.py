"""`flask --app wsgi mail due|resume|suppress`: bulk mail for scripts and cron."""

from datetime import datetime

import click
from flask.cli import AppGroup

from petitions.core.extensions import db
from petitions.mail import mailings, suppressions
from petitions.models import Mailing

mail_cli = AppGroup("mail", help="Bulk mail: due sends, resuming, the suppression list.")


def report(mailing_id: int) -> None:
    progress = mailings.progress(db.session.get(Mailing, mailing_id))
    click.echo(
        f"Delivered {progress['sent']:,}, failed {progress['failed']:,}, "
        f"skipped {progress['skipped']:,}, still queued {progress['queued']:,}."
    )
    if progress["waiting"]:
        click.echo(
            f"{progress['waiting']:,} waiting to retry, next try at "
            f"{progress['next_try']:%Y-%m-%d %H:%M} UTC: {progress['last_error']}."
        )


@mail_cli.command("due")
@click.option("--now", "now_text", help="Act as if it were this UTC time (YYYY-MM-DD HH:MM).")
def mail_due(now_text):
    """Send what is due: scheduled updates, rally reminders, sends whose worker died."""
    now = None
    if now_text:
        try:
            now = datetime.fromisoformat(now_text)
        except ValueError as e:
            raise click.BadParameter("use YYYY-MM-DD HH:MM (UTC)", param_hint="--now") from e
    started = mailings.run_due(now, clock=mailings.Clock(now))
    click.echo(f"{started} mailing(s) sent.")


@mail_cli.command("resume")
@click.argument("mailing_id", type=int)
@click.option("--force", is_flag=True, help="The worker is known dead: do not wait for its lease.")
def mail_resume(mailing_id, force):
    """Send what is still queued of a mailing, in this process (after its worker died)."""
    mailing = db.session.get(Mailing, mailing_id)
    if mailing is None:
        raise click.ClickException(f"No mailing {mailing_id}.")
    if force:
        mailing.lease_until = None
        db.session.commit()
    status = mailings.run(mailing_id)
    click.echo(f"Mailing {mailing_id}: {status}.")
    report(mailing_id)


@mail_cli.command("suppress")
@click.argument("email")
@click.option("--reason", default="unsubscribed")
def mail_suppress(email, reason):
    """Put one address on the suppression list."""
    added = suppressions.suppress(email, reason)
    db.session.commit()
    click.echo("Added." if added else "Already on the list (or not an address).")
