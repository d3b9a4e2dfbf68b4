"""A petition on another site: its embed's framing rule, the snippets organizers copy.

The embed (/p/<slug>/embed, views.py) may be framed by any site, or only by the origins
an organizer listed on the petition (Petition.embed_origins, one per line). An origin is
what a browser compares `frame-ancestors` with: scheme, host and an optional port, no
path. docs/embeds.md explains the snippets to the organizers.
"""

import re
from html import escape

from petitions.core.urls import share_url
from petitions.models import Petition

ORIGINS_MAX = 20
_ORIGIN = re.compile(
    r"https?://(?:\*\.)?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
    r"(?::[0-9]{1,5})?"
)


def parse_origins(text: str) -> list[str]:
    """The origins of an organizer's list (newlines, spaces or commas between them), each
    as `https://host[:port]`, in order and once each. Raises ValueError naming the first
    one that is not an origin."""
    origins = []
    for item in re.split(r"[\s,]+", text or ""):
        if not item:
            continue
        origin = item.lower().rstrip("/")
        if not _ORIGIN.fullmatch(origin) or len(origin) > 200:
            raise ValueError(
                f"“{item[:80]}” is not a site address: write it as https://example.org "
                "(with a port if it has one, no path)."
            )
        port = origin.rpartition(":")[2]
        if origin.count(":") == 2 and not 0 < int(port) < 65536:
            raise ValueError(f"“{item[:80]}” has no valid port.")
        if origin not in origins:
            origins.append(origin)
    if len(origins) > ORIGINS_MAX:
        raise ValueError(f"List at most {ORIGINS_MAX} sites.")
    return origins


def snippets(petition: Petition) -> dict[str, str]:
    """The HTML an organizer pastes into their own site: the embed's frame, the line
    that lets the frame follow its height, and the count badge linking to the petition."""
    page = share_url("public.petition", slug=petition.slug)
    embed = share_url("public.embed", slug=petition.slug)
    badge = share_url("public.badge", slug=petition.slug)
    title = escape(petition.title)
    frame = (
        f'<iframe src="{escape(embed)}" title="{title}" width="100%" height="640" '
        'style="border:0;max-width:480px" loading="lazy"></iframe>'
    )
    # The host's own page: a listener for the embed's height (static/js/embed-resize.js).
    origin = re.match(r"https?://[^/]+", embed).group(0)
    resize = (
        "<script>\n"
        'window.addEventListener("message", function (e) {\n'
        f'  if (e.origin !== "{origin}" || !e.data || e.data.type !== "petitions:resize") return;\n'
        '  document.querySelectorAll("iframe").forEach(function (f) {\n'
        '    if (f.contentWindow === e.source) f.style.height = e.data.height + "px";\n'
        "  });\n"
        "});\n"
        "</script>"
    )
    image = (
        f'<a href="{escape(page)}"><img src="{escape(badge)}" '
        f'alt="{title}: signature count" width="320" height="64"></a>'
    )
    return {"embed_url": embed, "iframe": frame, "resize": resize, "badge": image}
