"""Language choice.

Public pages have a URL per language: `/p/<slug>` (the one printed on every QR code),
`/en/p/<slug>` and `/es/p/<slug>`. A prefixed URL always shows its language, so a shared
cache keeps one copy per URL and never has to vary on cookies. The unprefixed URL follows
the phone's Accept-Language: a Spanish phone is sent on to `/es/p/<slug>` (one redirect,
itself cacheable). Links made on a prefixed page keep its prefix (url_defaults below),
so the form a person signs and the mail they get are in the page's language.

Elsewhere (organizer pages, old `?lang=` links): `?lang=` (remembered in a cookie), the
cookie, then Accept-Language.

Language links are for GET pages. A page answering a POST (a form shown again with its
errors, a "closed" page) links to a GET page in the other language, and has no
alternates; a public form shown again offers the switch inside the form instead, so what
the person typed is kept (form_language_switch).
"""

from functools import lru_cache

from flask import current_app, g, request, url_for
from flask_babel import force_locale, get_locale, lazy_gettext
from werkzeug.datastructures import LanguageAccept
from werkzeug.exceptions import HTTPException
from werkzeug.http import parse_accept_header
from werkzeug.routing import BaseConverter, ValidationError

from petitions.core.urls import public_url

LANG_COOKIE = "lang"


class LanguageConverter(BaseConverter):
    """`<lang:lang_code>`: one of the site's LANGUAGES, else the URL does not match."""

    regex = "[a-z]{2}"

    def to_python(self, value: str) -> str:
        if value not in current_app.config["LANGUAGES"]:
            raise ValidationError()
        return value


def localized_route(bp, rule: str, **options):
    """Route a public page at `rule` and at `/<language>rule`, under one endpoint."""

    def register(view):
        bp.add_url_rule(rule, view_func=view, **options)
        bp.add_url_rule(f"/<lang:lang_code>{rule}", view_func=view, **options)
        return view

    return register


def take_page_language(endpoint, values) -> None:
    """url_value_preprocessor: the URL's language goes to g, not to the view."""
    if values and "lang_code" in values:
        g.page_language = values.pop("lang_code")


def keep_page_language(endpoint, values) -> None:
    """url_defaults: links from a page in one language stay in that language."""
    language = g.get("page_language")
    if (
        language
        and "lang_code" not in values
        and current_app.url_map.is_endpoint_expecting(endpoint, "lang_code")
    ):
        values["lang_code"] = language


def negotiated_language() -> str:
    """The phone's own choice (Accept-Language), the only one a shared URL may follow."""
    return _best_language(
        request.headers.get("Accept-Language", ""), tuple(current_app.config["LANGUAGES"])
    )


@lru_cache(maxsize=512)
def _best_language(header: str, languages: tuple[str, ...]) -> str:
    # Phones send a handful of distinct headers: each is parsed once per process.
    return LanguageAccept(parse_accept_header(header)).best_match(languages) or languages[0]


def asked_language() -> str | None:
    """The ?lang= of an old link or the language switch of a page without language URLs.
    (Most requests have no query string, which then is not parsed at all.)"""
    return request.args.get("lang") if request.query_string else None


def select_locale() -> str:
    if language := g.get("page_language"):
        return language
    languages = current_app.config["LANGUAGES"]
    cookie = request.cookies.get(LANG_COOKIE) if request.cookies else None
    for candidate in (asked_language(), cookie):
        if candidate in languages:
            return candidate
    return negotiated_language()


def language_page(endpoint: str, **values) -> None:
    """Name the GET page a page answering a POST links to in the other languages (the
    petition page for the sign form's answers). Without it, the GET page of the same URL,
    or the home page where the URL takes only POST."""
    g.language_page = (endpoint, values)


def _page_for_languages() -> tuple[str | None, dict]:
    """The page the language links name: this page on a GET; after a POST, a GET page,
    never the POST-only URL (a GET there is 405, and what was typed is gone)."""
    endpoint, values = request.endpoint, dict(request.view_args or {})
    if request.method in ("GET", "HEAD") or endpoint is None:
        return endpoint, values
    if page := g.get("language_page"):
        return page
    try:
        endpoint, values = current_app.create_url_adapter(request).match(request.path, method="GET")
    except HTTPException:  # 405 (or a redirect): the URL has no GET page
        return "public.index", {}
    values.pop("lang_code", None)
    return endpoint, values


def _has_language_urls(endpoint: str | None) -> bool:
    return bool(endpoint) and current_app.url_map.is_endpoint_expecting(endpoint, "lang_code")


def language_url(language: str) -> str:
    """This page in another language: its language URL where it has one, else ?lang=."""
    endpoint, values = _page_for_languages()
    if _has_language_urls(endpoint):
        return url_for(endpoint, **values, lang_code=language)
    if endpoint is None or request.method in ("GET", "HEAD"):
        return f"?lang={language}"
    return url_for(endpoint, **values, lang=language)


def alternate_urls() -> list[tuple[str, str]]:
    """(hreflang, absolute URL) for the page's <link rel=alternate>: each language and
    x-default (the unprefixed URL, which picks by Accept-Language). Empty elsewhere, and on
    a page answering a POST: only GET pages have alternates."""
    endpoint = request.endpoint
    if request.method not in ("GET", "HEAD") or not _has_language_urls(endpoint):
        return []
    args = dict(request.view_args or {})
    languages = [*current_app.config["LANGUAGES"], "x-default"]
    # lang_code=None builds the unprefixed URL (Werkzeug leaves out None values).
    return [
        (code, public_url(endpoint, **args, lang_code=None if code == "x-default" else code))
        for code in languages
    ]


# The in-form language button speaks the language it switches to (see form_language_switch).
SWITCH_LABELS = {
    "en": lazy_gettext("Continue in English, keeping what you typed"),
    "es": lazy_gettext("Continue in Spanish, keeping what you typed"),
}


def form_language_switch() -> list[tuple[str, str, str]]:
    """(language, URL, label) of the other languages, for a public form shown again after
    a POST (`language_switch` in templates/_macros/forms.html). Each is a submit button
    of that form posting to the same view at the other language's URL: what the person
    typed goes along, and the view shows the form again in that language, doing nothing
    else (switching_language). A link would lose what was typed."""
    current = str(get_locale())
    switches = []
    for code in current_app.config["LANGUAGES"]:
        if code == current:
            continue
        with force_locale(code):
            label = str(SWITCH_LABELS.get(code, code))
        url = url_for(request.endpoint, **(request.view_args or {}), lang_code=code)
        switches.append((code, url, label))
    return switches


def switching_language() -> bool:
    """The POST came from a form's language button (form_language_switch): show the form
    again in the URL's language, with what was typed, and do nothing else."""
    return request.form.get("lang") in current_app.config["LANGUAGES"]


def remember_language(response):
    """Called after requests: keep a ?lang= choice for the next visit (never on a page
    shared caches keep: those carry no cookie)."""
    chosen = asked_language()
    if (
        chosen in current_app.config["LANGUAGES"]
        and request.cookies.get(LANG_COOKIE) != chosen
        and not response.cache_control.public
    ):
        response.set_cookie(
            LANG_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax", httponly=True
        )
    return response
