"""The volunteers' scanner: an installable, offline-capable page, plus check-in from a ticket page."""
