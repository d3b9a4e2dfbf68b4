"""Rallies: events with RSVP, personal tickets, the sign-in poster, the volunteers'
scanner and the check-in API, rally mail (tickets, reminders, change notices)."""

from flask import Flask


def init_app(app: Flask) -> None:
    from petitions.rallies import api, mail, manage, scanner, views

    app.register_blueprint(manage.bp, url_prefix="/manage/e")
    app.register_blueprint(api.bp, url_prefix="/api/v1")
    app.register_blueprint(scanner.bp)
    app.register_blueprint(views.bp)
    mail.init_app(app)
