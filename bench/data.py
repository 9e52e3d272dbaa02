"""The benchmark's data set, generated in SQL (INSERT … SELECT over generate_series).

Column lists come from the apps' models, so the rows match the migrated tables: every
column a statement does not set gets the model field's default (or NULL / '' where the
field allows it), and a NOT NULL column with neither is an error here, not in PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
import time

from django.db import connection, models
from django.utils import timezone

BIG_ORG = "BENCH-BIG"
ONE_ORG = "BENCH-ONE"
SURVEY_ORG = "BENCH-SURVEY"
REPORT_ORG = "BENCH-REPORT"
MAIL_ORG = "BENCH-MAIL"
UPLOAD_ORG = "BENCH-UPLOAD"
PREFIX_SPREAD = "BENCH-"
# Customers of the generated partners (not of the named organisations the pages are shown for).
SPREAD_CUSTOMERS = "org_id IN (SELECT id FROM partnerportal_organisation WHERE partner_id LIKE 'BENCH-0%%')"

# Full-scale sizes; --scale multiplies each.
SIZES = {
    "organisations": 10_000,
    "big_org_leads": 1_000_000,
    "spread_leads": 200_000,
    "due_leads": 100_000,
    "contacts": 1_000_000,
    "support_requests": 1_000_000,
    "big_org_requests": 100_000,
    "invoices_due": 100_000,
    "responses": 5_000_000,
    "mail_contacts": 10_000,
    "upload_rows": 50_000,
}


def sizes(scale: float) -> dict[str, int]:
    fixed = {"mail_contacts", "upload_rows"}  # the workloads themselves are not scaled
    out = {k: (v if k in fixed else max(200, int(v * scale))) for k, v in SIZES.items()}
    out["organisations"] = max(out["organisations"], 200)
    return out


def _default_sql(field: models.Field) -> tuple[str, list]:
    from django.contrib.postgres.fields import ArrayField

    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return "now()", []
    if field.has_default():
        default = field.default
        if callable(default):
            if default is timezone.now:
                return "now()", []
            if default is dt.date.today:
                return "current_date", []
            default = default()
        if isinstance(field, ArrayField):
            return "%s", [list(default)]
        if isinstance(field, models.JSONField):
            return "%s::jsonb", [json.dumps(default)]
        if isinstance(default, dt.timedelta):
            return "%s::interval", [default]
        return "%s", [default]
    if field.null:
        return "NULL", []
    if isinstance(field, (models.CharField, models.TextField)) and field.blank:
        return "''", []
    if isinstance(field, models.BinaryField):
        return "''::bytea", []
    raise ValueError(f"{field.model.__name__}.{field.name} needs a value")


def insert_select(model, exprs: dict[str, str], from_sql: str, params: list | None = None) -> int:
    """INSERT INTO <model's table> (...) SELECT <exprs, defaults for the rest> <from_sql>.

    `exprs` are plain SQL (a % is the modulo operator); `from_sql` takes `params`."""
    columns, values, args = [], [], []
    fields = {f.column: f for f in model._meta.concrete_fields}
    unknown = set(exprs) - set(fields)
    if unknown:
        raise ValueError(f"{model.__name__}: no columns {sorted(unknown)}")
    for column, field in fields.items():
        if column in exprs:
            columns.append(column)
            values.append(exprs[column].replace("%", "%%"))  # expressions take no parameters
        elif not field.primary_key:
            sql, p = _default_sql(field)
            columns.append(column)
            values.append(sql)
            args.extend(p)
    quoted = ", ".join(f'"{c}"' for c in columns)
    sql = f'INSERT INTO "{model._meta.db_table}" ({quoted}) SELECT {", ".join(values)} {from_sql}'
    with connection.cursor() as cursor:
        cursor.execute(sql, args + list(params or []))
        return cursor.rowcount


def _sql(statement: str, params=None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _scalar(statement: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchone()[0]


def build(scale: float, log) -> dict:
    from contacts.models import CallerCustomer, Contact
    from csat.models import Answer, Question, Response
    from csat.models import Contact as CsatContact
    from leads.models import BusinessProfile, Lead
    from partnerportal.models import Membership, Organisation, User
    from support.models import Customer, Invoice, Subscription, SupportRequest

    n = sizes(scale)
    timings: dict[str, float] = {}

    def step(name, fn):
        started = time.perf_counter()
        rows = fn()
        timings[name] = round(time.perf_counter() - started, 2)
        log(f"  {name}: {rows if rows is not None else ''} ({timings[name]} s)")

    _sql("SET synchronous_commit = off")
    _sql("SET maintenance_work_mem = '256MB'")
    _sql("SET work_mem = '64MB'")

    # --- People and organisations --------------------------------------------------------
    def users():
        rows = insert_select(
            User,
            {
                "password": "'!bench'",
                "email": "u.email",
                "full_name": "u.name",
                "is_call_center_agent": "u.agent",
                "is_programme_staff": "u.staff",
            },
            """FROM (VALUES ('owner@bench.example', 'Olga Owner', false, false),
                            ('supervisor@bench.example', 'Sam Supervisor', true, true),
                            ('agent@bench.example', 'Ann Agent', true, false),
                            ('solo@bench.example', 'Sol Solo', true, false)) AS u(email, name, agent, staff)""",
        )
        rows += insert_select(
            User,
            {"password": "'!bench'", "email": "'agent' || g || '@bench.example'", "is_call_center_agent": "true"},
            "FROM generate_series(1, 20) g",
        )
        return rows

    step("users", users)

    named = [BIG_ORG, ONE_ORG, SURVEY_ORG, REPORT_ORG, MAIL_ORG, UPLOAD_ORG]

    def orgs():
        rows = insert_select(
            Organisation,
            {
                "name": "'Bench ' || x.pid",
                "partner_id": "x.pid",
                "membership_level": "'gold'",
                "country": "'US'",
                "account_email": "'reports@bench.example'",
                "renewal_date": "current_date + 60",
            },
            "FROM unnest(%s::text[]) AS x(pid)",
            [named],
        )
        rows += insert_select(
            Organisation,
            {
                "name": "'Partner ' || g",
                "partner_id": f"'{PREFIX_SPREAD}' || lpad(g::text, 6, '0')",
                "membership_level": "(ARRAY['gold','silver','smb','none'])[1 + g % 4]",
                "country": "(ARRAY['US','DE','PL','FR','JP','BR'])[1 + g % 6]",
                "renewal_date": "CASE WHEN g % 3 = 0 THEN NULL ELSE current_date + (g % 365) END",
                "competencies": "CASE WHEN g % 10 = 0 THEN ARRAY['learning'] ELSE ARRAY['cloud_platform'] END",
            },
            "FROM generate_series(1, %s) g",
            [n["organisations"] - len(named)],
        )
        owner = "(SELECT id FROM partnerportal_user WHERE email = 'owner@bench.example')"
        rows += insert_select(
            Membership,
            {"user_id": owner, "org_id": "o.id", "roles": "ARRAY['partner_admin']"},
            "FROM partnerportal_organisation o WHERE o.partner_id = ANY(%s)",
            [named],
        )
        return rows

    step("organisations", orgs)
    org = {pid: _scalar("SELECT id FROM partnerportal_organisation WHERE partner_id = %s", [pid]) for pid in named}
    spread = f"partner_id LIKE '{PREFIX_SPREAD}0%%'"

    # --- Leads ---------------------------------------------------------------------------
    lead_common = {
        "need": "'Migrate ' || g || ' mailboxes to the cloud'",
        "customer_company": "'Customer ' || (g % 5000)",
        "company_size": "(ARRAY['1-9','10-49','50-249','250-999','1000+'])[1 + g % 5]",
        "country": "'US'",
        "contact_name": "'Contact ' || g",
        "contact_email": "'c' || g || '@customer.example'",
        "may_contact_directly": "g % 2 = 0",
    }

    def leads():
        # One organisation with a million inquiries: the deep-page list. None is due for expiry.
        rows = insert_select(
            Lead,
            {
                **lead_common,
                "org_id": str(org[BIG_ORG]),
                "type": "'customer_inquiry'",
                "status": "CASE WHEN g <= 2000 THEN 'received' ELSE (ARRAY['accepted','won','lost','declined'])"
                "[1 + g % 4] END",
                "received_at": "now() - g * interval '30 seconds'",
                "responded_at": "CASE WHEN g <= 2000 THEN NULL ELSE now() - g * interval '30 seconds' + "
                "interval '2 hours' END",
            },
            "FROM generate_series(1, %s) g",
            [n["big_org_leads"]],
        )
        rows += insert_select(
            Lead,
            {"org_id": str(org[ONE_ORG]), "type": "'customer_inquiry'", "status": "'accepted'", **lead_common},
            "FROM generate_series(1, 1) g",
        )
        rows += insert_select(
            Lead,
            {
                **lead_common,
                "org_id": "o.id",
                "type": "(ARRAY['customer_inquiry','marketing_qualified','sales_qualified'])[1 + g % 3]",
                "status": "(ARRAY['accepted','won','lost','declined','expired'])[1 + g % 5]",
                "received_at": "now() - (g % 700) * interval '1 day'",
            },
            f"""FROM generate_series(1, %s) g
                JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS i FROM partnerportal_organisation
                      WHERE {spread}) o ON o.i = g %% %s""",
            [n["spread_leads"], n["organisations"] - len(named)],
        )
        return rows

    step("leads", leads)
    step("leads due for expiry", lambda: make_due_leads(n["due_leads"]))
    step(
        "business profiles",
        lambda: insert_select(
            BusinessProfile,
            {"org_id": "o.id", "description": "'We build things'", "is_published": "true"},
            "FROM partnerportal_organisation o WHERE o.partner_id = ANY(%s)",
            [[BIG_ORG, ONE_ORG]],
        ),
    )

    # --- Call-center contacts ------------------------------------------------------------
    def contacts():
        rows = insert_select(
            CallerCustomer,
            {"name": "'Caller ' || g", "phone": "'+1 425 555 ' || g", "phone_digits": "'1425555' || g"},
            "FROM generate_series(1, 10000) g",
        )
        leaves = """
            SELECT row_number() OVER (ORDER BY r.id) - 1 AS i, r.id AS reason_id,
                   CASE r.level WHEN 1 THEN r.id WHEN 2 THEN r.parent_id ELSE p.parent_id END AS l1,
                   CASE r.level WHEN 1 THEN NULL WHEN 2 THEN r.id ELSE r.parent_id END AS l2
            FROM contacts_contactreason r LEFT JOIN contacts_contactreason p ON p.id = r.parent_id
            WHERE r.is_active AND NOT EXISTS (
                SELECT 1 FROM contacts_contactreason c WHERE c.parent_id = r.id AND c.is_active)
        """
        rows += insert_select(
            Contact,
            {
                "agent_id": "a.id",
                "created_at": "now() - g * interval '20 seconds'",
                "reason_id": "lv.reason_id",
                "reason_l1_id": "lv.l1",
                "reason_l2_id": "lv.l2",
                "product": "'Windows 11'",
                "market": "'consumer'",
                "interaction_type": "(ARRAY['inbound_call','outbound_call','email','chat'])[1 + g % 4]",
                "caller_id": "CASE WHEN g % 3 = 0 THEN NULL ELSE (SELECT min(id) FROM contacts_callercustomer) "
                "+ g % 10000 END",
                "action_taken": "(ARRAY['resolved','information_provided','feedback_recorded'])[1 + g % 3]",
                "duration_seconds": "60 + g % 900",
                "status": "'closed'",
            },
            f"""FROM generate_series(1, %s) g
                JOIN ({leaves}) lv ON lv.i = (g::bigint * 7919) %% (SELECT count(*) FROM ({leaves}) x)
                JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS i FROM partnerportal_user
                      WHERE is_call_center_agent AND NOT is_programme_staff AND email LIKE 'agent%%') a
                  ON a.i = g %% 21""",
            [n["contacts"]],
        )
        # One agent with a single contact: the 1-row list of the query-count check.
        rows += insert_select(
            Contact,
            {
                "agent_id": "(SELECT id FROM partnerportal_user WHERE email = 'solo@bench.example')",
                "reason_id": "lv.reason_id",
                "reason_l1_id": "lv.l1",
                "reason_l2_id": "lv.l2",
                "action_taken": "'resolved'",
                "status": "'closed'",
            },
            f"FROM ({leaves}) lv WHERE lv.i = 0",
        )
        return rows

    step("call-center contacts", contacts)

    # --- Support: customers, subscriptions, requests, invoices ---------------------------
    def support():
        rows = insert_select(
            Customer,
            {
                "org_id": "o.id",
                "partner_of_record_id": "o.id",
                "company": "'Client ' || k || ' of ' || o.partner_id",
                "tenant_domain": "'client' || k || '-' || o.id || '.example'",
                "country": "'US'",
                "billing_contact_name": "'Bill Payer'",
                "billing_contact_email": "'billing' || k || '-' || o.id || '@client.example'",
                "technical_contact_name": "'Tech Person'",
                "technical_contact_email": "'tech' || k || '-' || o.id || '@client.example'",
            },
            "FROM partnerportal_organisation o CROSS JOIN generate_series(1, CASE o.partner_id "
            "WHEN %s THEN 60 WHEN %s THEN 1 ELSE 2 END) k",
            [BIG_ORG, ONE_ORG],
        )
        rows += insert_select(
            Subscription,
            {
                "org_id": "c.org_id",
                "customer_id": "c.id",
                "service": "'microsoft_365'",
                "seats": "10",
                "unit_price": "12.50",
                "billing_cycle": "'monthly'",
            },
            "FROM support_customer c",
        )
        req = {
            "requester_name": "'Requester ' || g",
            "requester_email": "'r' || g || '@client.example'",
            "category": "(ARRAY['technical','billing','commercial'])[1 + g % 3]",
            "service": "'microsoft_365'",
            "severity": "(ARRAY['A','B','C'])[1 + g % 3]",
            "subject": "'Cannot sign in (' || g || ')'",
            "description": "'Users report sign-in failures since this morning.'",
            "status": "(ARRAY['new','diagnosing','waiting_on_customer','resolved','closed'])[1 + g % 5]",
            "created_at": "now() - g * interval '1 minute'",
            "updated_at": "now() - g * interval '1 minute'",
            "first_response_due_at": "now() - g * interval '1 minute' + interval '8 hours'",
            "resolution_due_at": "now() - g * interval '1 minute' + interval '120 hours'",
        }
        rows += insert_select(
            SupportRequest,
            {**req, "org_id": "c.org_id", "customer_id": "c.id"},
            "FROM generate_series(1, %s) g JOIN LATERAL (SELECT id, org_id FROM support_customer "
            "WHERE org_id = %s ORDER BY id LIMIT 1 OFFSET g %% 2) c ON true",
            [n["big_org_requests"], org[BIG_ORG]],
        )
        rows += insert_select(
            SupportRequest,
            {**req, "org_id": "c.org_id", "customer_id": "c.id", "status": "'new'"},
            "FROM generate_series(1, 1) g JOIN support_customer c ON c.org_id = %s",
            [org[ONE_ORG]],
        )
        rows += insert_select(
            SupportRequest,
            {**req, "org_id": "c.org_id", "customer_id": "c.id"},
            f"""FROM generate_series(1, %s) g
               JOIN (SELECT id, org_id, row_number() OVER (ORDER BY id) - 1 AS i FROM support_customer
                     WHERE {SPREAD_CUSTOMERS}) c
                 ON c.i = g %% (SELECT count(*) FROM support_customer WHERE {SPREAD_CUSTOMERS})""",
            [n["support_requests"] - n["big_org_requests"] - 1],
        )
        rows += insert_select(
            Invoice,
            {
                "org_id": "c.org_id",
                "customer_id": "c.id",
                "number": "'INV-' || c.id",
                "period_start": "current_date - 60",
                "period_end": "current_date - 31",
                "amount": "100 + g % 900",
                "issued_on": "current_date - 30",
                "due_date": "current_date - 30",
                "status": "'paid'",
            },
            "FROM generate_series(1, 1) g JOIN support_customer c ON c.org_id = ANY(%s)",
            [[org[ONE_ORG], org[BIG_ORG]]],
        )
        return rows

    step("support", support)
    step("invoices due for collections", lambda: make_due_invoices(n["invoices_due"]))

    # --- CSAT ----------------------------------------------------------------------------
    def responses():
        # Five hundred responses per organisation over 15 months, from about 40 customer
        # organisations each (so the 8-per-organisation cap and the window both matter).
        per_org = max(1, n["responses"] // n["organisations"])
        return insert_select(
            Response,
            {
                "org_id": "o.id",
                "source": "'open'",
                "is_anonymous": "true",
                "customer_org": "'Customer ' || ((o.id * 7 + g) % 40) || ' Ltd'",
                "customer_org_key": "'customer ' || ((o.id * 7 + g) % 40)",
                "language": "(ARRAY['en','de','pl','ja'])[1 + g % 4]",
                "submitted_at": "now() - ((g * 7919 + o.id) % 456) * interval '1 day' - g * interval '1 minute'",
                "satisfaction": "1 + (g + o.id) % 5",
                "keep_business": "1 + (g * 3 + o.id) % 5",
                "engage_again": "1 + (g * 7 + o.id) % 5",
                "recommend": "(g * 11 + o.id) % 11",
                "comment": "CASE WHEN g % 4 = 0 THEN 'Quick and competent help, thank you. Response ' || g ELSE '' END",
            },
            "FROM partnerportal_organisation o CROSS JOIN generate_series(1, %s) g",
            [per_org],
        )

    step("CSAT responses", responses)

    def report_org():
        # The organisation of the monthly PDF: custom questions with answers, and comments.
        rows = insert_select(
            Question,
            {
                "org_id": str(org[REPORT_ORG]),
                "kind": "CASE WHEN k <= 24 THEN 'rating' WHEN k <= 38 THEN 'single' ELSE 'text' END",
                "texts": "jsonb_build_object('en', 'Custom question number ' || k || ' about the service')",
                "choices": "CASE WHEN k > 24 AND k <= 38 THEN (SELECT jsonb_agg(jsonb_build_object('key', 'c' || j,"
                " 'texts', jsonb_build_object('en', 'Choice ' || j))) FROM generate_series(1, 6) j) "
                "ELSE '[]'::jsonb END",
                "order": "k",
            },
            "FROM generate_series(1, 44) k",
        )
        rows += insert_select(
            Answer,
            {
                "org_id": "r.org_id",
                "response_id": "r.id",
                "question_id": "q.id",
                "value_int": "CASE WHEN q.kind = 'rating' THEN 1 + (r.id + q.id) % 5 END",
                "value_text": "CASE WHEN q.kind = 'text' THEN 'A longer free-text answer about the project, "
                "the people and what could be better next time (' || r.id || ').' ELSE '' END",
                "value_choices": "CASE WHEN q.kind = 'single' THEN ARRAY['c' || (1 + (r.id + q.id) % 6)] "
                "ELSE ARRAY[]::varchar[] END",
            },
            "FROM csat_response r JOIN csat_question q ON q.org_id = r.org_id WHERE r.org_id = %s",
            [org[REPORT_ORG]],
        )
        _sql(
            "UPDATE csat_response SET comment = repeat('Comment on the engagement. ', 8) || id WHERE org_id = %s",
            [org[REPORT_ORG]],
        )
        return rows

    step("report organisation", report_org)

    step(
        "CSAT contacts for the mail run",
        lambda: insert_select(
            CsatContact,
            {
                "org_id": str(org[MAIL_ORG]),
                "first_name": "'Mia'",
                "last_name": "'Mail ' || g",
                "email": "'mail' || g || '@customer.example'",
                "customer_org": "'Customer ' || (g % 50)",
                "customer_org_key": "'customer ' || (g % 50)",
                "consent": "true",
            },
            "FROM generate_series(1, %s) g",
            [n["mail_contacts"]],
        ),
    )

    def analyze():
        _sql("VACUUM ANALYZE")

    step("vacuum analyze", analyze)
    counts = {
        "organisations": Organisation.objects.count(),
        "leads": _scalar("SELECT reltuples::bigint FROM pg_class WHERE relname = 'leads_lead'"),
        "contacts": _scalar("SELECT reltuples::bigint FROM pg_class WHERE relname = 'contacts_contact'"),
        "support_requests": _scalar("SELECT reltuples::bigint FROM pg_class WHERE relname = 'support_supportrequest'"),
        "invoices": _scalar("SELECT count(*) FROM support_invoice"),
        "csat_responses": _scalar("SELECT reltuples::bigint FROM pg_class WHERE relname = 'csat_response'"),
    }
    return {"sizes": n, "counts": counts, "build_seconds": timings, "orgs": org}


def make_due_leads(count: int) -> int:
    """Leads received more than 14 days ago and never answered, spread over organisations;
    a third were sent by a person, the rest are customer inquiries (both are notified)."""
    from leads.models import Lead

    _sql("DELETE FROM leads_lead WHERE deal_notes = 'bench-due'")
    return insert_select(
        Lead,
        {
            "org_id": "o.id",
            "type": "CASE WHEN g % 3 = 0 THEN 'marketing_qualified' ELSE 'customer_inquiry' END",
            "status": "'received'",
            "need": "'Help with licences'",
            "customer_company": "'Due Customer ' || g",
            "company_size": "'10-49'",
            "country": "'US'",
            "contact_name": "'Due Contact ' || g",
            "contact_email": "'due' || g || '@customer.example'",
            "sender_id": "CASE WHEN g % 3 = 0 THEN (SELECT id FROM partnerportal_user "
            "WHERE email = 'supervisor@bench.example') END",
            "received_at": "now() - interval '15 days' - (g % 1000) * interval '1 minute'",
            "deal_notes": "'bench-due'",
        },
        f"""FROM generate_series(1, %s) g
            JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS i FROM partnerportal_organisation
                  WHERE partner_id LIKE '{PREFIX_SPREAD}0%%') o
              ON o.i = g %% (SELECT count(*) FROM partnerportal_organisation WHERE partner_id LIKE '{PREFIX_SPREAD}0%%')""",
        [count],
    )


def make_due_invoices(count: int) -> int:
    """Unpaid invoices in every collections state: due in 7 days or tomorrow (reminder),
    just past due (overdue), 7 days over (reminder after) and 20 days over (suspension)."""
    from support.models import Invoice

    _sql("DELETE FROM support_collectionevent")
    _sql("UPDATE support_subscription SET status = 'active', suspended_by_invoice_id = NULL")
    _sql("DELETE FROM support_invoice WHERE number LIKE 'DUE-%%'")
    # Every other organisation has saved its own policy (with the default days, so the outcome
    # is the same), so the run looks policies up as well as falling back to the defaults.
    _sql("DELETE FROM support_collectionspolicy")
    _sql(
        """INSERT INTO support_collectionspolicy (org_id, reminder_days_before, reminder_days_after,
                                                  suspend_after_days, updated_at)
            SELECT id, '{7,1}', '{1,7}', 14, now() FROM partnerportal_organisation
             WHERE partner_id LIKE 'BENCH-0%' AND id % 2 = 0"""
    )
    return insert_select(
        Invoice,
        {
            "org_id": "c.org_id",
            "customer_id": "c.id",
            "number": "'DUE-' || g",
            "period_start": "current_date - 60",
            "period_end": "current_date - 31",
            "amount": "100 + g % 900",
            "issued_on": "current_date - 30",
            "due_date": "current_date + (ARRAY[7, 1, -1, -7, -20])[1 + g % 5]",
            "status": "'open'",
        },
        f"""FROM generate_series(1, %s) g
           JOIN (SELECT id, org_id, row_number() OVER (ORDER BY id) - 1 AS i FROM support_customer
                 WHERE {SPREAD_CUSTOMERS}) c
             ON c.i = g %% (SELECT count(*) FROM support_customer WHERE {SPREAD_CUSTOMERS})""",
        [count],
    )


DIRECTORY_PREFIX = "BENCH-DIR-"
DIRECTORY_PROFILES = 100_000
# Words of the generated profiles. "cloud" is in every third description (the common search);
# "quantum" in one profile of a thousand (the rare one).
DIRECTORY_KEYWORDS = [
    "licensing", "migration", "security", "backup", "teams", "sharepoint", "dynamics", "azure",
    "devops", "identity", "compliance", "analytics", "training", "helpdesk", "networking", "voip",
    "erp", "crm", "intune", "governance",
]  # fmt: skip
DIRECTORY_COUNTRIES = ["US", "DE", "PL", "FR", "JP", "BR", "GB", "IT", "ES", "NL", "IN", "CA"]


def directory_profile_count() -> int:
    return _scalar(
        "SELECT count(*) FROM leads_businessprofile p JOIN partnerportal_organisation o ON o.id = p.org_id "
        "WHERE o.partner_id LIKE %s",
        [DIRECTORY_PREFIX + "%"],
    )


def make_directory_profiles(count: int) -> int:
    """Published business profiles of directory-only organisations, with varied words,
    industries, countries, company sizes and response tiers; the search vector is computed
    in SQL the way leads.services._refresh_search_vector does (same configuration, weights
    and English industry labels). Deletes the rows of an earlier run first."""
    from django.utils import translation

    from leads.models import BusinessProfile, CompanySize, Industry
    from partnerportal.models import Organisation

    mine = "SELECT id FROM partnerportal_organisation WHERE partner_id LIKE %s"
    like = [DIRECTORY_PREFIX + "%"]
    _sql(f"DELETE FROM leads_businessprofile_locations WHERE businessprofile_id IN "
         f"(SELECT id FROM leads_businessprofile WHERE org_id IN ({mine}))", like)  # fmt: skip
    _sql(f"DELETE FROM leads_businessprofile WHERE org_id IN ({mine})", like)
    _sql("DELETE FROM partnerportal_organisation WHERE partner_id LIKE %s", like)
    if count <= 0:
        return 0
    insert_select(
        Organisation,
        {
            "name": "(ARRAY['Northwind','Contoso','Fabrikam','Tailspin','Litware','Adatum','Proseware','Wingtip'])"
            "[1 + g % 8] || ' ' || (ARRAY['Solutions','IT','Systems','Consulting','Cloud Partners','Digital'])"
            "[1 + (g / 8) % 6] || ' ' || g",
            "partner_id": f"'{DIRECTORY_PREFIX}' || lpad(g::text, 7, '0')",
            "membership_level": "(ARRAY['gold','silver','smb','none'])[1 + g % 4]",
            "country": f"(ARRAY{DIRECTORY_COUNTRIES!r})[1 + g % {len(DIRECTORY_COUNTRIES)}]",
        },
        "FROM generate_series(1, %s) g",
        [count],
    )
    industries = list(Industry.values)
    sizes = list(CompanySize.values)
    kw, nk = DIRECTORY_KEYWORDS, len(DIRECTORY_KEYWORDS)
    rows = insert_select(
        BusinessProfile,
        {
            "org_id": "o.id",
            "description": "(ARRAY['We help ','Our team guides ','Certified engineers support ','We partner with '])"
            "[1 + g % 4] || (ARRAY['small businesses','schools','hospitals','manufacturers','retailers',"
            "'public agencies','banks'])[1 + g % 7] || ' with ' || (ARRAY['cloud migration','licence reviews',"
            "'managed security','data platforms','modern workplace projects'])[1 + g % 5] || '. ' || "
            "CASE WHEN g % 3 = 0 THEN 'Hybrid cloud and on-premises experience. ' ELSE '' END || "
            "CASE WHEN g % 1000 = 7 THEN 'Research partner for quantum computing pilots. ' ELSE '' END || "
            "'Offices since ' || (1990 + g % 34) || '.'",
            "keywords": f"ARRAY[(ARRAY{kw!r})[1 + g % {nk}], (ARRAY{kw!r})[1 + (g / {nk} + 3) % {nk}]]",
            "industries": f"ARRAY[(ARRAY{industries!r})[1 + g % {len(industries)}], "
            f"(ARRAY{industries!r})[1 + (g / 3 + 5) % {len(industries)}]]",
            "company_sizes": f"(ARRAY{sizes!r})[1 + g % 5 : 1 + g % 5 + (g / 5) % 3]",
            "countries": f"ARRAY[(ARRAY{DIRECTORY_COUNTRIES!r})[1 + g % {len(DIRECTORY_COUNTRIES)}]]",
            "website": "'https://partner' || g || '.example'",
            "is_published": "true",
            "published_at": "now() - (g % 900) * interval '1 day'",
            "median_response_seconds": "CASE WHEN g % 5 = 4 THEN NULL ELSE 3600 * (1 + g % 300) END",
            "response_tier": "CASE WHEN g % 5 = 4 THEN 9 WHEN 3600 * (1 + g % 300) <= 86400 THEN 1 "
            "WHEN 3600 * (1 + g % 300) <= 259200 THEN 2 WHEN 3600 * (1 + g % 300) <= 604800 THEN 3 ELSE 4 END",
        },
        f"FROM (SELECT id, substr(partner_id, {len(DIRECTORY_PREFIX) + 1})::int AS g "
        "FROM partnerportal_organisation WHERE partner_id LIKE %s) o",
        like,
    )
    with translation.override("en"):
        labels = [(value, str(label)) for value, label in Industry.choices]
    # The vector of leads.services._refresh_search_vector: name and keywords A, industries (their
    # English labels, in the order of the choices) B, description C; 'simple' configuration.
    _sql(
        """UPDATE leads_businessprofile p SET search_vector =
               setweight(to_tsvector('simple'::regconfig, COALESCE(o.name, '')), 'A')
            || setweight(to_tsvector('simple'::regconfig, COALESCE(array_to_string(p.keywords, ' '), '')), 'A')
            || setweight(to_tsvector('simple'::regconfig, COALESCE((
                   SELECT string_agg(l.label, ' ' ORDER BY l.n) FROM unnest(%s::text[], %s::text[])
                          WITH ORDINALITY AS l(value, label, n)
                    WHERE l.value = ANY(p.industries)), '')), 'B')
            || setweight(to_tsvector('simple'::regconfig, COALESCE(p.description, '')), 'C')
          FROM partnerportal_organisation o
         WHERE o.id = p.org_id AND o.partner_id LIKE %s""",
        [[v for v, _ in labels], [lbl for _, lbl in labels], *like],
    )
    _sql("ANALYZE partnerportal_organisation")
    _sql("ANALYZE leads_businessprofile")
    return rows
