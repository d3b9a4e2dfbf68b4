"""Answers every blueprint gives the same way: how pages may be cached, invalid forms.

Private pages (personal data, a signer's or attendee's token, organizer pages, the API)
are `private, no-store`: nothing keeps them, not even the browser's Back button. The
blueprints that hold only private pages register `no_store` as their after_request hook;
single private routes on a public blueprint take the `@private` decorator. Every other
page gets `private, no-cache` unless its view says otherwise: the browser may keep it for
Back/Forward and revalidates it, shared caches don't store it (forms carry a CSRF token).
"""

from functools import wraps

from flask import Response, make_response, render_template
from flask_wtf import FlaskForm

PRIVATE = "private, no-store"
REVALIDATE = "private, no-cache"


def no_store(response: Response) -> Response:
    """after_request hook of the blueprints whose pages are all private."""
    response.headers["Cache-Control"] = PRIVATE
    return response


def revalidate_by_default(response: Response) -> Response:
    """App-wide after_request hook: pages that said nothing about caching revalidate."""
    response.headers.setdefault("Cache-Control", REVALIDATE)
    return response


def private(view):
    """One private route on a blueprint that also has public pages."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        return no_store(make_response(view(*args, **kwargs)))

    return wrapped


def form_page(template: str, form: FlaskForm, *, status: int | None = None, **context):
    """A page with a form: 400 when a submitted form is shown again with its errors.

    A view that knows better passes `status`: 422 when the form was valid but the file it
    carried was refused (an import with errors in it), 409 when what it asks for conflicts
    with what is stored (a duplicate, a closed petition)."""
    if status is None:
        status = 400 if form.is_submitted() else 200
    return render_template(template, form=form, **context), status
