"""The organizer's journey: every page a role may open is reachable by links from /manage/.

Each role logs in and follows every same-site `<a href>` breadth-first from /manage/ (GET
only, so nothing is changed but what a GET records, like an export in the audit log). Then
every GET route of app.url_map is requested with the demo's slugs and ids filled in: a
route the role may open (it answers 200: no 403 or 404, no redirect to the login) that no
crawled page links to fails the test.
"""

import re
from collections import deque
from datetime import timedelta
from html.parser import HTMLParser
from itertools import product
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from flask import Blueprint
from sqlalchemy import func, select
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from petitions.core import sections
from petitions.core.extensions import db
from petitions.models import (
    Attendee,
    CheckIn,
    Event,
    EventStatus,
    Petition,
    PetitionStatus,
    Signature,
    User,
    Webhook,
)
from petitions.models.base import utcnow
from petitions.models.official import Official, PetitionTarget
from petitions.models.packet import PacketJob
from petitions.packets.build import PacketRequest
from petitions.packets.officials import OfficialData, counts_by_official, parse_areas
from petitions.packets.storage import make_and_store
from petitions.updates.services import UpdateData, create_update
from tests.conftest import PASSWORD, csrf_from

# Routes no page links to, by design. Each one with the reason.
NOT_LINKED = {
    # Files and machine-read endpoints, not pages.
    "static": "stylesheets, scripts and images, loaded by the pages",
    "public.favicon": "the browser's icon, loaded by every page's <link rel=icon>",
    "health.healthz": "JSON for the load balancer's probe",
    "public.petition_json": "JSON for the count widget and other sites",
    "manage_events.stats_json": "JSON the rally dashboard polls",
    "packets.job_json": "JSON the packet job page polls",
    "manage_updates.progress": "JSON the update page polls while it sends",
    "scanner.service_worker": "the scanner's service worker script",
    "scanner.manifest": "the scanner's web app manifest, named by its <link rel=manifest>",
    "kiosk.service_worker": "the kiosk's service worker script",
    "kiosk.rally_manifest": "a rally kiosk's web app manifest, named by its <link rel=manifest>",
    "kiosk.petition_manifest": "a petition kiosk's manifest, named by its <link rel=manifest>",
    # Personal links, each carried by one person's mail or shown to them alone; a page that
    # linked them would give one person's data to another.
    "public.thanks": "the signer's thank-you page: the answer to their signature",
    "public.embed_thanks": "the thank-you inside an embed's frame: the answer to a signature",
    "public.confirm": "in the signer's confirmation mail",
    "public.remove": "in the signer's mails",
    "events.ticket": "the attendee's ticket: in their mail",
    "badges.signature_badge": "the signer's badge, linked from their thank-you page",
    "badges.ticket_badge": "the attendee's badge, linked from their ticket",
    "unsubscribe.unsubscribe": "in every bulk mail",
    "auth.accept_invite": "in the invitation mail",
    "auth.reset_password": "in the password reset mail",
    # Answers to a form: where its POST redirects.
    "public.already": "after signing twice",
    "public.pending": "after signing, until the mail is confirmed",
    "events.sent": "after an RSVP",
    "auth.two_factor": "the second step of logging in, after the password",
    # For people who are logged out.
    "auth.forgot_password": "linked from the login page",
}
NOT_LINKED_PREFIXES = {
    "/api/": "the check-in and OSDI APIs: JSON for the scanner and scripts (the API tokens "
    "page links the OSDI API's OpenAPI document)",
}
# Single URLs of an endpoint whose other URLs are linked.
NOT_LINKED_RULES = {
    "/e/<slug>.ics": "kept for calendars subscribed before the language URLs; the event "
    "page links the file of its own language",
}


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def _same_site_path(base: str, href: str) -> str | None:
    url = urlsplit(urljoin(base, href))
    if url.scheme not in ("http", "https") or url.hostname != "localhost":
        return None
    return url.path


