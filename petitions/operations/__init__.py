"""Running it for real: health checks, retention, backups, the demo, the RQ worker."""

from flask import Flask


def init_app(app: Flask) -> None:
    from petitions.operations import cli, views

    app.register_blueprint(views.bp)
    for command in (cli.bootstrap, cli.demo, cli.retention_cli, cli.backup_command,
                    cli.restore_command):  # fmt: skip
        app.cli.add_command(command)
