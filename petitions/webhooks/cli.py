"""`flask --app wsgi webhooks add|list|remove` (the same as the admin page
/manage/webhooks, and in the audit log alike)."""

import click
from flask.cli import AppGroup

from petitions.core.extensions import db
from petitions.models import Webhook
from petitions.webhooks import services
from petitions.webhooks.delivery import EVENTS

webhooks_cli = AppGroup("webhooks", help="Signed webhooks to the coalition's other systems.")


@webhooks_cli.command("add")
@click.argument("url")
@click.option(
    "--events", default="", help=f"Comma-separated, of: {','.join(EVENTS)} (default all)."
)
def add(url, events):
    """Post events to URL, signed with a new secret (printed once)."""
    try:
        hook = services.add_webhook(url, services.parse_events(events), via="CLI")
    except services.WebhookError as e:
        raise click.ClickException(str(e)) from None
    db.session.commit()
    services.changed()
    click.echo(f"Webhook {hook.id} posts {hook.events} to {hook.url}.")
    click.echo("Its signing secret, shown only this once:")
    click.echo(hook.secret)


@webhooks_cli.command("list")
def list_webhooks():
    """Every webhook: id, state, events, URL, messages sent."""
    for hook, count in services.all_webhooks():
        state = "active" if hook.active else "removed"
        click.echo(f"{hook.id}\t{state}\t{hook.events}\t{hook.url}\t{count} message(s)")


@webhooks_cli.command("remove")
@click.argument("webhook_id", type=int)
def remove(webhook_id):
    """Stop webhook WEBHOOK_ID (its record of messages stays)."""
    hook = db.session.get(Webhook, webhook_id)
    if hook is None:
        raise click.ClickException(f"No webhook {webhook_id}.")
    if services.remove_webhook(hook, via="CLI"):
        db.session.commit()
        services.changed()
    click.echo(f"Webhook {webhook_id} removed.")
