"""Webhooks: endpoints an admin set up, and each message sent to them with its attempts.

A WebhookDelivery is one message (one event to one endpoint). Its `message_id` is the
Standard Webhooks `webhook-id` header, the same on every attempt and on "send again", so
a receiver can drop repeats. Every try is a WebhookAttempt row: when, the answer's status
code, or the error in plain words."""

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from petitions.core.extensions import db
from petitions.models.base import utcnow


class WebhookStatus(enum.StrEnum):
    PENDING = "pending"  # waits for its first attempt
    FAILED = "failed"  # the last attempt failed; a retry is due at next_attempt_at
    DELIVERED = "delivered"  # the endpoint answered 2xx
    GIVEN_UP = "given_up"  # failed on every retry of the schedule


class Webhook(db.Model):
    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    # "whsec_" + base64 of random bytes: kept, because every message is signed with it.
    secret: Mapped[str] = mapped_column(String(100))
    events: Mapped[str] = mapped_column(String(300))  # comma-separated event types
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    created_by = relationship("User")

    @property
    def event_types(self) -> list[str]:
        return [e for e in self.events.split(",") if e]


class WebhookDelivery(db.Model):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_webhook", "webhook_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    message_id: Mapped[str] = mapped_column(String(40), unique=True)  # "msg_..."
    event_type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)  # the JSON body, as signed and sent
    status: Mapped[str] = mapped_column(String(16), default=WebhookStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]  # naive UTC; None once delivered or given up
    last_status_code: Mapped[int | None]
    last_error: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]

    webhook: Mapped[Webhook] = relationship()
    tries = relationship(
        "WebhookAttempt", order_by="WebhookAttempt.id", cascade="all, delete-orphan"
    )


class WebhookAttempt(db.Model):
    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_delivery", "delivery_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE")
    )
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    status_code: Mapped[int | None]
    error: Mapped[str] = mapped_column(String(300), default="")
    seconds: Mapped[float] = mapped_column(default=0.0)