@pytest.fixture
def demo(app, runner, make_user, make_petition):
    """The demo (as `flask demo` makes it) and one of each object that has a page of its own."""
    result = runner.invoke(args=["demo", "--signatures", "20", "--attendees", "10"])
    assert result.exit_code == 0, result.output
    petition = db.session.scalar(select(Petition).where(Petition.slug == "demo"))
    rally = db.session.scalar(select(Event).where(Event.slug == "demo-rally"))
    users = {role: make_user(role) for role in ("admin", "organizer", "volunteer")}
    # Only a draft that was never published offers to be deleted.
    make_petition(slug="demo-draft", status=PetitionStatus.DRAFT)
    official = OfficialData(
        name="Alex Morgan", title="State Senator", body="Connecticut State Senate",
        areas=parse_areas(["Hartford"], []),
    ).apply(Official())  # fmt: skip
    db.session.add(official)
    update = create_update(petition, UpdateData("News", "<p>More seats.</p>"), users["organizer"])
    record = make_and_store(petition, PacketRequest(), users["organizer"])
    db.session.flush()
    job = PacketJob(petition_id=petition.id, user_id=users["organizer"].id, status="running")
    db.session.add(job)
    hook = Webhook(url="https://crm.example.org/hooks", secret="whsec_dGVzdA==",
                   events="signature.created")  # fmt: skip
    db.session.add(hook)
    db.session.commit()
    values = {
        "slug": ["demo", "demo-rally", "demo-draft"],
        "lang_code": ["es"],
        "key": [rally.signin_key],
        "official_id": [official.id],
        "update_id": [update.id],
        "language": ["en", "es"],
        "record_id": [record.id],
        "job_id": [job.id],
        "webhook_id": [hook.id],
    }
    return users, values


def _logged_in(app, user):
    client = app.test_client()
    token = csrf_from(client.get("/auth/login").get_data(as_text=True))
    r = client.post(
        "/auth/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert r.status_code == 302, r.get_data(as_text=True)
    return client


def _crawl(client) -> set[str]:
    """Every same-site path a page links to, from /manage/ on."""
    seen, queue = {"/manage/"}, deque(["/manage/"])
    while queue:
        path = queue.popleft()
        response = client.get(path)
        assert response.status_code < 500, path
        if response.mimetype != "text/html":
            continue
        parser = _Links()
        parser.feed(response.get_data(as_text=True))
        for href in parser.hrefs:
            target = _same_site_path(f"http://localhost{path}", href)
            if target is not None and target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


def _rule_of(adapter, path: str):
    try:
        rule, _ = adapter.match(path, method="GET", return_rule=True)
    except (NotFound, MethodNotAllowed, RequestRedirect):
        return None
    return rule


def _pages_the_role_opens(app, client, values) -> dict[str, str]:
    """{rule: a URL of it that answers this role 200}, for every GET route that is a page."""
    opens = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in NOT_LINKED:
            continue
        if rule.rule in NOT_LINKED_RULES:
            continue
        if any(rule.rule.startswith(p) for p in NOT_LINKED_PREFIXES):
            continue
        names = sorted(rule.arguments)
        missing = [n for n in names if n not in values]
        assert not missing, f"{rule.rule}: give the demo a value for {missing} (or say why not)"
        for combo in product(*(values[n] for n in names)):
            url = rule.build(dict(zip(names, combo, strict=True)), append_unknown=False)[1]
            response = client.get(url)
            if response.status_code == 200:
                opens[rule.rule] = url
                break
    return opens


@pytest.mark.parametrize("role", ["admin", "organizer", "volunteer"])
def test_every_page_a_role_may_open_is_linked_from_manage(app, demo, role):
    users, values = demo
    client = _logged_in(app, users[role])
    linked = _crawl(client)
    adapter = app.url_map.bind("localhost")
    linked_rules = {r.rule for p in linked if (r := _rule_of(adapter, p)) is not None}
    opens = _pages_the_role_opens(app, client, values)
    unlinked = {rule: url for rule, url in opens.items() if rule not in linked_rules}
    assert not unlinked, f"{role} may open these pages, but no page links to them: {unlinked}"
    # The crawl reached what this role works with.
    assert "/manage/e/<slug>/scan" in linked_rules
    if role == "admin":
        assert {"/manage/suppressions", "/manage/api-tokens", "/manage/audit"} <= linked_rules
        assert {"/manage/webhooks", "/manage/webhooks/<int:webhook_id>"} <= linked_rules


# --- where a volunteer starts: the rallies of today and ahead, each with its scanner ------


def _coming_up(html: str) -> str:
    start = html.index('<section class="coming-up"')
    return html[start : html.index("</section>", start)]


def test_manage_index_lists_todays_and_upcoming_rallies_with_their_scanner(
    client, make_user, login, make_event
):
    now = utcnow()
    later = make_event(slug="later", starts_at=now + timedelta(days=9), ends_at=None)
    under_way = make_event(
        slug="now", starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1)
    )
    no_end = make_event(slug="no-end", starts_at=now - timedelta(hours=2), ends_at=None)
    make_event(slug="past", starts_at=now - timedelta(days=2), ends_at=now - timedelta(days=2))
    make_event(slug="draft", status=EventStatus.DRAFT)
    make_event(slug="off", status=EventStatus.CANCELLED)
    for role in ("volunteer", "organizer"):
        login(make_user(role))
        section = _coming_up(client.get("/manage/").get_data(as_text=True))
        scanners = re.findall(r'href="/manage/e/([\w-]+)/scan">Open scanner</a>', section)
        assert scanners == [no_end.slug, under_way.slug, later.slug], role
        assert section.count(">today<") == 2


