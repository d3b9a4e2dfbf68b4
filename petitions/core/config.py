"""Configuration defaults. Overridden, in order, by instance/config.py, the
conventional env vars (DATABASE_URL, SECRET_KEY, REDIS_URL) and FLASK_<KEY>."""

import os

DEFAULT_SECRET_KEY = "dev-only-change-me"


class Defaults:
    SECRET_KEY = DEFAULT_SECRET_KEY
    SQLALCHEMY_DATABASE_URI = None  # set in create_app: SQLite file in instance/
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}  # added to petitions/core/database.py's own
    # How long a SQLite writer waits for another's lock before the answer is a 503.
    SQLITE_BUSY_TIMEOUT_SECONDS = 10.0
    # The 503's Retry-After when the database is away: about what a restart or failover takes.
    RETRY_AFTER_SECONDS = 5
    MAX_CONTENT_LENGTH = 1024 * 1024  # 1 MB: every form here is far smaller
    MAX_FORM_MEMORY_SIZE = 1024 * 1024
    WTF_CSRF_TIME_LIMIT = None  # a sign page left open on a phone for hours still works
    WTF_CSRF_CHECK_DEFAULT = False  # checked in petitions/origin.py, after the origin

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True  # relaxed in debug/testing by create_app
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PREFERRED_URL_SCHEME = "https"

    BABEL_DEFAULT_LOCALE = "en"
    LANGUAGES = ("en", "es")
    DEFAULT_TIMEZONE = "America/New_York"

    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_STRATEGY = "moving-window"
    RATELIMIT_LOGIN = "10 per minute;50 per hour"
    # Accounts (docs/accounts.md). Six-digit codes: a few tries a minute, per address and
    # per account, keep guessing hopeless.
    RATELIMIT_2FA = "5 per minute;30 per hour"
    RATELIMIT_PASSWORD_RESET = "5 per hour"  # "Forgot password" requests, per address
    PASSWORD_MIN_LENGTH = 10
    RESET_LINK_MINUTES = 60
    INVITE_LINK_DAYS = 7
    REQUIRE_2FA_FOR_ADMINS = False
    TOTP_ISSUER = "Petitions"  # the name authenticator apps show beside the code
    # One rally Wi-Fi can put hundreds of signers behind one address.
    # A speaker says "sign now" and 300 phones on the venue Wi-Fi do: the hard per-address
    # limit stays well above that; past the soft one, signatures are flagged, not refused.
    RATELIMIT_SIGN_PER_IP = "600 per minute"
    RATELIMIT_SIGN_PER_PETITION = "3000 per minute"
    # Beyond this many signs from one address, signatures are still taken but flagged
    # quietly for an organizer to review (Signature.flagged), never refused.
    RATELIMIT_SIGN_FLAG_PER_IP = "60 per minute"
    RATELIMIT_RESEND = "3 per 10 minutes"  # confirmation mail re-sends, per address
    SIGN_HOUSEHOLD_MAX = 6  # distinct names that may sign with one email, per petition
    SIGN_RECEIPT_MAIL = False  # also mail a thank-you (with the remove link) when not confirming

    # Rallies: only unknown tickets count toward the guessing limit; a whole rally signs
    # in over one Wi-Fi; scanners are limited per token/user, not per address.
    RATELIMIT_TICKET_GUESS = "30 per minute"
    RATELIMIT_RSVP_PER_IP = "120 per minute"
    RATELIMIT_SIGNIN_PER_IP = "600 per minute"
    RATELIMIT_CHECKIN = "600 per minute"
    RATELIMIT_API = "1200 per minute"  # the OSDI API, per token
    RALLY_DASHBOARD_POLL_SECONDS = 10

    # Days signers' and attendees' personal data is kept after a petition or event ends
    # (the UK petitions site keeps it six months); each petition/event may set its own.
    RETENTION_DAYS = 180

    PACKET_BACKGROUND_THRESHOLD = 20000  # larger packets are drawn by a background job
    # A packet job that finds the database away is drawn again after this many seconds,
    # doubling, this many times (about 10 minutes in all), before it is failed.
    PACKET_DB_RETRY_SECONDS = 10
    PACKET_DB_RETRIES = 6
    PAPER_IMPORT_MAX_BYTES = 10 * 1024 * 1024  # signature CSV uploads (other requests: 1 MB)

    REDIS_URL = None
    # One JSON line per request on stdout (petitions/request_log.py); on in production
    # through FLASK_REQUEST_LOG=true in deploy/petitions.env.example.
    REQUEST_LOG = False
    TRUSTED_PROXIES = 0  # ProxyFix x_for hops; set when behind nginx/a load balancer

    # Mail: SMTP when MAIL_SERVER is set, otherwise .eml files in instance/outbox/.
    MAIL_SERVER = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_SENDER = "Petitions <noreply@localhost>"
    # Where replies go (e.g. "Hartford Parents United <hello@example.org>"), when the
    # sender's address is one nobody reads; unset: no Reply-To.
    MAIL_REPLY_TO = None
    OUTBOX_DIR = None  # default: instance/outbox/
    # Bulk mail (updates, rally reminders): messages per second at most (SMTP relays limit
    # senders; 0 = no limit), how long a silent worker keeps its send, how often the app
    # looks for due mail itself (0 = never: a worker or cron runs `flask mail due`), and
    # whether to send in the request itself (tests) instead of in the background.
    MAIL_RATE_PER_SECOND = 10.0
    MAIL_LEASE_SECONDS = 120
    MAIL_DUE_CHECK_SECONDS = 60
    MAIL_JOBS_INLINE = False
    # A mail server that is down, times out or answers "try later" (4xx): the deliveries
    # it did not take stay queued and are tried again after MAIL_RETRY_SECONDS, doubling
    # each time up to MAIL_RETRY_MAX_SECONDS; after MAIL_RETRY_ATTEMPTS tries, or
    # MAIL_RETRY_FOR_SECONDS after the send started, they are failed with the last reason.
    MAIL_RETRY_SECONDS = 120
    MAIL_RETRY_MAX_SECONDS = 4 * 3600
    MAIL_RETRY_ATTEMPTS = 12
    MAIL_RETRY_FOR_SECONDS = 24 * 3600

    # Webhooks (petitions/webhooks): endpoints on private, loopback or reserved addresses
    # are refused unless this is on (WEBHOOKS_ALLOW_PRIVATE=true: tests, one private
    # network). An endpoint has this long to answer; retries wait WEBHOOKS_RETRY_SECONDS
    # in turn (None: the built-in schedule, 30 s at first, the last about a day on). Without REDIS_URL, messages
    # go out from this many threads of each app process.
    WEBHOOKS_ALLOW_PRIVATE = False
    WEBHOOKS_TIMEOUT_SECONDS = 10.0
    WEBHOOKS_RETRY_SECONDS = None
    WEBHOOKS_THREADS = 4
    WEBHOOKS_EVENTS_CACHE_SECONDS = 10.0
    WEBHOOKS_JOBS_INLINE = False

    # Absolute base URL for links in mail, QR codes and PDFs (e.g. https://act.example.org).
    PUBLIC_BASE_URL = None
    COUNT_CACHE_SECONDS = 2.0
    # The OSDI API's page index (api.queries.page_of): how long the first id of every
    # page of a collection is kept; totals and page starts are at most this old.
    API_PAGE_CACHE_SECONDS = 10.0
    # Public petition and event pages (and their JSON), for anonymous visitors: rendered
    # pages kept this long here, and by shared caches in front (Cache-Control: public).
    PUBLIC_CACHE_SECONDS = 5.0
    # While the database is away, a shared page is served from its last rendering (its
    # count as it was) if that is at most this old; older, or never kept, it is a 503.
    # Long enough to ride out a restart or a failover, short enough that a petition
    # closed or edited an hour ago is not shown as it was.
    STALE_PAGE_SECONDS = 900
    # Flask-Caching: in this process by default; in Redis with REDIS_URL, shared by every
    # worker and app host. Prefix of this site's keys (several sites may share one Redis).
    CACHE_TYPE = "SimpleCache"
    CACHE_DEFAULT_TIMEOUT = 60
    CACHE_THRESHOLD = 2000  # SimpleCache entries kept per process
    CACHE_KEY_PREFIX = "petitions:"


def env_overrides() -> dict:
    """The conventional un-prefixed variables deployments set."""
    out = {}
    if url := os.environ.get("DATABASE_URL"):
        out["SQLALCHEMY_DATABASE_URI"] = normalize_database_url(url)
    if key := os.environ.get("SECRET_KEY"):
        out["SECRET_KEY"] = key
    if allow := os.environ.get("WEBHOOKS_ALLOW_PRIVATE"):
        out["WEBHOOKS_ALLOW_PRIVATE"] = allow.strip().lower() in ("1", "true", "yes", "on")
    if redis_url := os.environ.get("REDIS_URL"):
        out["REDIS_URL"] = redis_url
        out["RATELIMIT_STORAGE_URI"] = redis_url
        out["CACHE_TYPE"] = "RedisCache"
        out["CACHE_REDIS_URL"] = redis_url
    return out


def normalize_database_url(url: str) -> str:
    """postgres:// and postgresql:// mean psycopg 3 here."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
