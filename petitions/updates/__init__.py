"""Petition updates: news an organizer sends to signers, each in their own language."""

from flask import Flask


def init_app(app: Flask) -> None:
    from petitions.updates import cli, mail, views

    app.register_blueprint(views.bp, url_prefix="/manage")
    mail.init_app(app)
    app.cli.add_command(cli.updates_cli)