def test_rally_dashboard_links_its_scanner_and_walk_up_sign_in(
    client, make_user, login, make_event
):
    event = make_event()
    login(make_user("volunteer"))
    html = client.get(f"/manage/e/{event.slug}").get_data(as_text=True)
    assert f'href="/manage/e/{event.slug}/scan"' in html
    assert f'href="http://localhost/e/{event.slug}/here/{event.signin_key}"' in html


# --- sections: a part fills a slot of another part's page by registering its blueprint ----


def test_a_part_adds_a_section_to_a_page_by_registering_its_blueprint(
    app, client, make_user, login, tmp_path
):
    (tmp_path / "extra").mkdir()
    (tmp_path / "extra" / "_nav.html").write_text('<a href="/extra">Extra part</a>')
    (tmp_path / "extra" / "_hidden.html").write_text("Never shown")
    bp = Blueprint("extra", __name__, template_folder=str(tmp_path))
    sections.add(bp, "manage_nav", "extra/_nav.html", order=1)
    sections.add(bp, "manage_nav", "extra/_hidden.html", when=lambda: False)
    app.register_blueprint(bp)
    login(make_user("volunteer"))
    html = client.get("/manage/").get_data(as_text=True)
    start = html.index('aria-label="Sections"')
    nav = html[start : html.index("</nav>", start)]
    assert "Extra part" in nav and nav.index("Extra part") < nav.index("Rallies")
    assert "Never shown" not in html


def test_no_template_includes_a_part_that_may_be_missing():
    templates = Path(__file__).resolve().parent.parent / "templates"
    for path in templates.rglob("*.html"):
        assert "ignore missing" not in path.read_text(), path


# --- a newcomer's first look: `make run` bootstraps an empty database ---------------------


def _counts():
    return (
        db.session.scalar(select(func.count(Signature.id))),
        db.session.scalar(select(func.count(Attendee.id))),
        db.session.scalar(select(func.count(Attendee.checked_in_at))),
        db.session.scalar(select(func.count(CheckIn.id))),
        db.session.scalar(select(func.count(PetitionTarget.official_id))),
    )


def test_bare_demo_stays_bare(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "/p/demo" in result.output and "/e/demo-rally" in result.output
    assert _counts() == (0, 0, 0, 0, 0)


def test_bootstrap_seeds_a_demo_with_something_on_every_page(app, runner):
    first = runner.invoke(args=["bootstrap"])
    assert first.exit_code == 0, first.output
    signatures, rsvps, checked_in, logged, targets = seeded = _counts()
    assert signatures >= 200 and rsvps >= 100 and 0 < checked_in < rsvps
    assert logged == checked_in and targets > 0
    second = runner.invoke(args=["bootstrap"])
    assert "nothing to do" in second.output and _counts() == seeded

    password = re.search(r"password: (\S+)", first.output).group(1)
    client = app.test_client()
    admin = db.session.scalar(select(User).where(User.email == "admin@example.org"))
    token = csrf_from(client.get("/auth/login").get_data(as_text=True))
    client.post(
        "/auth/login", data={"email": admin.email, "password": password, "csrf_token": token}
    )

    section = _coming_up(client.get("/manage/").get_data(as_text=True))
    assert ">today<" in section and 'href="/manage/e/demo-rally/scan"' in section
    dashboard = client.get("/manage/p/demo").get_data(as_text=True)
    assert f'<span id="counted">{signatures:,}</span>' in dashboard
    assert "No signatures yet." not in dashboard and "No officials chosen yet." not in dashboard
    petition = db.session.scalar(select(Petition).where(Petition.slug == "demo"))
    assert counts_by_official(petition.id) and all(counts_by_official(petition.id).values())
    stories = db.session.scalar(
        select(func.count(Signature.id)).where(Signature.comment != "", Signature.show_name)
    )
    towns = db.session.scalar(select(func.count(func.distinct(Signature.town))))
    numbers = db.session.scalar(select(func.count(Signature.waitlist_number)))
    days = db.session.scalars(select(Signature.created_at)).all()
    assert stories > 5 and towns > 5 and numbers > 50
    assert len({d.date() for d in days}) > 7
    rally = client.get("/manage/e/demo-rally").get_data(as_text=True)
    assert f'<span class="count" data-stat="checked_in">{checked_in}</span>' in rally
    assert f"Signers with a waitlist number: {numbers:,}" in dashboard
    token = csrf_from(client.get("/manage/badges/p/demo/").get_data(as_text=True))
    sheet = client.post(
        "/manage/badges/p/demo/",
        data={"source": "all", "stock": "avery-5392", "sort": "number", "lang": "en",
              "csrf_token": token},
    )  # fmt: skip
    assert sheet.status_code == 200 and sheet.mimetype == "application/pdf"
