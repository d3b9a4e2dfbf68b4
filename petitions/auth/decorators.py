from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def role_required(check):
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
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
