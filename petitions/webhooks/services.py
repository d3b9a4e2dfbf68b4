"""Setting webhooks up: add (with a new secret, shown once), list, remove; each in the
audit log. The CLI and the admin page both come here. Nothing here commits."""

from __future__ import annotations

import base64
import secrets

from flask import current_app
from sqlalchemy import func, select

from petitions.core import audit
from petitions.core.extensions import db
from petitions.models import User, Webhook, WebhookDelivery
from petitions.webhooks import endpoints
from petitions.webhooks.delivery import EVENTS, forget_subscriptions

SECRET_PREFIX = "whsec_"
AUDIT_ADD = "webhook.add"
AUDIT_REMOVE = "webhook.remove"


class WebhookError(ValueError):
    """A webhook that cannot be added; the message says why."""


def new_secret() -> str:
    """A Standard Webhooks secret: whsec_ and the base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def parse_events(text: str | None) -> list[str]:
    """The event types of a comma-separated list (all of them when empty)."""
    names = [e.strip() for e in (text or "").split(",") if e.strip()]
    if not names:
        return list(EVENTS)
    unknown = [e for e in names if e not in EVENTS]
    if unknown:
        raise WebhookError(f"Unknown event {', '.join(unknown)}: choose from {', '.join(EVENTS)}.")
    return [e for e in EVENTS if e in names]


def add_webhook(url: str, events: list[str], user: User | None = None, via: str = "") -> Webhook:
    """A new active webhook (its secret on the row, to show once). Raises WebhookError
    for a URL no webhook may post to (endpoints.resolve)."""
    try:
        url = endpoints.check_url(url)
        endpoints.resolve(url)
    except endpoints.UnsafeEndpoint as e:
        raise WebhookError(str(e)) from None
    unknown = [e for e in events if e not in EVENTS]
    if unknown or not events:
        raise WebhookError("Choose at least one event.")
    hook = Webhook(url=url, secret=new_secret(), events=",".join(events), active=True,
                   created_by_id=user.id if user is not None else None)  # fmt: skip
    db.session.add(hook)
    db.session.flush()
    audit.record(AUDIT_ADD, user=user, object_type="webhook", object_id=hook.id,
                 detail="; ".join(p for p in (url, hook.events, via) if p))  # fmt: skip
    return hook


def remove_webhook(hook: Webhook, user: User | None = None, via: str = "") -> bool:
    """Stop it (its deliveries stay on record); False when it was removed already."""
    if not hook.active:
        return False
    hook.active = False
    audit.record(AUDIT_REMOVE, user=user, object_type="webhook", object_id=hook.id,
                 detail="; ".join(p for p in (hook.url, via) if p))  # fmt: skip
    return True


def changed() -> None:
    """After the commit of an add or remove."""
    forget_subscriptions(current_app._get_current_object())


def active_webhooks() -> list[Webhook]:
    return list(
        db.session.scalars(select(Webhook).where(Webhook.active.is_(True)).order_by(Webhook.id))
    )


def all_webhooks() -> list[tuple[Webhook, int]]:
    """Every webhook with its number of messages, newest first."""
    counts = (
        select(WebhookDelivery.webhook_id, func.count().label("n"))
        .group_by(WebhookDelivery.webhook_id)
        .subquery()
    )
    query = (
        select(Webhook, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.webhook_id == Webhook.id)
        .order_by(Webhook.active.desc(), Webhook.id.desc())
    )
    return [(h, n) for h, n in db.session.execute(query)]


def recent_deliveries(hook: Webhook, limit: int = 50) -> list[WebhookDelivery]:
    return list(
        db.session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.webhook_id == hook.id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
    )
