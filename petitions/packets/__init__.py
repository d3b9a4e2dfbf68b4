"""Officials directory and delivery packets (organizer pages under /manage/)."""
