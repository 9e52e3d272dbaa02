"""Reading a contacts file (CSV or .xlsx) into rows, and validating every row at once:
one query for existing contacts, no query per row."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection
from django.utils.translation import gettext as _

from .models import Contact, customer_org_key

# Accepted header names (lower case, any of them) for each column.
COLUMNS = {
    "first_name": ("first_name", "first name", "firstname", "given name"),
    "last_name": ("last_name", "last name", "lastname", "surname", "family name"),
    "email": ("email", "e-mail", "email address", "e-mail address"),
    "customer_org": (
        "customer_organisation",
        "customer organisation",
        "customer_organization",
        "organisation",
        "organization",
        "company",
    ),
    "language": ("language", "lang"),
    "consent": ("consent", "agreed", "opt-in", "opt_in"),
}
TEMPLATE_HEADER = ["first_name", "last_name", "email", "customer_organisation", "language", "consent"]
TEMPLATE_EXAMPLES = [
    ["Ana", "Kovač", "ana.kovac@example.com", "Adventure Works", "hr", "yes"],
    ["明", "王", "wang.ming@example.cn", "Fourth Coffee", "zh-hans", "yes"],
]
TRUE_VALUES = {"yes", "y", "true", "1", "x", "ja", "oui", "si", "sí", "tak", "evet", "да", "是", "はい"}
FALSE_VALUES = {"no", "n", "false", "0", "", "nein", "non", "nie", "hayır", "нет", "否", "いいえ"}


class FileError(Exception):
    pass


@dataclass
class Validated:
    rows: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    total: int = 0


def read_table(*, filename: str, data: bytes) -> list[list[str]]:
    """All rows of the first sheet / the CSV, as strings, header included."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        _check_unpacked_size(data)
        try:
            from openpyxl import load_workbook

            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                sheet = wb.worksheets[0]
                return [["" if v is None else str(v).strip() for v in row] for row in sheet.iter_rows(values_only=True)]
            finally:
                wb.close()
        except Exception as exc:  # noqa: BLE001 - any unreadable workbook is the user's file
            raise FileError(_("This is not a readable Excel (.xlsx) file.")) from exc
    if not name.endswith((".csv", ".txt")):
        raise FileError(_("Upload a .csv or .xlsx file."))
    if data.startswith(BINARY_SIGNATURES) or b"\x00" in data[:4096]:
        # A picture, PDF, archive or workbook renamed to .csv: text files have no NUL bytes.
        raise FileError(_("This is not a readable CSV file."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise FileError(_("The file is not UTF-8 text. Save it as “CSV UTF-8”.")) from exc
    first_line = text.split("\n", 1)[0]
    # Excel in many locales writes ';' — pick whichever separator the header uses most.
    delimiter = max([",", ";", "\t"], key=first_line.count)
    try:
        return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as exc:  # e.g. a field longer than the csv module's limit
        raise FileError(_("This is not a readable CSV file.")) from exc


# Magic numbers of files people rename to .csv by mistake (PNG, JPEG, GIF, PDF, ZIP/xlsx, xls).
BINARY_SIGNATURES = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"%PDF", b"PK\x03\x04", b"\xd0\xcf\x11\xe0")
# A workbook unpacks to many times its size; beyond this it is refused before it is read,
# so a small file that inflates to gigabytes (a "zip bomb") cannot exhaust memory.
UNPACKED_SIZE_FACTOR = 10


def _check_unpacked_size(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FileError(_("This is not a readable Excel (.xlsx) file.")) from exc
    if unpacked > UNPACKED_SIZE_FACTOR * getattr(settings, "MAX_UPLOAD_BYTES", 20 * 1024 * 1024):
        raise FileError(_("The file is too large."))


def _header_map(header: list[str]) -> dict[str, int]:
    found = {}
    lowered = [h.strip().lower() for h in header]
    for col, names in COLUMNS.items():
        for i, h in enumerate(lowered):
            if h in names:
                found[col] = i
                break
    missing = [c for c in ("first_name", "last_name", "email", "customer_org", "language", "consent") if c not in found]
    if missing:
        raise FileError(
            _("The header row is missing these columns: %(cols)s. Download the template to see the expected columns.")
            % {"cols": ", ".join(missing)}
        )
    return found


def _language_lookup() -> dict[str, str]:
    lookup = {}
    for code, name in settings.LANGUAGES:
        lookup[code.lower()] = code
        lookup[code.lower().replace("-", "_")] = code
        lookup[name.lower()] = code
    lookup.update({"zh": "zh-hans", "zh-cn": "zh-hans", "zh-tw": "zh-hant", "no": "nb", "en-us": "en", "iw": "he"})
    return lookup


# Addresses of this plain shape are valid for Django's EmailValidator too, and checking
# them with one regular expression is much faster on a large file; anything else goes
# through the validator itself.
_PLAIN_EMAIL = re.compile(
    r"[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\Z", re.ASCII
)
EMAIL_MAX_LENGTH = Contact._meta.get_field("email").max_length


def email_is_valid(email: str) -> bool:
    if len(email) > EMAIL_MAX_LENGTH:
        return False
    if _PLAIN_EMAIL.match(email):
        return True
    try:
        validate_email(email)
    except ValidationError:
        return False
    return True


def validate_rows(*, org, table: list[list[str]]) -> Validated:
    """Every row checked in one pass (duplicates by set look-up), then one query for the
    addresses already among the organisation's contacts."""
    if not table:
        raise FileError(_("The file is empty."))
    cols = _header_map(table[0])
    width = len(table[0])
    i_first, i_last, i_email = cols["first_name"], cols["last_name"], cols["email"]
    i_org, i_lang, i_consent = cols["customer_org"], cols["language"], cols["consent"]
    languages = _language_lookup()
    org_keys: dict[str, str] = {}  # a file names the same customer organisations again and again
    result = Validated()
    seen: dict[str, int] = {}
    parsed = []
    for line_no, raw in enumerate(table[1:], start=2):
        if not any(raw):
            continue
        result.total += 1
        # Cells come stripped from read_table; a short row is padded to the header's width.
        cell = raw if len(raw) >= width else raw + [""] * (width - len(raw))
        reasons = []
        email_raw = cell[i_email]
        email = email_raw.lower()
        if not email:
            reasons.append(_("e-mail address is missing"))
        elif not email_is_valid(email):
            reasons.append(_("“%(value)s” is not a valid e-mail address") % {"value": email_raw})
        lang_raw = cell[i_lang]
        language = languages.get(lang_raw.lower())
        if language is None:
            reasons.append(
                _("unknown language “%(value)s”") % {"value": lang_raw} if lang_raw else _("language is missing")
            )
        customer_org = cell[i_org]
        if not customer_org:
            reasons.append(_("customer organisation is missing"))
        first, last = cell[i_first], cell[i_last]
        if not first and not last:
            reasons.append(_("name is missing"))
        consent_raw = cell[i_consent].lower()
        if consent_raw in TRUE_VALUES:
            consent = True
        elif consent_raw in FALSE_VALUES:
            consent = False
        else:
            consent = False
            reasons.append(_("consent must be yes or no, not “%(value)s”") % {"value": cell[i_consent]})
        if email and email in seen:
            reasons.append(_("duplicate of line %(line)d in this file") % {"line": seen[email]})
        elif email:
            seen[email] = line_no
        if reasons:
            result.errors.append({"line": line_no, "email": email, "reason": "; ".join(reasons)})
            continue
        customer_org = customer_org[:200]
        key = org_keys.get(customer_org)
        if key is None:
            key = org_keys[customer_org] = customer_org_key(customer_org)
        parsed.append(
            {
                "line": line_no,
                "first_name": first[:100],
                "last_name": last[:100],
                "email": email,
                "customer_org": customer_org,
                "customer_org_key": key,
                "language": language,
                "consent": consent,
            }
        )
    existing = existing_emails(org=org, emails=[r["email"] for r in parsed])
    if existing:
        for row in parsed:
            if row["email"] in existing:
                result.errors.append(
                    {
                        "line": row["line"],
                        "email": row["email"],
                        "reason": _("a contact with this e-mail address already exists"),
                    }
                )
            else:
                result.rows.append(row)
    else:
        result.rows = parsed
    result.errors.sort(key=lambda e: e["line"])
    return result


def existing_emails(*, org, emails: list[str]) -> set[str]:
    """One query with an array parameter, however many addresses."""
    if not emails:
        return set()
    with connection.cursor() as cursor:
        # One text parameter split on the server: binding a long list element by element
        # costs more than the query. Checked addresses hold no line break.
        cursor.execute(
            "SELECT lower(email) FROM csat_contact WHERE org_id = %s AND lower(email) = ANY(string_to_array(%s, E'\\n'))",
            [org.pk, "\n".join(emails)],
        )
        return {r[0] for r in cursor.fetchall()}


_IMPORTED_ROWS = """
    FROM csat_contactimport i CROSS JOIN jsonb_to_recordset(i.rows) AS r(
        line int, first_name text, last_name text, email text, customer_org text, customer_org_key text,
        language text, consent boolean
    )
    WHERE i.id = %s
"""


def insert_contacts(*, import_id: int, now) -> int:
    """The contacts of a validated upload, inserted in one statement in file order."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO csat_contact (org_id, first_name, last_name, email, customer_org, customer_org_key, "
            "language, consent, created_at) "
            "SELECT i.org_id, r.first_name, r.last_name, r.email, r.customer_org, r.customer_org_key, r.language, "
            f"r.consent, %s {_IMPORTED_ROWS} ORDER BY r.line",
            [now, import_id],
        )
        return cursor.rowcount


def import_clashes(*, import_id: int) -> list[str]:
    """The addresses of an upload that are now among the organisation's contacts."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.email "
            + _IMPORTED_ROWS
            + " AND EXISTS (SELECT 1 FROM csat_contact c WHERE c.org_id = i.org_id AND lower(c.email) = r.email) "
            "ORDER BY r.email",
            [import_id],
        )
        return [row[0] for row in cursor.fetchall()]


def template_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(TEMPLATE_HEADER)
    writer.writerows(TEMPLATE_EXAMPLES)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx() -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "contacts"
    ws.append(TEMPLATE_HEADER)
    for row in TEMPLATE_EXAMPLES:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
