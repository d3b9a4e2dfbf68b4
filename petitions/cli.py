"""Commands under `flask --app wsgi ...`."""

import click
from flask import Flask
from flask.cli import AppGroup
from flask_babel import force_locale

from petitions.accounts.api_tokens import forget_tokens_of
from petitions.accounts.api_tokens_cli import api_tokens_cli
from petitions.accounts.services import (
    AccountError,
    create_user,
    find_user,
    password_problem,
    set_active,
    user_count,
)
from petitions.badges.cli import badges_cli
from petitions.core.audit import record
from petitions.core.extensions import db
from petitions.models import AuditAction
from petitions.operations.cli import backup_command, restore_command, retention_cli
from petitions.operations.demo import load_demo, load_first_look
from petitions.packets.cli import packet_command
from petitions.updates.cli import mail_cli, updates_cli

users_cli = AppGroup("users", help="Organizer accounts.")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "organizer", "volunteer"]), default="organizer")
@click.option("--password", help="Prompted for when left out.")
@click.option("--name", default="")
def users_create(email, role, password, name):
    """Add an account."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with force_locale("en"):  # no request here to choose a language from
        problem = password_problem(password, email)
    if problem:
        raise click.UsageError(problem)
    try:
        user, _ = create_user(email, role, password, name)
    except AccountError as e:
        raise click.ClickException(str(e)) from e
    db.session.commit()
    click.echo(f"Created {user.role} {user.email}")


@users_cli.command("deactivate")
@click.argument("email")
def users_deactivate(email):
    """Lock an account out: its sessions and API tokens stop working at once."""
    user = find_user(email)
    if user is None:
        raise click.ClickException(f"No account has the email {email}.")
    set_active(user, False)
    record(AuditAction.USER_DEACTIVATE, object_type="user", object_id=user.id, detail="CLI")
    db.session.commit()
    forget_tokens_of(user)
    click.echo(f"Deactivated {user.email}; their sessions have ended.")


@click.command("bootstrap")
def bootstrap():
    """On an empty database: an admin with a random password (printed once) and the demo,
    with a few hundred signatures, RSVPs and check-ins to look at."""
    if user_count():
        click.echo("Accounts exist already; nothing to do.")
        return
    user, password = create_user("admin@example.org", "admin", name="Admin")
    db.session.commit()
    click.echo("=" * 60)
    click.echo("Created the first admin account. This password is shown only once:")
    click.echo(f"  email:    {user.email}")
    click.echo(f"  password: {password}")
    click.echo("=" * 60)
    click.echo(load_first_look(by=user))


@click.command("demo")
@click.option("--signatures", default=0, show_default=True, help="Fake signatures to add.")
@click.option("--attendees", default=0, show_default=True, help="Fake rally RSVPs to add.")
def demo(signatures, attendees):
    """Demo data (idempotent): petition `demo`, rally `demo-rally`."""
    click.echo(load_demo(signatures=signatures, attendees=attendees))


def register_cli(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(bootstrap)
    app.cli.add_command(demo)
    app.cli.add_command(api_tokens_cli)
    app.cli.add_command(badges_cli)
    app.cli.add_command(packet_command)
    app.cli.add_command(retention_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(updates_cli)
    app.cli.add_command(mail_cli)
