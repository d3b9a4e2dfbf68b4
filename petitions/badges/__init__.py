"""Waitlist-number badges: a signer's or attendee's own badge, staff sheets, designs."""

from flask import Flask


def init_app(app: Flask) -> None:
    from petitions.badges import cli, views

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.badges_cli)
