"""Who may open an organizer page: the role decorators every part's views use, and the
same questions asked of whoever is looking (for sections one part adds to another's page)."""

from functools import wraps

from flask import abort, current_app, flash, redirect, url_for
from flask_login import current_user, login_required


def must_enrol_two_factor(user) -> bool:
    """Admins need two-factor when REQUIRE_2FA_FOR_ADMINS is on; others may choose it."""
    return (
        user.is_admin
        and not user.two_factor_enabled
        and bool(current_app.config["REQUIRE_2FA_FOR_ADMINS"])
    )


def role_required(check):
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if must_enrol_two_factor(current_user):
                # REQUIRE_2FA_FOR_ADMINS: an admin without it reaches nothing else first.
                flash("Admins need two-factor sign-in here: set it up now.", "error")
                return redirect(url_for("auth.two_factor_setup"))
            if not check(current_user):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


# Organizers and admins: petitions, events, personal data, exports.
organizer_required = role_required(lambda u: u.can_organize)
# Admins only: user accounts.
admin_required = role_required(lambda u: u.is_admin)
# Anyone with an account (volunteers included): check-in.
staff_required = role_required(lambda u: True)


# The same roles, asked of whoever is looking (for sections other parts add to a page).
def viewer_organizes() -> bool:
    return current_user.is_authenticated and current_user.can_organize


def viewer_is_admin() -> bool:
    return current_user.is_authenticated and current_user.is_admin
