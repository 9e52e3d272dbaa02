#!/usr/bin/env python
"""Work on the message catalogues without a gettext toolchain.

  po_tool.py status                      untranslated entries per catalogue
  po_tool.py todo  PART LOCALE           untranslated entries of one catalogue, as JSON
  po_tool.py fill  PART LOCALE FILE.json apply translations {msgid: msgstr | [plural forms]}
  po_tool.py fix-headers                 language, plural forms and the fuzzy header flag
  po_tool.py american PART               US spellings in the "en" catalogue where a msgid is British

PART is "core" (locale/) or an app name (<app>/locale/). LOCALE is a directory name
(de, zh_Hans, pt_BR, es_419, ...). Keys of FILE.json are msgids; with a context, use
"context\u0004msgid". Plural entries take a list with one string per plural form.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
SOURCE_LOCALE = "en"  # msgids are US English; "en" needs no translations


def catalogue(part: str, locale: str) -> Path:
    base = ROOT / "locale" if part == "core" else ROOT / part / "locale"
    return base / locale / "LC_MESSAGES" / "django.po"


def all_catalogues():
    for po in sorted(ROOT.glob("locale/*/LC_MESSAGES/django.po")):
        yield "core", po
    for po in sorted(ROOT.glob("*/locale/*/LC_MESSAGES/django.po")):
        if po.parts[-5] not in (".venv", ".var"):
            yield po.parts[-5], po


def nplurals(po: polib.POFile) -> int:
    import re

    match = re.search(r"nplurals\s*=\s*(\d+)", po.metadata.get("Plural-Forms", ""))
    return int(match.group(1)) if match else 2


def normalise_plurals(po: polib.POFile) -> None:
    n = nplurals(po)
    for e in po:
        if e.msgid_plural:
            forms = [e.msgstr_plural.get(i, "") for i in sorted(e.msgstr_plural)]
            forms = (forms + [forms[-1] if forms and forms[-1] else ""] * n)[:n]
            e.msgstr_plural = dict(enumerate(forms))


def key(entry: polib.POEntry) -> str:
    return f"{entry.msgctxt}\u0004{entry.msgid}" if entry.msgctxt else entry.msgid


def untranslated(po: polib.POFile) -> list[polib.POEntry]:
    out = []
    for e in po:
        if e.obsolete:
            continue
        if e.msgid_plural:
            if not all(e.msgstr_plural.values()) or "fuzzy" in e.flags:
                out.append(e)
        elif not e.msgstr or "fuzzy" in e.flags:
            out.append(e)
    return out


def status() -> int:
    missing_total = 0
    for part, path in all_catalogues():
        locale = path.parts[-3]
        if locale == SOURCE_LOCALE:
            continue
        po = polib.pofile(str(path))
        missing = len(untranslated(po))
        missing_total += missing
        if missing:
            print(f"{part:10} {locale:8} {missing} untranslated of {len(po)}")
    print(f"total untranslated: {missing_total}")
    return 0


def todo(part: str, locale: str) -> int:
    po = polib.pofile(str(catalogue(part, locale)))
    items = {}
    for e in untranslated(po):
        items[key(e)] = {"plural": e.msgid_plural, "forms": nplurals(po)} if e.msgid_plural else ""
    json.dump(items, sys.stdout, ensure_ascii=False, indent=1)
    print()
    return 0


def fill(part: str, locale: str, file: str) -> int:
    path = catalogue(part, locale)
    po = polib.pofile(str(path))
    data = json.loads(Path(file).read_text(encoding="utf-8"))
    by_key = {key(e): e for e in po if not e.obsolete}
    unknown = [k for k in data if k not in by_key]
    applied = 0
    for k, value in data.items():
        e = by_key.get(k)
        if e is None or value in ("", None, []):
            continue
        if e.msgid_plural:
            forms = value if isinstance(value, list) else [value]
            n = nplurals(po)
            forms = (forms + [forms[-1]] * n)[:n]
            e.msgstr_plural = dict(enumerate(forms))
        else:
            e.msgstr = value if isinstance(value, str) else value[0]
        if "fuzzy" in e.flags:
            e.flags.remove("fuzzy")
        applied += 1
    normalise_plurals(po)
    po.save(str(path))
    print(f"{path.relative_to(ROOT)}: {applied} applied, {len(untranslated(po))} still untranslated")
    if unknown:
        print(f"  {len(unknown)} keys not in the catalogue, e.g. {unknown[:3]}", file=sys.stderr)
    return 0


# Where a msgid uses British spelling, the "en" (US) catalogue gets the American form.
US_SPELLING = [
    ("organisation", "organization"),
    ("Organisation", "Organization"),
    ("programme", "program"),
    ("Programme", "Program"),
    ("centre", "center"),
    ("Centre", "Center"),
    ("behaviour", "behavior"),
    ("colour", "color"),
    ("cancelled", "canceled"),
    ("Cancelled", "Canceled"),
    ("favourite", "favorite"),
    ("Favourite", "Favorite"),
    ("catalogue", "catalog"),
    ("authorise", "authorize"),
    ("analyse", "analyze"),
    ("recognise", "recognize"),
    ("prioritise", "prioritize"),
    ("summarise", "summarize"),
    ("licence", "license"),
    ("neutralise", "neutralize"),
    ("normalise", "normalize"),
    ("finalise", "finalize"),
    ("enrol", "enroll"),
]


def american(part: str) -> int:
    path = catalogue(part, SOURCE_LOCALE)
    po = polib.pofile(str(path))
    changed = 0
    for e in po:
        texts = [e.msgid] + ([e.msgid_plural] if e.msgid_plural else [])
        converted = []
        for text in texts:
            for uk, us in US_SPELLING:
                text = text.replace(uk, us)
            converted.append(text)
        if converted != texts:
            if e.msgid_plural:
                e.msgstr_plural = {0: converted[0], 1: converted[1]}
            else:
                e.msgstr = converted[0]
            changed += 1
    po.save(str(path))
    print(f"{path.relative_to(ROOT)}: {changed} entries in US spelling")
    return 0


def fix_headers() -> int:
    es_plural = None
    for _part, path in all_catalogues():
        locale = path.parts[-3]
        po = polib.pofile(str(path))
        if locale == "es" and "INTEGER" not in po.metadata.get("Plural-Forms", ""):
            es_plural = po.metadata["Plural-Forms"]
    for _part, path in all_catalogues():
        locale = path.parts[-3]
        po = polib.pofile(str(path))
        po.metadata["Language"] = locale
        po.metadata["Project-Id-Version"] = "partnerportal"
        po.metadata.pop("Last-Translator", None)
        po.metadata.pop("Language-Team", None)
        if "INTEGER" in po.metadata.get("Plural-Forms", ""):
            po.metadata["Plural-Forms"] = (
                es_plural if locale.startswith("es") and es_plural else "nplurals=2; plural=(n != 1);"
            )
        po.metadata_is_fuzzy = False
        normalise_plurals(po)
        po.header = "Partner portal message catalogue."
        po.save(str(path))
    return 0


if __name__ == "__main__":
    cmd, *args = sys.argv[1:] or ["status"]
    sys.exit(
        {"status": status, "todo": todo, "fill": fill, "fix-headers": fix_headers, "american": american}[cmd](*args)
    )
