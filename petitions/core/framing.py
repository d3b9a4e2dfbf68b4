"""Who may show a page inside a frame: nobody, except the pages made for it.

Every page refuses to be framed (`frame-ancestors 'none'` and `X-Frame-Options: DENY`,
the SECURITY_HEADERS in petitions/__init__.py). A page made to be embedded in another
site (a petition's embed, its thank-you) sends the same Content-Security-Policy with its
own `frame-ancestors` through `allow_framing`; the app-wide hook then adds no
X-Frame-Options, which knows only DENY and SAMEORIGIN and would overrule it in older
browsers.
"""

from flask import Response

# Nothing on these pages loads from anywhere but this server: no CDN, no trackers.
POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; media-src 'self' blob:; worker-src 'self'; manifest-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'"
)
CSP = f"{POLICY}; frame-ancestors 'none'"


def framing_policy(origins: list[str] | tuple[str, ...] = ()) -> str:
    """The Content-Security-Policy of a page other sites may frame: those origins, or
    any site when there are none."""
    return f"{POLICY}; frame-ancestors {' '.join(origins) if origins else '*'}"


def allow_framing(response: Response, origins: list[str] | tuple[str, ...] = ()) -> Response:
    response.headers["Content-Security-Policy"] = framing_policy(origins)
    response.headers.pop("X-Frame-Options", None)
    return response


def framing_allowed(headers) -> bool:
    """The view chose its own framing policy (the security hook adds no DENY then)."""
    policy = headers.get("Content-Security-Policy", "")
    return "frame-ancestors" in policy and "frame-ancestors 'none'" not in policy
