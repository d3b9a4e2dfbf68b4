"""The welcome table's kiosk: a volunteer's phone or tablet handed to one person after
another, for a rally (walk-ups and check-ins, "also sign") or for canvassing a petition.
It works with no signal: entries queue on the device and sync once each."""

from flask import Flask


def init_app(app: Flask) -> None:
    from petitions.kiosk import views

    app.register_blueprint(views.bp)
