"""JSON API under /api/v1: check-in and the scanner's roster."""
