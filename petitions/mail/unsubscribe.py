"""One-click unsubscribe (RFC 8058): no login, the random token in the link is the key.

GET shows a button (link scanners and previews open links, and must not unsubscribe
anyone); POST unsubscribes, whether from that button or from a mail provider's server
sending `List-Unsubscribe=One-Click`. Those servers carry no CSRF token, and a webmail
may make the POST from its own site, so this one route is exempt from CSRF and from the
cross-site check (petitions/origin.py): the token authenticates it."""

from flask import Blueprint, render_template, request

from petitions.core.errors import PRESS_AGAIN, keeps_form
from petitions.core.extensions import csrf, db
from petitions.core.origin import allow_cross_site
from petitions.core.responses import private
from petitions.mail import suppressions

bp = Blueprint("unsubscribe", __name__)


@bp.route("/u/<token>", methods=["GET", "POST"])
@private
@csrf.exempt
@allow_cross_site
@keeps_form(lambda token: render_template("mail/unsubscribe.html", token=token), PRESS_AGAIN)
def unsubscribe(token: str):
    delivery = suppressions.delivery_by_token(token)
    if delivery is None:
        return render_template("mail/unsubscribe_unknown.html"), 404
    if request.method == "POST":
        suppressions.suppress(delivery.email, "unsubscribed")
        db.session.commit()
        return render_template("mail/unsubscribed.html")
    if suppressions.is_suppressed(delivery.email):
        return render_template("mail/unsubscribed.html", already=True)
    return render_template("mail/unsubscribe.html", token=token)
