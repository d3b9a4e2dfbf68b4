"""Paper petitions: printable sign-up sheets, keyboard-only entry, CSV import."""

from flask import Flask


def init_app(app: Flask) -> None:
    from petitions.paper import views

    app.register_blueprint(views.bp, url_prefix="/manage")
