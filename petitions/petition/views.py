"""The public side: petition pages, signing, the signer's own links, public JSON."""

from functools import wraps
from urllib.parse import quote

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from limits import parse_many
from sqlalchemy import select

from petitions.core.content import current_language, localized
from petitions.core.errors import PRESS_AGAIN, keeps_form
from petitions.core.extensions import csrf, db, limiter
from petitions.core.framing import allow_framing
from petitions.core.i18n import language_page, localized_route, switching_language
from petitions.core.qr import svg
from petitions.core.responses import private, shared
from petitions.core.timezones import iso_utc
from petitions.core.urls import share_url
from petitions.mail import transport as mail
from petitions.models import Petition, PetitionStatus, Signature
from petitions.petition import counting, signing
from petitions.petition.forms import SignForm
from petitions.petition.loaders import public_petition_or_404
from petitions.petition.signing import SignStatus
from petitions.updates.services import delivered_at, published_updates

bp = Blueprint("public", __name__)

PENDING_KEY = "pending_signature"


@localized_route(bp, "/", methods=["GET"])
@shared()
def index():
    petitions = db.session.scalars(
        select(Petition)
        .where(
            Petition.status.in_([PetitionStatus.PUBLISHED, PetitionStatus.CLOSED]),
            Petition.archived_at.is_(None),
        )
        .order_by(Petition.created_at.desc())
    ).all()
    return render_template("petition/index.html", petitions=petitions)


def render_petition_page(petition: Petition, form: SignForm | None = None, *, preview=False):
    """The petition page as HTML (a string). With preview=True, the organizer's preview
    of a draft as the public will see it: the form shown but disabled, no signers."""
    return render_template(
        "petition/petition.html",
        petition=petition,
        form=form or SignForm(petition=petition, formdata=None),
        preview=preview,
        show_form=preview or petition.is_open(),
        body_html=localized(petition, "body"),
        updates=[] if preview else published_updates(petition),
        delivered_at=None if preview else delivered_at(petition),
        count=0 if preview else counting.signature_count(petition),
        supporters=[] if preview else counting.recent_supporters(petition),
        petition_url=share_url("public.petition", slug=petition.slug),
    )


@localized_route(bp, "/p/<slug>", methods=["GET"])
@shared()
def petition(slug):
    return render_petition_page(public_petition_or_404(slug))


@bp.get("/favicon.ico")
def favicon():
    """For browsers and tools that ask for it without reading the page's <link rel=icon>."""
    return send_from_directory(current_app.static_folder, "favicon.ico", max_age=7 * 24 * 3600)


def _sign_limits():
    return current_app.config["RATELIMIT_SIGN_PER_IP"]


def _petition_limits():
    return current_app.config["RATELIMIT_SIGN_PER_PETITION"]


def _petition_key():
    return f"petition:{request.view_args.get('slug', '')}"


