"""Answers every blueprint gives the same way: how pages may be cached, invalid forms.

Shared pages (`@shared`: a petition or event page, its JSON, the event's calendar file)
are the same for every anonymous visitor of one URL: no cookie, `Cache-Control: public`,
kept rendered in Flask-Caching for PUBLIC_CACHE_SECONDS, so nginx or a CDN in front can
serve a surge. While the database is away, the last rendering (at most STALE_PAGE_SECONDS
old) is served instead of an error.
A visitor who brings a session (an organizer, a signer part-way through) gets the page
made for them, private.

Private pages (personal data, a signer's or attendee's token, organizer pages, the API)
are `private, no-store`: nothing keeps them, not even the browser's Back button. The
blueprints that hold only private pages register `no_store` as their after_request hook;
single private routes on a public blueprint take the `@private` decorator. Every other
page gets `private, no-cache` unless its view says otherwise: the browser may keep it for
Back/Forward and revalidates it, shared caches don't store it (forms carry a CSRF token).
"""

from functools import wraps

from flask import (
    Response,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_wtf import FlaskForm
from werkzeug.exceptions import HTTPException

from petitions.core.caching import remember_or_last
from petitions.core.extensions import db
from petitions.core.i18n import asked_language, negotiated_language
from petitions.core.outage import DATABASE, database_unavailable

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


def brings_a_session() -> bool:
    """The request carries a login or session cookie. Asked of the cookies themselves:
    reading the session would mark the answer as varying by cookie."""
    cookies = request.cookies
    if not cookies:  # most visitors of a shared page
        return False
    config = current_app.config
    return bool(
        cookies.get(config["SESSION_COOKIE_NAME"])
        or cookies.get(config.get("REMEMBER_COOKIE_NAME", "remember_token"))
    )


def shared(*, by_language: bool = True):
    """A public page every anonymous visitor of its URL shares (see the module's notes).

    With by_language, the unprefixed URL follows Accept-Language: the default language is
    shown there, another one is a redirect to that language's URL. Templates see
    `g.shared_page` and leave out what belongs to one visitor (flashes, the staff's menu).
    """

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if request.method not in ("GET", "HEAD") or brings_a_session():
                return no_store(make_response(view(*args, **kwargs)))
            g.shared_page = True
            seconds = float(current_app.config["PUBLIC_CACHE_SECONDS"])
            negotiated = by_language and not g.get("page_language")
            if negotiated:
                # An old ?lang= link goes to its language's URL; else the phone's language.
                asked = asked_language()
                chosen = asked if asked in current_app.config["LANGUAGES"] else None
                language = chosen or negotiated_language()
                if chosen or language != current_app.config["LANGUAGES"][0]:
                    args = {**(request.view_args or {}), "lang_code": language}
                    response = redirect(url_for(request.endpoint, **args))
                    return _public(response, seconds, vary_language=not chosen)
                g.page_language = language
            key = f"page:{g.get('page_language', '')}:{request.endpoint}:{sorted(kwargs.items())}"
            status, body, headers = remember_or_last(
                key,
                lambda: _render(view, args, kwargs),
                seconds,
                float(current_app.config["STALE_PAGE_SECONDS"]),
                _database_away,
            )
            response = _public(Response(body, status, headers), seconds, vary_language=negotiated)
            if "If-None-Match" in request.headers or "If-Modified-Since" in request.headers:
                return response.make_conditional(request)
            return response

        return wrapped

    return decorate


def _database_away(error: BaseException) -> bool:
    if not database_unavailable(error):
        return False
    DATABASE.failed(error)
    db.session.rollback()
    return True


def _render(view, args, kwargs) -> tuple[int, bytes, list]:
    """The view's answer as plain data Flask-Caching can keep: a 404 is kept too, so a
    flood of made-up slugs does not reach the database."""
    try:
        rv = view(*args, **kwargs)
    except HTTPException as e:
        rv = current_app.handle_user_exception(e)
    response = current_app.make_response(rv)
    response.add_etag()
    headers = [(k, v) for k, v in response.headers.items() if k in KEPT_HEADERS]
    return response.status_code, response.get_data(), headers


# What a shared page keeps of the view's own headers (the rest is set on every answer).
KEPT_HEADERS = frozenset(
    {
        "Content-Type",
        "Content-Disposition",
        "ETag",
        "Location",
        "Access-Control-Allow-Origin",
        "Content-Security-Policy",  # an embed's frame-ancestors (core.framing)
    }
)


def _public(response: Response, seconds: float, *, vary_language: bool) -> Response:
    age = max(1, int(seconds))
    response.headers.add("Cache-Control", f"public, max-age={age}, s-maxage={age}")
    if vary_language:
        response.headers.add("Vary", "Accept-Language")
    return response


class SessionInterface(SecureCookieSessionInterface):
    """Flask's cookie session, but a shared page is not marked `Vary: Cookie`: Flask-Login
    looks into the (empty) session on every request, and Flask then adds the Vary header,
    though a shared page was made without any cookie and never reads one. A request
    without the cookie gets a new session without building the cookie's serializer,
    which an anonymous page would otherwise do for nothing."""

    def open_session(self, app, request):
        if app.secret_key and self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response) -> None:
        if g.get("shared_page") and not session.modified:
            session.accessed = False
        super().save_session(app, session, response)


def form_page(template: str, form: FlaskForm, *, status: int | None = None, **context):
    """A page with a form: 400 when a submitted form is shown again with its errors.

    A view that knows better passes `status`: 422 when the form was valid but the file it
    carried was refused (an import with errors in it), 409 when what it asks for conflicts
    with what is stored (a duplicate, a closed petition)."""
    if status is None:
        status = 400 if form.is_submitted() else 200
    return render_template(template, form=form, **context), status
