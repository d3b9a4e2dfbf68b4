"""The Spanish catalog: one for the app, complete for what the code marks, compiled.

Which messages need Spanish: every one the code marks for translation (`_`, `gettext`,
`_l`, `lazy_gettext`, `N_` ... in petitions/, `_()` in templates/), wherever it is. A
marked message is looked up in the catalog on every page that shows it, so one without
Spanish shows English on a Spanish page. Organizer pages are English-only because their
strings are not marked (petition/manage_forms.py, the manage templates), not because this
test skips them: there is no list of organizer paths here to fall out of date, and an
organizer string someone marks gets Spanish too (the account pages are marked on purpose).

The messages come from the code itself, with Babel's extractor and the repository's
babel.cfg (the one `make translations` uses), not from the committed messages.pot.
"""

import re
from collections import Counter
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import denormalize, read_po
from flask_babel import force_locale, get_babel, gettext

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "petitions" / "translations"
POT = CATALOG / "messages.pot"
PO = CATALOG / "es" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
FIX = "run `make translations`, then fill in the empty msgstr in " + str(PO.relative_to(ROOT))


@pytest.fixture(scope="module")
def marked():
    """{(context, msgid): {files}} for every message the code marks."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f, str(ROOT / "babel.cfg"))
    found: dict[tuple, set[str]] = {}
    for filename, _lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=DEFAULT_KEYWORDS
    ):
        found.setdefault((context, message), set()).add(filename)
    return found


@pytest.fixture(scope="module")
def spanish():
    with PO.open("rb") as f:
        return read_po(f)


def key(message) -> tuple:
    return (message.context, message.id)


def singular(msgid) -> str:
    return msgid[0] if isinstance(msgid, tuple) else msgid


def test_extraction_sees_the_code(marked):
    # Guards the test itself: each kind of marking in babel.cfg is found (a Babel that
    # ignored the config's keywords would silently find no form labels).
    files = {file for files in marked.values() for file in files}
    for expected in (
        "petitions/petition/forms.py",  # _l
        "petitions/badges/services.py",  # lazy_gettext
        "petitions/paper/sheet.py",  # N_
        "templates/petition/petition.html",  # _() in a page
        "templates/petition/mail/signature.txt",  # _() in a text mail
    ):
        assert expected in files
    assert (None, "First name") in marked and (None, "Download my badge") in marked


def test_every_marked_message_has_spanish(marked, spanish):
    missing = []
    for (context, msgid), files in sorted(marked.items(), key=lambda kv: singular(kv[0][1])):
        message = spanish.get(msgid, context=context)
        strings = message.string if message else ""
        strings = strings if isinstance(strings, tuple) else (strings,)
        if (
            message is None
            or message.fuzzy
            or not all(s.strip() for s in strings)
            or (isinstance(msgid, tuple) and len(strings) != spanish.num_plurals)
        ):
            missing.append(f"{singular(msgid)!r} ({', '.join(sorted(files))})")
    assert not missing, f"{len(missing)} message(s) without Spanish ({FIX}):\n" + "\n".join(missing)


def test_spanish_keeps_each_message_placeholders(spanish):
    # %(name)s or {url} lost or misspelt in the Spanish would break the page that shows it.
    problems = [
        f"{singular(message.id)!r}: {'; '.join(map(str, errors))}"
        for message, errors in spanish.check()
    ]
    assert not problems, "\n".join(problems)


def test_catalog_holds_only_what_the_code_marks(marked, spanish):
    # A message the code dropped is dropped from the catalog too (`make translations`
    # does it), and every entry names the files it comes from, so `pybabel update` can
    # be trusted with it.
    with POT.open("rb") as f:
        template = read_po(f)
    for catalog, path in ((template, POT), (spanish, PO)):
        entries = {key(m) for m in catalog if m.id}
        assert entries == set(marked), (
            f"{path.relative_to(ROOT)} is not current ({FIX}): "
            f"not marked in the code: {sorted(map(str, entries - set(marked)))}, "
            f"not in the catalog: {sorted(map(str, set(marked) - entries))}"
        )
        assert not catalog.obsolete
        assert [m.id for m in catalog if m.id and not m.locations] == []


def test_one_catalog_for_the_app(app):
    catalogs = sorted(
        str(p.relative_to(ROOT))
        for folder in ("petitions", "templates")
        for pattern in ("*.po", "*.mo", "*.pot")
        for p in (ROOT / folder).rglob(pattern)
    )
    assert catalogs == sorted(str(p.relative_to(ROOT)) for p in (POT, PO, MO))
    assert get_babel(app).translation_directories == [str(CATALOG)]
    # Messages that used to live in the parts' own catalogs come from this one.
    with app.test_request_context(), force_locale("es"):
        assert gettext("Forgot your password?") == "¿Olvidaste tu contraseña?"
        assert gettext("Download my badge") == "Descargar mi gafete"
        assert gettext("Given name") == "Nombre"
        assert gettext("Send my RSVP") == "Confirmar mi asistencia"
        assert gettext("Unsubscribe") == "Cancelar la suscripción"
        assert gettext("Please keep this under %(max)d characters.", max=5) == (
            "Use como máximo 5 caracteres."
        )


# An entry's msgctxt (if any) and msgid as written; obsolete entries start with "#~".
ENTRY = re.compile(r'^(?:msgctxt ("(?:.*)"\n(?:".*"\n)*))?msgid ("(?:.*)"\n(?:".*"\n)*)', re.M)


def test_each_message_has_one_spanish_wording():
    # read_po keeps only the last of two entries with one msgid, so count them as written.
    written = Counter(
        (denormalize(context) if context else None, denormalize(msgid))
        for context, msgid in ENTRY.findall(PO.read_text(encoding="utf-8"))
    )
    assert written[(None, "")] == 1  # the header
    assert [entry for entry, n in written.items() if n > 1] == []


def test_compiled_catalog_matches_the_po(spanish):
    # The .mo is what the app reads; compare what it says, not its bytes.
    compiled = BytesIO()
    write_mo(compiled, spanish)
    compiled.seek(0)
    expected = read_mo(compiled)
    with MO.open("rb") as f:
        committed = read_mo(f)

    def contents(catalog):
        # read_mo gives a plural message's ids and strings as lists.
        def frozen(value):
            return tuple(value) if isinstance(value, list) else value

        return {(m.context, frozen(m.id)): frozen(m.string) for m in catalog if m.id}

    assert committed.plural_forms == expected.plural_forms
    assert contents(committed) == contents(expected), (
        f"{MO.relative_to(ROOT)} is older than the .po: run `make translations`"
    )
