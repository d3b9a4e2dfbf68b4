"""The admins' page of webhooks: /manage/webhooks (list, add, remove) and one webhook's
recent messages with every attempt and a "Send again" button. Admins only."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from petitions.core import sections
from petitions.core.access import admin_required, viewer_is_admin
from petitions.core.extensions import db
from petitions.core.responses import form_page, no_store
from petitions.core.timezones import utc_to_local
from petitions.models import Webhook, WebhookDelivery
from petitions.webhooks import delivery, services
from petitions.webhooks.forms import WebhookForm

bp = Blueprint("manage_webhooks", __name__)
bp.after_request(no_store)
sections.add(bp, "admin_nav", "webhooks/_admin_nav.html", when=viewer_is_admin)


def _webhook_or_404(webhook_id: int) -> Webhook:
    hook = db.session.get(Webhook, webhook_id) if webhook_id < 2**31 else None
    if hook is None:
        abort(404)
    return hook


@bp.route("/webhooks", methods=["GET", "POST"])
@admin_required
def index():
    """Every webhook, and the form for a new one. A new webhook's secret is in the answer
    to its POST only, never in a redirect."""
    form = WebhookForm()
    added = None
    if form.validate_on_submit():
        try:
            added = services.add_webhook(form.url.data, form.events.data, user=current_user)
        except services.WebhookError as e:
            form.url.errors = list(form.url.errors) + [str(e)]
        else:
            db.session.commit()
            services.changed()
            form = WebhookForm(formdata=None)
    return form_page(
        "webhooks/index.html",
        form,
        status=200 if added else None,
        webhooks=services.all_webhooks(),
        added=added,
        when=utc_to_local,
    )


@bp.post("/webhooks/<int:webhook_id>/remove")
@admin_required
def remove(webhook_id: int):
    hook = _webhook_or_404(webhook_id)
    if services.remove_webhook(hook, user=current_user):
        db.session.commit()
        services.changed()
        flash(f"Webhook {hook.id} removed: nothing more is sent to {hook.url}.", "ok")
    return redirect(url_for(".index"))


@bp.get("/webhooks/<int:webhook_id>")
@admin_required
def show(webhook_id: int):
    hook = _webhook_or_404(webhook_id)
    return render_template(
        "webhooks/show.html",
        hook=hook,
        deliveries=services.recent_deliveries(hook),
        when=utc_to_local,
    )


@bp.post("/webhooks/<int:webhook_id>/deliveries/<int:delivery_id>/again")
@admin_required
def send_again(webhook_id: int, delivery_id: int):
    hook = _webhook_or_404(webhook_id)
    row = db.session.get(WebhookDelivery, delivery_id) if delivery_id < 2**31 else None
    if row is None or row.webhook_id != hook.id:
        abort(404)
    if not hook.active:
        flash("This webhook was removed: add it again to send to it.", "error")
        return redirect(url_for(".show", webhook_id=hook.id))
    delivery.send_again(row)
    db.session.commit()
    delivery.start(row.id)
    flash(f"Message {row.message_id} is being sent again (same webhook-id).", "ok")
    return redirect(url_for(".show", webhook_id=hook.id))
