"""Petition and rally organizing toolkit."""

from pathlib import Path

from flask import Flask, request
from flask_babel import get_locale
from werkzeug.middleware.proxy_fix import ProxyFix

from petitions.core import (
    database,  # its engine events tune SQLite
    outage,  # noqa: F401  (its engine event logs the database's recovery)
    paths,
    request_log,
    sections,
)
from petitions.core.assets import fingerprint_static
from petitions.core.config import DEFAULT_SECRET_KEY, Defaults, env_overrides
from petitions.core.content import lang_attr, localized
from petitions.core.errors import keep_retry_after
from petitions.core.extensions import babel, cache, csrf, db, limiter, login, migrate
from petitions.core.framing import CSP, framing_allowed
from petitions.core.i18n import (
    LanguageConverter,
    alternate_urls,
    form_language_switch,
    keep_page_language,
    language_url,
    remember_language,
    select_locale,
    take_page_language,
)
from petitions.core.limits import LIMITS
from petitions.core.origin import refuse_forgery
from petitions.core.responses import SessionInterface, revalidate_by_default
from petitions.core.timezones import zone
from petitions.mail.mailings import maybe_run_due


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=paths.instance_path(),
        instance_relative_config=True,
        template_folder=str(paths.TEMPLATES),
        static_folder=str(paths.STATIC),
    )
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(env_overrides())
    app.config.from_prefixed_env()
    if test_config:
        app.config.update(test_config)

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.url_map.converters["lang"] = LanguageConverter
    app.session_interface = SessionInterface()
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = (
            f"sqlite:///{Path(app.instance_path) / 'petitions.sqlite3'}"
        )
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = database.engine_options(app.config)
    if app.debug or app.testing:
        app.config["SESSION_COOKIE_SECURE"] = False
        app.config["REMEMBER_COOKIE_SECURE"] = False
        app.config["PREFERRED_URL_SCHEME"] = "http"
    elif app.config["SECRET_KEY"] == DEFAULT_SECRET_KEY:
        raise RuntimeError(
            "Refusing to start with the default SECRET_KEY outside debug/testing: "
            "set SECRET_KEY (or FLASK_SECRET_KEY) or put one in instance/config.py."
        )
    else:
        app.config.setdefault("REMEMBER_COOKIE_SECURE", True)

    if app.config["TRUSTED_PROXIES"]:
        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    request_log.init_app(app)
    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(Path(__file__).parent / "migrations"), render_as_batch=True
    )
    csrf.init_app(app)
    login.init_app(app)
    login.login_view = "auth.login"
    login.login_message = None
    babel.init_app(
        app,
        locale_selector=select_locale,
        # |datetimeformat shows moments in the site's zone, as petitions.core.timezones does
        # (Flask-Babel wants the zone's name).
        timezone_selector=lambda: zone().key,
        # The app's one catalog: petitions/translations (README, "Translations").
        default_translation_directories=str(Path(__file__).parent / "translations"),
    )
    app.after_request(keep_retry_after)  # before Flask-Limiter's hook, so it runs after it
    limiter.init_app(app)
    cache.init_app(app)
    sections.init_app(app)  # sections("slot") in templates; the parts fill the slots

    from petitions import models  # noqa: F401  (register the models with the metadata)

    _register_parts(app)
    _register_hooks(app)

    return app


def _register_parts(app: Flask) -> None:
    from petitions import (
        accounts,
        api,
        badges,
        kiosk,
        mail,
        operations,
        packets,
        paper,
        petition,
        rallies,
        updates,
        webhooks,
    )
    from petitions.core.errors import register_error_handlers

    # One part each: its blueprints, CLI commands, mail composers and page sections.
    parts = (petition, accounts, rallies, kiosk, packets, paper, badges, operations, updates,
             mail, webhooks, api)  # fmt: skip
    for part in parts:
        part.init_app(app)
    register_error_handlers(app)


SECURITY_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Permissions-Policy", "camera=(self), microphone=(), geolocation=()"),
)


def _register_hooks(app: Flask) -> None:
    app.jinja_env.globals.update(
        get_locale=get_locale,
        language_url=language_url,
        alternate_urls=alternate_urls,
        form_language_switch=form_language_switch,
    )
    app.url_value_preprocessor(take_page_language)
    app.url_defaults(keep_page_language)
    app.url_defaults(fingerprint_static)
    app.before_request(refuse_forgery)
    app.jinja_env.globals["tr"] = localized
    app.jinja_env.globals["lang_attr"] = lang_attr
    app.jinja_env.globals["limits"] = LIMITS  # every form's maxlength
    app.after_request(remember_language)

    @app.after_request
    def _due_mail(response):
        # Scheduled updates and rally reminders go out with no worker running (make run).
        maybe_run_due()
        return response

    app.after_request(revalidate_by_default)  # private blueprints and views say no-store

    @app.after_request
    def _security_headers(response):
        # Each one unless the view set its own (one pass over the headers, not one per name).
        h = response.headers
        present = {key.lower() for key in h.keys()}
        if framing_allowed(h):  # an embed (core/framing.py): its own frame-ancestors
            present.add("x-frame-options")
        for key, value in SECURITY_HEADERS:
            if key.lower() not in present:
                h.add(key, value)
        if request.is_secure and "strict-transport-security" not in present:
            h.add("Strict-Transport-Security", "max-age=31536000")
        return response