def _many_from_this_address() -> bool:
    """Past the softer per-address threshold: take the signature, flag it for review."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return False
    ok = True
    for item in parse_many(current_app.config["RATELIMIT_SIGN_FLAG_PER_IP"]):
        ok = limiter.limiter.hit(item, "sign-flag", get_remote_address()) and ok
    return not ok


def _sign_form_again(slug):
    """The petition page with the sign form as the signer filled it (not the honeypot)."""
    petition = public_petition_or_404(slug)
    return render_petition_page(petition, _form_as_filled(petition))


def _form_as_filled(petition: Petition) -> SignForm:
    form = SignForm(request.form, petition=petition)
    form.website.data = ""
    return form


class PageAnswers:
    """How a sign POST answers on the petition page: a redirect to the next page, the
    pending signature kept in the session, messages flashed."""

    def form_again(self, petition, form, status=200, error=""):
        if error:
            flash(error, "error")
        return render_petition_page(petition, form), status

    def closed(self, petition):
        return render_template("petition/closed.html", petition=petition), 409

    def bot(self, petition):
        return render_template("petition/thanks.html", petition=petition, signature=None)

    def duplicate(self, slug, signature):
        if signature.pending:
            session[PENDING_KEY] = signature.id
            flash(_("You have signed already; it only needs your confirmation."), "ok")
            return redirect(url_for(".pending", slug=slug))
        return redirect(url_for(".already", slug=slug))

    def send(self, message) -> bool:
        return _send(message)

    def pending(self, slug, signature_id, sent):
        session[PENDING_KEY] = signature_id
        return redirect(url_for(".pending", slug=slug))

    def signed(self, slug, token):
        return redirect(url_for(".thanks", slug=slug, token=token))


def sign_with(petition: Petition, slug: str, answers):
    """A sign POST to `petition` (the URL's slug), answered by `answers`: the petition
    page's (PageAnswers) or the embed's (EmbedAnswers). One set of rules for both."""
    language_page("public.petition", slug=slug)  # what this POST's answers link to
    if not petition.is_open():
        return answers.closed(petition)
    # A form endpoint: only the form body is read (Flask-WTF would also take JSON).
    form = SignForm(request.form, petition=petition)
    if form.is_bot:
        # Pretend all went well; store nothing.
        return answers.bot(petition)
    if not form.validate_on_submit():
        return answers.form_again(petition, form, 400, _("Please correct the marked fields below."))
    if switching_language():
        # The form's language button: the form again in this URL's language, not signed.
        return answers.form_again(petition, form)
    flagged = "many signatures from one address" if _many_from_this_address() else ""

    result = signing.sign_petition(
        petition,
        **form.signer(),
        language=current_language(),
        source="online",
        flagged=flagged,
        alone=True,
    )
    if result.status == SignStatus.CLOSED:
        return answers.closed(petition)
    if result.status == SignStatus.FULL_HOUSEHOLD:
        form.email.errors = list(form.email.errors) + [
            _(
                "Several people have already signed with this email address. "
                "Please use an email address of your own."
            )
        ]
        return answers.form_again(petition, form, 400)

    if result.status == SignStatus.DUPLICATE:
        return answers.duplicate(slug, result.signature)

    # Everything the answer needs is read before the commit: afterwards no transaction
    # (on SQLite, no write lock) stays open while the mail server is talked to.
    message = None
    if result.status == SignStatus.PENDING or current_app.config.get("SIGN_RECEIPT_MAIL"):
        message = signing.confirmation_message(result.signature)
    pending, signature_id, token = (
        result.status == SignStatus.PENDING,
        result.signature_id,
        result.token,
    )
    db.session.commit()
    sent = answers.send(message) if message is not None else True
    if pending:
        return answers.pending(slug, signature_id, sent)
    return answers.signed(slug, token)


@localized_route(bp, "/p/<slug>/sign", methods=["POST"])
@private
@csrf.exempt  # a public form: refused from other sites by petitions/origin.py instead
@limiter.limit(_sign_limits, key_func=get_remote_address)
@limiter.limit(_petition_limits, key_func=_petition_key)
@keeps_form(_sign_form_again)
def sign(slug):
    return sign_with(public_petition_or_404(slug), slug, PageAnswers())


def _send(message) -> bool:
    """Send the signer's mail; when it could not go out, say so (services.mail logged it)."""
    if mail.send(message):
        return True
    flash(
        _("We could not send the email just now. Please press “Send it again” in a minute."),
        "error",
    )
    return False


@localized_route(bp, "/p/<slug>/already", methods=["GET"])
def already(slug):
    petition = public_petition_or_404(slug)
    return render_template("petition/already.html", petition=petition, **_share_context(petition))


def _pending_signature(petition: Petition) -> Signature | None:
    signature_id = session.get(PENDING_KEY)
    if not isinstance(signature_id, int):
        return None
    signature = db.session.get(Signature, signature_id)
    if signature is None or signature.petition_id != petition.id:
        return None
    return signature


@localized_route(bp, "/p/<slug>/pending", methods=["GET"])
def pending(slug):
    petition = public_petition_or_404(slug)
    signature = _pending_signature(petition)
    if signature is not None and signature.confirmed_at is not None:
        return redirect(url_for(".thanks", slug=slug, token=signature.token))
    return render_template("petition/pending.html", petition=petition, signature=signature)


def _resend_key():
    return f"resend:{session.get(PENDING_KEY)}"


@localized_route(bp, "/p/<slug>/pending/resend", methods=["POST"])
@csrf.exempt  # a public form: refused from other sites by petitions/origin.py instead
@limiter.limit(lambda: current_app.config["RATELIMIT_RESEND"], key_func=get_remote_address)
@limiter.limit(lambda: current_app.config["RATELIMIT_RESEND"], key_func=_resend_key)
def resend(slug):
    petition = public_petition_or_404(slug)
    signature = _pending_signature(petition)
    if signature is None:
        flash(_("We could not find your signature in this browser. Please sign again."), "error")
        return redirect(url_for(".petition", slug=slug))
    if signature.confirmed_at is None:
        message = signing.confirmation_message(signature)
        db.session.rollback()  # no transaction open while talking to the mail server
        if _send(message):
            flash(_("We sent the email again."), "ok")
    return redirect(url_for(".pending", slug=slug))


@localized_route(bp, "/p/<slug>/thanks/<token>", methods=["GET"])
@private
def thanks(slug, token):
    petition = public_petition_or_404(slug)
    signature = signing.by_token(token)
    if signature is None or signature.petition_id != petition.id:
        abort(404)
    if signature.confirmed_at is None:
        return redirect(url_for(".pending", slug=slug))
    return render_template(
        "petition/thanks.html",
        petition=petition,
        signature=signature,
        **_share_context(petition),
    )


def _share_context(petition: Petition) -> dict:
    url = share_url("public.petition", slug=petition.slug)
    title = localized(petition, "title")
    message = _("I signed “%(title)s”. Will you sign too?", title=title)
    text = f"{message} {url}"
    return {
        "petition_url": url,
        "share_text": message,
        "mailto_url": f"mailto:?subject={quote(title)}&body={quote(text)}",
        "whatsapp_url": f"https://wa.me/?text={quote(text)}",
        "sms_url": f"sms:?&body={quote(text)}",
        "qr_svg": svg(url, label=_("QR code of the petition link")),
    }


# --- the signer's own links from the mail: GET shows a button, POST acts --------------


def _signature_or_404(token: str) -> Signature:
    signature = signing.by_token(token)
    if signature is None:
        abort(404)
    return signature


@localized_route(bp, "/s/<token>/confirm", methods=["GET", "POST"])
@private
@csrf.exempt  # the token in the URL is the proof; other sites are refused by origin.py
def confirm(token):
    signature = _signature_or_404(token)
    petition = signature.petition
    if request.method == "POST":
        slug, token = petition.slug, signature.token
        signing.confirm(token)
        db.session.commit()
        flash(_("Thank you! Your signature is confirmed."), "ok")
        return redirect(url_for(".thanks", slug=slug, token=token))
    if signature.confirmed_at is not None:
        return redirect(url_for(".thanks", slug=petition.slug, token=signature.token))
    return render_template("petition/confirm.html", petition=petition, signature=signature)


@localized_route(bp, "/s/<token>/remove", methods=["GET", "POST"])
@private
@csrf.exempt  # the token in the URL is the proof; other sites are refused by origin.py
@keeps_form(lambda token: _remove_page(signing.by_token(token)), PRESS_AGAIN)
def remove(token):
    signature = signing.by_token(token)
    if request.method == "POST":
        slug = None
        if signature is not None:
            slug = signature.petition.slug
            signing.remove_signature(token)
            db.session.commit()
        # This URL's GET is 404 from now on: the other language links to the petition.
        if slug:
            language_page("public.petition", slug=slug)
        else:
            language_page("public.index")
        # Removing twice (a double tap, the link opened again) lands on the same page.
        return render_template("petition/removed.html", slug=slug)
    return _remove_page(signature)


def _remove_page(signature: Signature | None):
    if signature is None:
        abort(404)
    return render_template("petition/remove.html", petition=signature.petition, signature=signature)


# --- public JSON ----------------------------------------------------------------------


@bp.get("/p/<slug>.json")
@shared(by_language=False)
def petition_json(slug):
    petition = public_petition_or_404(slug)
    response = jsonify(
        slug=petition.slug,
        title=petition.title,
        status=str(petition.public_status),
        goal=petition.goal,
        signature_count=counting.signature_count(petition),
        counts_by_town=counting.counts_by_town(petition),
        deadline=iso_utc(petition.deadline),
        url=share_url("public.petition", slug=petition.slug),
    )
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


# --- the embed: the sign form inside another site's page (docs/embeds.md) -------------


def _embed_petition(slug: str) -> Petition:
    """The petition of an embed's URL; its answer may then be framed by the sites the
    petition allows (`framed`)."""
    petition = public_petition_or_404(slug)
    g.embed_origins = petition.embed_origin_list
    return petition


def framed(view):
    """An embed's answer: framed by the petition's allowed sites, or by any when it lists
    none (core.framing). An answer that never found its petition (a 404) stays unframed."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        g.pop("embed_origins", None)
        response = make_response(view(*args, **kwargs))
        if "embed_origins" in g:
            allow_framing(response, g.pop("embed_origins"))
        return response

    return wrapped


def render_embed(petition: Petition, form: SignForm | None = None, *, status=200, error=""):
    return render_template(
        "petition/embed.html",
        petition=petition,
        form=form or SignForm(petition=petition, formdata=None),
        show_form=petition.is_open(),
        count=counting.signature_count(petition),
        petition_url=share_url("public.petition", slug=petition.slug),
        error=error,
    ), status


def _embed_done(petition: Petition, state: str, signature=None, *, mail_failed=False):
    """The embed's last page, inside the frame: thanks, pending or already signed."""
    return render_template(
        "petition/embed_done.html",
        petition=petition,
        state=state,
        signature=signature,
        mail_failed=mail_failed,
        **_share_context(petition),
    )


class EmbedAnswers:
    """How a sign POST answers inside an embed's frame. A frame on another site gets no
    cookies (browsers block them there), so nothing is kept in the session: errors and
    the pending or already-signed page are the POST's own answer, and the thank-you is a
    redirect to the signature's token URL, which is its own proof."""

    def form_again(self, petition, form, status=200, error=""):
        return render_embed(petition, form, status=status, error=error)

    def closed(self, petition):
        return render_embed(petition, status=409)

    def bot(self, petition):
        return _embed_done(petition, "thanks")

    def duplicate(self, slug, signature):
        state = "pending" if signature.pending else "already"
        return _embed_done(_embed_petition(slug), state)

    def send(self, message) -> bool:
        return mail.send(message)

    def pending(self, slug, signature_id, sent):
        return _embed_done(_embed_petition(slug), "pending", mail_failed=not sent)

    def signed(self, slug, token):
        return redirect(url_for(".embed_thanks", slug=slug, token=token))


@localized_route(bp, "/p/<slug>/embed", methods=["GET"])
@shared()
@framed
def embed(slug):
    return render_embed(_embed_petition(slug))


def _embed_form_again(slug):
    petition = _embed_petition(slug)
    return render_embed(petition, _form_as_filled(petition))


@localized_route(bp, "/p/<slug>/embed/sign", methods=["POST"])
@private
@csrf.exempt  # a public form: refused from other sites by petitions/origin.py instead
@limiter.limit(_sign_limits, key_func=get_remote_address)
@limiter.limit(_petition_limits, key_func=_petition_key)
@framed
@keeps_form(_embed_form_again)
def embed_sign(slug):
    return sign_with(_embed_petition(slug), slug, EmbedAnswers())


@localized_route(bp, "/p/<slug>/embed/thanks/<token>", methods=["GET"])
@private
@framed
def embed_thanks(slug, token):
    petition = _embed_petition(slug)
    signature = signing.by_token(token)
    if signature is None or signature.petition_id != petition.id:
        abort(404)
    if signature.confirmed_at is None:
        return _embed_done(petition, "pending")
    return _embed_done(petition, "thanks", signature)


@localized_route(bp, "/p/<slug>/badge.svg", methods=["GET"])
@shared(by_language=False)
def badge(slug):
    """The count as a picture, for newsletters and pages that cannot frame the embed."""
    petition = public_petition_or_404(slug)
    count = counting.signature_count(petition)
    goal = petition.goal if petition.goal and petition.goal > 0 else 0
    # The unprefixed badge is in the first language for every reader: a shared URL that
    # does not vary by Accept-Language.
    with force_locale(g.get("page_language") or current_app.config["LANGUAGES"][0]):
        title = localized(petition, "title")
        svg_text = render_template(
            "petition/badge.svg",
            title=title if len(title) <= 48 else title[:47].rstrip() + "…",
            count=count,
            goal=goal,
            bar=round(296 * min(count, goal) / goal) if goal else 0,
            closed=petition.public_status != PetitionStatus.PUBLISHED,
        )
    return current_app.response_class(svg_text, mimetype="image/svg+xml")
