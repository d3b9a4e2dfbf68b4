"""The OSDI / Action Network-compatible API at /api/osdi/v1/ (docs/api.md)."""

from werkzeug.routing import IntegerConverter


class RowId(IntegerConverter):
    """A row id in a URL: a 32-bit integer (anything larger is no row: 404)."""

    def __init__(self, url_map):
        super().__init__(url_map, min=0, max=2**31 - 1)


def init_app(app):
    app.url_map.converters["id"] = RowId
    from petitions.api.views import bp

    app.register_blueprint(bp)
