"""`flask --app wsgi updates send ...` and `flask --app wsgi mail ...`, for scripts and cron."""

from datetime import datetime

import click
from flask.cli import AppGroup
from sqlalchemy import select

from petitions.core.extensions import db
from petitions.mail import mailings, suppressions
from petitions.models import Mailing, Petition
from petitions.updates import services as service

updates_cli = AppGroup("updates", help="Updates to a petition's signers.")
mail_cli = AppGroup("mail", help="Bulk mail: due sends, resuming, the suppression list.")


def _report(mailing_id: int) -> None:
    progress = mailings.progress(db.session.get(Mailing, mailing_id))
    click.echo(
        f"Delivered {progress['sent']:,}, failed {progress['failed']:,}, "
        f"skipped {progress['skipped']:,}, still queued {progress['queued']:,}."
    )


@updates_cli.command("send")
@click.argument("slug")
@click.option("--subject", required=True)
@click.option(
    "--body", required=True, help="Plain text (blank lines between paragraphs) or simple HTML."
)
@click.option("--subject-es", default="", help="Spanish subject (empty: the English one).")
@click.option("--body-es", default="", help="Spanish text (empty: the English one).")
@click.option("--audience", type=click.Choice(["signers", "opted_in"]), required=True)
@click.option("--publish", is_flag=True, help="Also show the update on the petition page.")
@click.option("--yes", is_flag=True, help="Send without asking.")
def updates_send(slug, subject, body, subject_es, body_es, audience, publish, yes):
    """Write an update and send it now (in this process), in each signer's language."""
    petition = db.session.scalars(select(Petition).where(Petition.slug == slug)).first()
    if petition is None:
        raise click.ClickException(f"No petition with the address {slug!r}.")
    size = service.audience_size(petition, audience)
    if size == 0:
        raise click.ClickException(
            "Nobody in this audience can get mail yet (no confirmed signer with an email "
            "who has not unsubscribed). Nothing was sent."
        )
    if not yes:
        click.confirm(f"Send “{subject}” to {size:,} addresses?", abort=True)
    data = service.UpdateData(subject, body, subject_es, body_es, audience, publish)
    try:
        update = service.create_update(petition, data)
        mailing = service.send_update(update)
    except service.UpdateError as e:
        db.session.rollback()
        raise click.ClickException(str(e)) from e
    mailing_id, recipients = mailing.id, mailing.recipients
    db.session.commit()
    click.echo(f"Sending to {recipients:,} addresses (mailing {mailing_id})…")
    mailings.run(mailing_id)
    _report(mailing_id)


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
    _report(mailing_id)


@mail_cli.command("suppress")
@click.argument("email")
@click.option("--reason", default="unsubscribed")
def mail_suppress(email, reason):
    """Put one address on the suppression list."""
    added = suppressions.suppress(email, reason)
    db.session.commit()
    click.echo("Added." if added else "Already on the list (or not an address).")
