"""Accounts: sign-in with two-factor, invitations and password resets, users, API tokens,
the /manage/ landing page and the audit log."""

from flask import Flask


def init_app(app: Flask) -> None:
    from petitions.accounts import cli, manage, views
    from petitions.accounts.api_tokens_cli import api_tokens_cli

    app.register_blueprint(views.bp, url_prefix="/auth")
    app.register_blueprint(manage.bp, url_prefix="/manage")
    app.cli.add_command(cli.users_cli)
    app.cli.add_command(api_tokens_cli)
