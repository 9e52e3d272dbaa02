"""The 34 languages: every catalogue complete, placeholders intact, right-to-left Hebrew."""

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils.translation import to_locale

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"%\([a-z_0-9]+\)[sd]|%[sd]")
PARTS = [ROOT / "locale"] + [ROOT / app / "locale" for app in settings.PORTAL_APPS]
LOCALES = [to_locale(code) for code, _ in settings.LANGUAGES]


def test_there_are_34_languages_including_hebrew_rtl():
    assert len(settings.LANGUAGES) == 34
    assert "he" in dict(settings.LANGUAGES) and "es-419" in dict(settings.LANGUAGES)


@pytest.mark.parametrize("part", PARTS, ids=lambda p: p.parent.name if p.parent != ROOT else "core")
def test_every_catalogue_is_complete_and_keeps_its_placeholders(part):
    problems = []
    for locale in LOCALES:
        path = part / locale / "LC_MESSAGES" / "django.po"
        assert path.exists(), f"missing catalogue {path}"
        if locale == "en":
            continue  # msgids are US English
        for entry in polib.pofile(str(path)):
            if entry.obsolete:
                continue
            if entry.msgid_plural:
                strings = list(entry.msgstr_plural.values())
                expected = set(PLACEHOLDER.findall(entry.msgid_plural)) | set(PLACEHOLDER.findall(entry.msgid))
            else:
                strings = [entry.msgstr]
                expected = set(PLACEHOLDER.findall(entry.msgid))
            if not all(strings) or "fuzzy" in entry.flags:
                problems.append(f"{locale}: untranslated {entry.msgid[:60]!r}")
                continue
            for text in strings:
                found = set(PLACEHOLDER.findall(text))
                # Plural forms may drop the count placeholder (e.g. "one item"), never add unknown ones.
                if not found <= expected or (not entry.msgid_plural and found != expected):
                    problems.append(f"{locale}: placeholders differ in {entry.msgid[:60]!r}")
    assert not problems, "\n".join(problems[:40]) + f"\n… {len(problems)} problems"


def test_hebrew_pages_are_right_to_left(client, db):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "he"
    body = client.get(reverse("login")).content.decode()
    assert 'dir="rtl"' in body and 'lang="he"' in body and "bootstrap.rtl.min.css" in body


@pytest.mark.parametrize("code", ["ja", "he", "en"])
def test_the_language_switcher_offers_every_language_with_the_current_one_selected(client, db, code):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = code
    body = client.get(reverse("login")).content.decode()
    options = re.findall(r'<option value="([^"]+)" lang="\1"( selected)?>([^<]+)</option>', body)
    assert [value for value, _, _ in options] == [c for c, _ in settings.LANGUAGES]
    assert [value for value, selected, _ in options if selected] == [code]
    assert ("ja", "", "日本語") in options or code == "ja"


@pytest.mark.parametrize("code", ["ja", "zh-hans", "th", "pl", "es-419", "pt-br"])
def test_pages_are_served_in_the_chosen_language(client, db, code):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = code
    body = client.get(reverse("login")).content.decode()
    assert f'lang="{code}"' in body
    assert "Forgotten your password?" not in body  # translated, not the English source


def test_no_app_translation_is_shadowed_by_another_catalogue():
    """Django consults the core catalogue first, then the apps in order: a msgid that two
    catalogues translate differently would show one part's sense in the other's pages.
    Ambiguous words carry a context (pgettext) instead."""
    shadowed = []
    for locale in LOCALES:
        if locale == "en":
            continue
        seen: dict = {}
        for part in PARTS:
            for entry in polib.pofile(str(part / locale / "LC_MESSAGES" / "django.po")):
                key = (entry.msgctxt, entry.msgid)
                value = entry.msgstr or tuple(sorted(entry.msgstr_plural.items()))
                if key in seen and seen[key] != value:
                    shadowed.append(f"{locale}: {entry.msgid!r} in {part.parent.name}")
                seen.setdefault(key, value)
    assert not shadowed, "\n".join(shadowed[:30])


def test_language_name_filter_names_a_language_in_itself_and_leaves_unknown_codes_alone():
    from partnerportal.templatetags.portal import language_name

    assert language_name("ja") == "日本語"
    assert language_name("he") == "עברית"
    assert language_name("xx") == "xx"
