"""`flask --app wsgi users create|deactivate` (and `api-tokens`, in api_tokens_cli.py)."""

import click
from flask.cli import AppGroup
from flask_babel import force_locale

from petitions.accounts.api_tokens import forget_tokens_of
from petitions.accounts.services import (
    AccountError,
    create_user,
    find_user,
    password_problem,
    set_active,
)
from petitions.core.audit import record
from petitions.core.extensions import db
from petitions.models import AuditAction

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
