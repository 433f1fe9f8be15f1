"""The gettext catalogues are complete and current, and the pages speak the chosen language.

Messages are extracted from the source in memory, the way `make translations` (pybabel extract) does it with
babel.cfg and the N_ and lazy_gettext keywords; every msgid needs a non-fuzzy Indonesian and English
translation, and neither catalogue may keep entries the source no longer has. Fix a failure with
`make translations`, then fill in the empty or fuzzy entries of webapp/translations/*/LC_MESSAGES/messages.po.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

from .conftest import Auth, csrf_token

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "webapp" / "translations"
LANGUAGES = ("id", "en")
SOURCES = ("webapp", "engine", "processes")  # the folders babel.cfg maps
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None, "lazy_gettext": None}  # as `pybabel extract -k N_ -k lazy_gettext`

Key = tuple[str, str | None]  # (msgid, msgctxt); for a plural message the msgid is its singular


def _mapping() -> tuple[list[tuple[str, str]], dict[str, dict[str, str]]]:
    from babel.messages import frontend

    parse = getattr(frontend, "parse_mapping_cfg", None) or frontend.parse_mapping
    with open(ROOT / "babel.cfg", encoding="utf-8") as fh:
        return parse(fh)


def _in_sources(path: str) -> bool:
    parts = Path(path).relative_to(ROOT).parts
    return parts[0] in SOURCES and not any(p.startswith((".", "_")) for p in parts)


def _extracted() -> dict[Key, set[str]]:
    """msgid -> where it is used, straight from the source (no .pot file involved)."""
    method_map, options_map = _mapping()
    found: dict[Key, set[str]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS, directory_filter=_in_sources):
        msgid = message[0] if isinstance(message, (tuple, list)) else message
        if msgid:
            found.setdefault((msgid, context), set()).add(f"{filename}:{lineno}")
    return found


def _catalogue(lang: str) -> Catalog:
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return read_po(fh, locale=lang)


def _entries(catalog: Catalog) -> Iterator[tuple[Key, Message]]:
    for message in catalog:
        if message.id:
            msgid = message.id[0] if isinstance(message.id, (tuple, list)) else message.id
            yield (msgid, message.context), message


def _texts(value: object) -> tuple[str, ...]:
    """A msgid or msgstr as a tuple (plural forms come as lists or tuples)."""
    return tuple(value) if isinstance(value, (tuple, list)) else (str(value),)


@pytest.fixture(scope="module")
def extracted() -> dict[Key, set[str]]:
    found = _extracted()
    assert len(found) > 200, "extraction found almost nothing: is babel.cfg still mapping the templates?"
    return found


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_in_the_source_is_translated(lang: str, extracted: dict[Key, set[str]]) -> None:
    entries = dict(_entries(_catalogue(lang)))
    missing = []
    for key, where in sorted(extracted.items(), key=lambda item: item[0][0]):
        message = entries.get(key)
        strings = () if message is None else _texts(message.string)
        if message is None or message.fuzzy or not strings or not all(strings):
            state = "missing" if message is None else "fuzzy" if message.fuzzy else "untranslated"
            missing.append(f"{state}: {key[0]!r}{f' (context {key[1]!r})' if key[1] else ''} — {sorted(where)[0]}")
    assert not missing, (f"{len(missing)} message(s) without a {lang} translation; run `make translations` and "
                         f"fill webapp/translations/{lang}/LC_MESSAGES/messages.po:\n" + "\n".join(missing))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue_has_no_entries_the_source_no_longer_uses(lang: str, extracted: dict[Key, set[str]]) -> None:
    catalog = _catalogue(lang)
    stale = sorted(key[0] for key, _message in _entries(catalog) if key not in extracted)
    stale += sorted(f"#~ {key if isinstance(key, str) else key[0]}" for key in catalog.obsolete)
    assert not stale, (f"obsolete entries in webapp/translations/{lang}/LC_MESSAGES/messages.po "
                       "(run `make translations`, then delete the #~ entries):\n" + "\n".join(stale))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_keep_the_parameters_of_their_msgid(lang: str) -> None:
    problems = [f"{message.id!r}: {'; '.join(map(str, errors))}" for message, errors in _catalogue(lang).check()]
    assert not problems, "\n".join(problems)


def test_english_catalogue_repeats_the_msgid() -> None:
    differ = [key[0] for key, message in _entries(_catalogue("en")) if _texts(message.string) != _texts(message.id)]
    assert not differ, "the msgid is the English text; these English entries say something else:\n" + "\n".join(differ)


def _compiled_catalogues_are_current() -> None:
    """The pages read the .mo files, which are build output: say so plainly when they are missing or stale."""
    for lang in LANGUAGES:
        mo = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo"
        hint = (f"{mo.relative_to(ROOT)} is missing or out of date with its .po: run `make install` "
                "(or .venv/bin/pybabel -q compile -d webapp/translations)")
        assert mo.exists(), hint
        with open(mo, "rb") as fh:
            compiled = {key: _texts(message.string) for key, message in _entries(read_mo(fh))}
        for key, message in _entries(_catalogue(lang)):
            if not message.fuzzy and all(_texts(message.string)):
                assert compiled.get(key) == _texts(message.string), hint


def _switch(client: FlaskClient, lang: str, page: str) -> None:
    """Press the language button on `page` (every page has it)."""
    client.post(f"/lang/{lang}", data={"csrf_token": csrf_token(client, page), "next": page})


def test_login_page_in_both_languages(client: FlaskClient) -> None:
    _compiled_catalogues_are_current()
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="id">' in html and "Masuk ke SMK Workflow" in html and "Kata sandi" in html
    assert "Log in to SMK Workflow" not in html
    _switch(client, "en", "/login")
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in html and "Log in to SMK Workflow" in html and "Password" in html
    assert "Masuk ke SMK Workflow" not in html and "Kata sandi" not in html


def test_inbox_and_my_skp_in_both_languages(client: FlaskClient, auth: Auth) -> None:
    _compiled_catalogues_are_current()
    auth.login("budi")
    inbox = client.get("/").get_data(as_text=True)
    assert "<h1 class=\"h3 mb-0\">Kotak tugas</h1>" in inbox and "Halo, Budi" in inbox and "Keluar" in inbox
    assert ">Inbox<" not in inbox and "Log out" not in inbox
    skp = client.get("/skp").get_data(as_text=True)
    assert "Periode berjalan" in skp and "Current period" not in skp
    _switch(client, "en", "/")
    inbox = client.get("/").get_data(as_text=True)
    assert "<h1 class=\"h3 mb-0\">Inbox</h1>" in inbox and "Hello, Budi" in inbox and "Log out" in inbox
    assert "Kotak tugas" not in inbox and "Keluar" not in inbox
    skp = client.get("/skp").get_data(as_text=True)
    assert "Current period" in skp and "Periode berjalan" not in skp
