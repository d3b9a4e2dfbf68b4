"""Officials directory and delivery packets (organizer pages under /manage/)."""

from flask import Flask


def init_app(app: Flask) -> None:
    from petitions.packets import cli, views

    app.register_blueprint(views.bp, url_prefix="/manage")
    app.cli.add_command(cli.packet_command)
