"""Every error is a clear page (or JSON for API/JSON URLs) in the visitor's language.

A database that is away for a moment (core.outage) is a 503 with Retry-After, never a
500. A public form whose view is marked `@keeps_form(render)` is shown again as the
person filled it, with the 503, so nothing typed is lost: `render` takes the view's
arguments and returns the form page made from request.form, as the view shows a form
with errors. When even that page cannot be made (its petition cannot be read either),
a short page with a "Try again" button that sends the same fields again stands in.
"""

from functools import wraps

from flask import current_app, flash, g, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException, InternalServerError

from petitions.core.extensions import db
from petitions.core.outage import DATABASE, database_unavailable

# Never sent back in a page: the honeypot a person never fills, and any password or token.
HONEYPOT = "website"
SECRETS = ("password", "token")


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.endswith(".json")


def _messages(code: int) -> str:
    return {
        400: _("Something in that request was not right. Please go back and try again."),
        403: _("You do not have permission to see this page."),
        404: _("We could not find that page. The link may be mistyped or out of date."),
        405: _("That page cannot be used this way."),
        413: _("What you sent is too large. Please shorten it and try again."),
        429: _("Too many tries in a short time. Please wait a minute and try again."),
        500: _(
            "Something went wrong on our side. Your information was not saved; please try again."
        ),
        503: _("The site cannot reach its database just now. Please try again in a minute."),
    }.get(code, _("Something went wrong. Please try again."))


def render_error(code: int, message: str | None = None):
    message = message or _messages(code)
    if _wants_json():
        return jsonify(error=message, status=code), code
    return render_template("errors.html", code=code, message=message), code


def _retry_after() -> dict:
    g.retry_after = str(current_app.config["RETRY_AFTER_SECONDS"])
    return {"Retry-After": g.retry_after, "Cache-Control": "private, no-store"}


def keep_retry_after(response):
    """App after_request hook, registered before Flask-Limiter's so that it runs after it:
    the limiter sets Retry-After on every answer of a limited view to its window's reset,
    which would tell a signer who met the outage to wait a minute."""
    if retry_after := g.pop("retry_after", None):
        response.headers["Retry-After"] = retry_after
    return response


def database_unavailable_answer():
    """The 503 for a request that met the database away (outside a @keeps_form view)."""
    db.session.rollback()
    body, code = render_error(503)
    return make_response(body, code, _retry_after())


def _retry_page():
    """A page that needs no database: the message, and the same fields sent again."""
    fields = [
        (name, value)
        for name, values in request.form.lists()
        if name != HONEYPOT and not any(secret in name for secret in SECRETS)
        for value in values
    ]
    html = render_template("unavailable.html", action=request.url, fields=fields)
    return make_response(html, 503, _retry_after())


SIGN_AGAIN = _l(
    "We couldn't save that just now — your details are still below, please press Sign again."
)
SEND_AGAIN = _l(
    "We couldn't save that just now — your details are still below, please send the form again."
)
PRESS_AGAIN = _l("We couldn't save that just now. Please press the button again.")


def keeps_form(render, message=SIGN_AGAIN):
    """Mark a public form's view: on a database outage its POST answers with `render`'s
    page (the form as filled) and `message`, status 503 and Retry-After, the session
    rolled back."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            try:
                return view(*args, **kwargs)
            except (sa_exc.DBAPIError, sa_exc.TimeoutError) as e:
                if request.method != "POST" or not database_unavailable(e):
                    raise
                DATABASE.failed(e)
                db.session.rollback()
            flash(str(message), "error")
            try:
                page = make_response(render(*args, **kwargs))
            except (sa_exc.DBAPIError, sa_exc.TimeoutError) as e:
                if not database_unavailable(e):
                    raise
                db.session.rollback()
                return _retry_page()
            page.status_code = 503
            page.headers.update(_retry_after())
            return page

        return wrapped

    return decorate


def register_error_handlers(app):
    @app.errorhandler(sa_exc.DBAPIError)
    @app.errorhandler(sa_exc.TimeoutError)
    def database_error(e):
        if not database_unavailable(e):
            raise e  # a real bug: Flask logs it and answers the 500 below
        DATABASE.failed(e)
        return database_unavailable_answer()

    @app.errorhandler(CSRFError)
    def csrf_error(_e):
        return render_error(
            400,
            _(
                "This form expired or did not come from this site. "
                "Please reload the page and send it again."
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        if e.code is None or e.code < 400:
            return e
        response = render_error(e.code)
        if e.code == 405 and e.valid_methods:
            body, code = response
            return body, code, {"Allow": ", ".join(e.valid_methods)}
        return response

    @app.errorhandler(InternalServerError)
    def server_error(e: InternalServerError):
        # An after_request hook that met the outage reaches here, not database_error.
        if e.original_exception is not None and database_unavailable(e.original_exception):
            DATABASE.failed(e.original_exception)
            return database_unavailable_answer()
        db.session.rollback()
        return render_error(500)
