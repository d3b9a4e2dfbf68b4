"""Sections: a part puts a piece on another part's page without that page naming it.

A page leaves a slot, `{% for t in sections("petition_dashboard") %}{% include t %}{% endfor %}`,
and a part fills it from its own views module with `add(bp, slot, template, ...)`. The entry is
recorded on the part's blueprint, so a section is on the page exactly when the part that
draws it is registered on the app, and the page never imports (or guesses at) the part.

Slots in use: on the /manage/ index "manage_nav" (links for everyone with an account),
"admin_nav" (admins' links) and "manage_index" (what a role starts with); on the organizer's
petition dashboard "petition_actions" (links) and "petition_dashboard" (panels); on the
signer's thank-you page "signature_thanks"; on an attendee's ticket page "ticket".
"""

from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, Flask, current_app

EXTENSION = "sections"


@dataclass(frozen=True)
class Section:
    template: str
    order: int
    # Asked at render time (it may look at current_user); None: always shown.
    when: Callable[[], bool] | None = None


def register(
    app: Flask, slot: str, template: str, *, order: int = 50, when: Callable[[], bool] | None = None
) -> None:
    """Put `template` in `slot` on this app's pages, among the others by `order`."""
    entries = app.extensions.setdefault(EXTENSION, {}).setdefault(slot, [])
    entries.append(Section(template, order, when))
    entries.sort(key=lambda s: s.order)


def add(
    bp: Blueprint,
    slot: str,
    template: str,
    *,
    order: int = 50,
    when: Callable[[], bool] | None = None,
) -> None:
    """Register the section when `bp` is first registered on an app."""
    bp.record_once(lambda state: register(state.app, slot, template, order=order, when=when))


def sections(slot: str) -> list[str]:
    """The templates of `slot` to include on this request's page, in order."""
    entries = current_app.extensions.get(EXTENSION, {}).get(slot, ())
    return [s.template for s in entries if s.when is None or s.when()]


def init_app(app: Flask) -> None:
    app.extensions.setdefault(EXTENSION, {})
    app.jinja_env.globals["sections"] = sections
