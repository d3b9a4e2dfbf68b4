"""Absolute public URLs, for everything read away from the page: mail, QR codes, PDFs, CLI."""

from urllib.parse import urlsplit

from flask import current_app, url_for


def public_url(endpoint: str, **values) -> str:
    """The absolute URL of an endpoint (fully named, e.g. "public.petition").

    Under PUBLIC_BASE_URL when it is set, so links in mail and print name the public site
    even when made behind a proxy or from the CLI; else from the current request's host."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if not base:
        return url_for(endpoint, _external=True, **values)
    parts = urlsplit(base.rstrip("/"))
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "https"
    )
    current_app.inject_url_defaults(endpoint, values)
    return adapter.build(endpoint, values, force_external=True)


def share_url(endpoint: str, **values) -> str:
    """The absolute URL of a page to pass on (share buttons, og:url, QR codes, print):
    without a language prefix, so each reader gets the page in their own language."""
    return public_url(endpoint, lang_code=None, **values)
