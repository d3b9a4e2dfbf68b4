"""Every error is a clear page (or JSON for API/JSON URLs) in the visitor's language."""

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from petitions.core.extensions import db


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
    }.get(code, _("Something went wrong. Please try again."))


def render_error(code: int, message: str | None = None):
    message = message or _messages(code)
    if _wants_json():
        return jsonify(error=message, status=code), code
    return render_template("errors.html", code=code, message=message), code


def register_error_handlers(app):
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
    def server_error(_e):
        db.session.rollback()
        return render_error(500)
