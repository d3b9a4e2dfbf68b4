"""Webhooks: signed HTTP POSTs (Standard Webhooks) to the coalition's other systems when
someone signs, RSVPs, checks in or unsubscribes. The parts that make those events only
announce them (core.signals); this part listens, records and delivers (delivery.py)."""

from flask import Flask

from petitions.core import signals
from petitions.webhooks.delivery import announce


def _on_signature(app, **data):
    announce(app, "signature.created", data)


def _on_attendance(app, **data):
    announce(app, "attendance.created", data)


def _on_checkin(app, **data):
    announce(app, "checkin.created", data)


def _on_unsubscribe(app, **data):
    announce(app, "person.unsubscribed", data)


def init_app(app: Flask) -> None:
    from petitions.mail.registry import register_due
    from petitions.webhooks import cli, delivery, views

    app.extensions[delivery.EXTENSION] = delivery._State()
    app.register_blueprint(views.bp, url_prefix="/manage")
    app.cli.add_command(cli.webhooks_cli)
    register_due(app, delivery.due)
    signals.signature_created.connect(_on_signature, sender=app)
    signals.attendance_created.connect(_on_attendance, sender=app)
    signals.checkin_created.connect(_on_checkin, sender=app)
    signals.person_unsubscribed.connect(_on_unsubscribe, sender=app)
