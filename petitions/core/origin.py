"""Cross-site request forgery, refused by where a request comes from.

The public forms (sign, RSVP, poster sign-in, resend, remove) sit on pages shared caches
keep, so they carry no per-visitor token. Browsers say where a request comes from: the
rule is the one Go's net/http CrossOriginProtection uses. Safe methods pass; any other
passes when Sec-Fetch-Site is `same-origin` or `none` (typed or bookmarked); when a
browser sends no Sec-Fetch-Site (before 2023), it passes when Origin is absent or names
this site. Organizer forms keep Flask-WTF's token on top. docs/signing.md says why.

Both checks run in one before_request hook that safe methods leave at once: Flask-WTF's
own hook (WTF_CSRF_CHECK_DEFAULT, off in config.py) would look up every GET's view to
see whether it is exempt before it looks at the method.
"""

from urllib.parse import urlsplit

from flask import current_app, request
from flask_babel import gettext as _

from petitions.core.errors import render_error
from petitions.core.extensions import csrf

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def allow_cross_site(view):
    """For the rare POST that other sites make on purpose (a mail provider's one-click
    unsubscribe); it must carry its own proof, such as a token in the URL."""
    view.cross_site_allowed = True
    return view


def _own_origins() -> set[str]:
    origins = {request.host}
    if base := current_app.config.get("PUBLIC_BASE_URL"):
        origins.add(urlsplit(base).netloc)
    return origins


def from_another_site() -> bool:
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site not in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin is None:
        return False  # not a browser, or one too old to say: nothing to go by
    return urlsplit(origin).netloc not in _own_origins()


def refuse_forgery():
    """before_request hook: a form sent from another site stores nothing, and an
    organizer form needs its CSRF token."""
    if request.method in SAFE_METHODS:
        return None
    view = current_app.view_functions.get(request.endpoint)
    if from_another_site() and not getattr(view, "cross_site_allowed", False):
        return render_error(
            403,
            _(
                "This form was sent from another website, so nothing was saved. "
                "Please open the page on our own site and send the form there."
            ),
        )
    if current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect(apply_exemptions=True)  # public forms are @csrf.exempt
    return None
