"""Where a signer lives: ZIP codes and towns, one rule each for every way in (the sign
form, rallies, paper entry, the CSV import) and for matching signers to officials.

- A ZIP code is stored as its five digits: "06106-1234", "061061234" and "06106 1234"
  are all 06106, online and on paper alike. Officials' ZIP areas are five digits too,
  and signers match them on the first five digits of what is stored
  (Signature.zip5), so rows stored in another form still match.
- A town is stored tidied (`tidy_town`). Counts group towns by `town_key`
  (Signature.town_key in SQL): case and surrounding spaces aside, one town, shown
  with `town_label` of one of its spellings.
"""

import re

from petitions.core.text import clean_line

_ZIP = re.compile(r"^([0-9]{5})(?:-?[0-9]{4})?$")
_ZIP_WITHOUT_ITS_ZERO = re.compile(r"^[0-9]{4}$")


def zip5(value: str | None, *, pad: bool = False) -> str | None:
    """The five digits stored for a ZIP code, or None when `value` is not one. With `pad`,
    a ZIP a spreadsheet took for a number ("6106") gets its leading zero back."""
    v = clean_line(value).replace(" ", "")
    if pad and _ZIP_WITHOUT_ITS_ZERO.match(v):
        v = "0" + v
    m = _ZIP.match(v)
    return m.group(1) if m else None


def tidy_town(town: str | None) -> str:
    """'HARTFORD' / 'west hartford ' → 'Hartford' / 'West Hartford', as stored. Mixed case
    and non-Latin scripts are kept exactly as typed."""
    town = clean_line(town)
    if town.isascii() and (town.islower() or town.isupper()):
        return town.title()
    return town


def town_key(town: str | None) -> str:
    """What makes two towns one (Signature.town_key is the same rule in SQL)."""
    return clean_line(town).lower()


def town_label(spelling: str | None) -> str:
    """How a town group is shown, from any one of its spellings."""
    return tidy_town(spelling)
