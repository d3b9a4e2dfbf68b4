"""Petition updates (organizers) and the one-click unsubscribe (public)."""
