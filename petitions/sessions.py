"""Flask's signed-cookie session, with its signing serializer built once per key set."""

from flask import Flask
from flask.sessions import SecureCookieSessionInterface


class CookieSessions(SecureCookieSessionInterface):
    """Flask builds a new itsdangerous serializer for every request (about 3 % of a sign
    POST, most of it checking that the JSON serializer returns text); this one keeps it
    for as long as SECRET_KEY and SECRET_KEY_FALLBACKS stay the same."""

    def __init__(self):
        self._serializer = (None, None)

    def get_signing_serializer(self, app: Flask):
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        built_for, serializer = self._serializer
        if keys != built_for:
            serializer = super().get_signing_serializer(app)
            self._serializer = (keys, serializer)
        return serializer
