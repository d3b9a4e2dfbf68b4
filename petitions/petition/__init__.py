"""Petitions: the public page, signing, counts, the signer's own links, the public JSON,
and the organizer's side (create, edit, publish, close, the dashboard, the export)."""

from flask import Flask


def init_app(app: Flask) -> None:
    from petitions.petition import manage, views

    app.register_blueprint(views.bp)
    app.register_blueprint(manage.bp, url_prefix="/manage")
