"""Paper petitions: printable sign-up sheets, keyboard-only entry, CSV import."""
