"""GET /healthz: whether this app host can serve (database, Redis)."""
