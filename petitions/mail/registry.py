"""The parts that send bulk mail, as mail/ knows them: at app setup each part registers
the composer of its mailing kinds and, if it has any, the hook that queues its mail when
due (rally reminders). mail/ looks them up here rather than importing the parts, so the
imports run one way: parts → mail.

Kept per app (app.extensions), like an extension's state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from flask import Flask, current_app

from petitions.models import Mailing

# A delivery row → its message (None: nothing to send to that row any more).
Compose = Callable[[Any], EmailMessage | None]


@dataclass
class _Kinds:
    composers: dict[str, Callable[[Mailing], Compose]] = field(default_factory=dict)
    due_hooks: list[Callable[[datetime], object]] = field(default_factory=list)


def _kinds(app: Flask) -> _Kinds:
    return app.extensions.setdefault("petitions.mail", _Kinds())


def register_composer(app: Flask, kind: str, factory: Callable[[Mailing], Compose]) -> None:
    """factory(mailing) is called once per send, and returns its Compose."""
    _kinds(app).composers[kind] = factory


def register_due(app: Flask, hook: Callable[[datetime], object]) -> None:
    """hook(now) queues the part's mailings due at `now` (it must be idempotent: several
    processes look for due mail); run_due sends them."""
    hooks = _kinds(app).due_hooks
    if hook not in hooks:
        hooks.append(hook)


def composer_for(mailing: Mailing) -> Compose:
    factory = _kinds(current_app).composers.get(mailing.kind)
    if factory is None:
        raise LookupError(f"no composer is registered for {mailing.kind!r} mailings")
    return factory(mailing)


def queue_due(now: datetime) -> None:
    for hook in _kinds(current_app).due_hooks:
        hook(now)
