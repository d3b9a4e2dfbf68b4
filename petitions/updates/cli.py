"""`flask --app wsgi updates send ...`, for scripts and cron."""

import click
from flask.cli import AppGroup
from sqlalchemy import select

from petitions.core.extensions import db
from petitions.mail import mailings
from petitions.mail.cli import report
from petitions.models import Petition
from petitions.updates import services as service

updates_cli = AppGroup("updates", help="Updates to a petition's signers.")


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
    report(mailing_id)
