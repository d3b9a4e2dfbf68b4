"""Mail to people: the transport, one message builder, the mailings queue and its worker,
the suppression list and the one-click unsubscribe. Parts register their composers and
due-mail hooks here (registry.py); mail/ imports no part."""

from flask import Flask


def init_app(app: Flask) -> None:
    from petitions.mail import cli, unsubscribe

    app.register_blueprint(unsubscribe.bp)
    app.cli.add_command(cli.mail_cli)
