"""One time zone setting (DEFAULT_TIMEZONE) and one behaviour for moments shown or stored."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from petitions.core.timezones import format_local, local_day_bounds, naive_utc


@pytest.mark.parametrize(
    ("zone", "shown", "not_shown"),
    [("America/Los_Angeles", "May 31, 2030", "June 1, 2030"), (None, "June 1, 2030", "May 31")],
)
def test_petition_page_shows_the_deadline_in_the_configured_zone(
    app, client, make_petition, zone, shown, not_shown
):
    if zone:
        app.config["DEFAULT_TIMEZONE"] = zone
    # 05:00 UTC: 1 AM on June 1 in New York (the default), 10 PM on May 31 in Los Angeles.
    petition = make_petition(deadline=datetime(2030, 6, 1, 5, 0))
    html = client.get(f"/p/{petition.slug}").get_data(as_text=True)
    line = next(x for x in html.splitlines() if 'class="deadline"' in x)
    assert shown in line and not_shown not in line


def test_naive_utc():
    eastern = timezone(timedelta(hours=-5))
    assert naive_utc(datetime(2030, 1, 1, 7, 30, tzinfo=eastern)) == datetime(2030, 1, 1, 12, 30)
    assert naive_utc(datetime(2030, 1, 1, 7, 30)) == datetime(2030, 1, 1, 7, 30)


@pytest.mark.parametrize(
    ("zone", "day", "start", "end"),
    [
        # Spring forward: a 23-hour day.
        ("America/New_York", date(2026, 3, 8), datetime(2026, 3, 8, 5), datetime(2026, 3, 9, 4)),
        # Havana skips midnight itself (00:00 → 01:00): the day starts at the change.
        ("America/Havana", date(2025, 3, 9), datetime(2025, 3, 9, 5), datetime(2025, 3, 10, 4)),
        # ...and repeats it in the autumn: the day starts at the first midnight.
        ("America/Havana", date(2025, 11, 2), datetime(2025, 11, 2, 4), datetime(2025, 11, 3, 5)),
    ],
)
def test_local_day_bounds_across_clock_changes(zone, day, start, end):
    assert local_day_bounds(day, zone) == (start, end)


def test_format_local_in_a_language_with_the_date_on_another_day():
    at = datetime(2030, 7, 4, 16, 5)  # 12:05 PM in New York
    same_day = datetime(2030, 7, 4, 20, 0)
    assert format_local(at, "America/New_York", now=same_day) == "12:05\u202fPM"
    assert format_local(at, "America/New_York", now=same_day, locale="es") == "12:05"
    next_day = datetime(2030, 7, 5, 20, 0)
    assert format_local(at, "America/New_York", now=next_day) == "Jul 4, 12:05\u202fPM"
    assert format_local(at, UTC, now=same_day) == "4:05\u202fPM"


def test_the_deadline_field_names_the_configured_zone(app, client, organizer):
    app.config["DEFAULT_TIMEZONE"] = "America/Los_Angeles"
    html = client.get("/manage/p/new").get_data(as_text=True)
    assert "Local time (America/Los_Angeles)" in html and "Hartford" not in html
