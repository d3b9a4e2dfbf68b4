"""The OSDI / Action Network-compatible API at /api/osdi/v1/ (docs/api.md)."""


def init_app(app):
    from petitions.api.views import bp

    app.register_blueprint(bp)
