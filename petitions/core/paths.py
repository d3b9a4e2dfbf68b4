"""Where the app finds its files, in a checkout and when installed from a wheel.

The repository keeps templates/ and static/ at its top level, beside the package; the
wheel carries copies of them inside the package, as petitions/templates and
petitions/static (setup.py). A checkout (run from the tree, or installed with
`pip install -e .`) is recognised by the package sitting beside pyproject.toml and the
top-level templates/; anything else is an installed package.
"""

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
_TOP = PACKAGE.parent
CHECKOUT: Path | None = (
    _TOP if (_TOP / "pyproject.toml").is_file() and (_TOP / "templates").is_dir() else None
)

TEMPLATES = (CHECKOUT or PACKAGE) / "templates"
STATIC = (CHECKOUT or PACKAGE) / "static"
FONTS = STATIC / "fonts"


def instance_path() -> str | None:
    """PETITIONS_INSTANCE when set; else the checkout's instance/; else None, which leaves
    Flask's choice for an installed package, <prefix>/var/petitions-instance (the
    virtualenv's var/), so that runtime files never land inside site-packages."""
    if path := os.environ.get("PETITIONS_INSTANCE"):
        return path
    if CHECKOUT is not None:
        return str(CHECKOUT / "instance")
    return None
