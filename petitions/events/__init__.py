"""Rallies: organizer pages, the public event page with RSVP, tickets, poster sign-in."""
