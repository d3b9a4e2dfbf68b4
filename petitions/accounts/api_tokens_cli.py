"""`flask --app wsgi api-tokens create|list|revoke`: tokens for scanner devices and scripts
(the same as the admin's page /manage/api-tokens, and logged in the audit log alike)."""

import click
from flask.cli import AppGroup
from sqlalchemy import select

from petitions.accounts.api_tokens import (
    all_api_tokens,
    create_api_token,
    forget_token,
    revoke_api_token,
)
from petitions.core.extensions import db
from petitions.models import User
from petitions.models.api_token import ApiToken

api_tokens_cli = AppGroup("api-tokens", help="API tokens for scanner devices and scripts.")


@api_tokens_cli.command("create")
@click.argument("email")
@click.option("--name", default="", help="What the token is for, e.g. 'Door 2 scanner'.")
def create(email, name):
    """A new API token acting as the account EMAIL (printed once)."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"No account {email}.")
    row, clear = create_api_token(user, name, via="CLI")
    db.session.commit()
    click.echo(f"Token {row.id} for {user.email} ({user.role}). Shown only this once:")
    click.echo(clear)


@api_tokens_cli.command("list")
def list_tokens():
    """All tokens: id, account, name, created, last used, revoked."""
    for t, email in all_api_tokens():
        state = f"revoked {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "active"
        used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never"
        click.echo(
            f"{t.id}\t{email}\t{t.name or '-'}\tcreated {t.created_at:%Y-%m-%d}\tused {used}\t{state}"
        )


@api_tokens_cli.command("revoke")
@click.argument("token_id", type=int)
def revoke(token_id):
    """Revoke token TOKEN_ID (it stops working at once)."""
    row = db.session.get(ApiToken, token_id)
    if row is None:
        raise click.ClickException(f"No token {token_id}.")
    if revoke_api_token(row, via="CLI"):
        db.session.commit()
        forget_token(row)
    click.echo(f"Token {token_id} revoked.")
