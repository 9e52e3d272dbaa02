"""The benchmark suite: `python -m bench.run [--scale 0.1]` (or `make bench`).

Builds its own data set in the database `bench_partnerportal` (dropped and created anew),
runs every measurement with its baseline in the same run, and writes
bench/results/latest.json and bench/results/latest.md.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import io
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
# BENCH_DB names another database (and its own work folder and results folder), so that two
# data sets can live side by side.
DB_NAME = os.environ.get("BENCH_DB", "bench_partnerportal")
QUEUE = DB_NAME
WORK = ROOT / ".var" / ("bench" if DB_NAME == "bench_partnerportal" else DB_NAME)
RESULTS = Path(__file__).resolve().parent / "results" / ("" if DB_NAME == "bench_partnerportal" else DB_NAME)
PY = sys.executable


def log(message: str) -> None:
    print(message, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def median(values):
    return statistics.median(values) if values else None


# --- Environment -------------------------------------------------------------------------------


def database_url() -> str:
    if not os.environ.get("DATABASE_URL"):
        sys.path.insert(0, str(ROOT / "scripts"))
        from dev import ensure_database  # the private PostgreSQL server of `make run`

        ensure_database()
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{DB_NAME}"))


def static_out_of_date() -> bool:
    """Whether collectstatic must run: no manifest yet, or a file of the project's own static
    folders (the packages' files do not change between runs) is newer than it."""
    from django.conf import settings

    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if not manifest.exists():
        return True
    stamp = manifest.stat().st_mtime
    folders = [Path(d) for d in settings.STATICFILES_DIRS] + [ROOT / app / "static" for app in settings.PORTAL_APPS]
    return any(
        f.stat().st_mtime > stamp for folder in folders if folder.exists() for f in folder.rglob("*") if f.is_file()
    )


def configure_environment(args) -> dict:
    url = database_url()
    env = {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": url,
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY", "bench-secret-key-not-for-production-0123456789"),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "SITE_URL": "http://127.0.0.1:8000",
        "LOG_LEVEL": "WARNING",
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/0",
        "CELERY_TASK_DEFAULT_QUEUE": QUEUE,
        "EMAIL_URL": "smtp://127.0.0.1:1",  # only the mail run's worker sends, to its sink
    }
    if not broker_reachable(env["CELERY_BROKER_URL"]):
        log(f"No broker at {env['CELERY_BROKER_URL']}: tasks go to an in-memory queue; no mail run.")
        env["CELERY_BROKER_URL"] = "memory://"
    os.environ.update(env)
    return env


def broker_reachable(url: str) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except Exception:  # noqa: BLE001 - any failure means no broker
        return False


def recreate_database() -> None:
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    conninfo = {
        "dbname": "postgres",
        "user": db["USER"] or None,
        "password": db["PASSWORD"] or None,
        "host": db["HOST"] or None,
        "port": db["PORT"] or None,
    }
    with psycopg.connect(**{k: v for k, v in conninfo.items() if v}, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def purge_queue() -> None:
    from partnerportal.celery import app

    if app.conf.broker_url.startswith("memory"):
        return
    with app.connection_for_write() as conn:
        with contextlib.suppress(Exception):  # an absent queue is an empty queue
            conn.default_channel.queue_purge(QUEUE)


# --- Sign-in -----------------------------------------------------------------------------------


def session_cookie(email: str, org_id: int | None = None) -> str:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from partnerportal.models import User
    from partnerportal.tenancy import SESSION_KEY as ORG_KEY

    user = User.objects.get(email=email)
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    if org_id:
        store[ORG_KEY] = org_id
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


_HANDLER = None


def _client():
    """A test client sharing one request handler: each new handler would build the middleware
    again, and WhiteNoise's scans the tens of thousands of collected static files."""
    global _HANDLER
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    if _HANDLER is None:
        _HANDLER = client.handler
    client.handler = _HANDLER
    return client


def test_client(email: str, org_id: int | None = None):
    from django.conf import settings

    client = _client()
    client.cookies[settings.SESSION_COOKIE_NAME] = session_cookie(email, org_id).split("=", 1)[1]
    return client


# --- Measurements ------------------------------------------------------------------------------


def pages(ctx) -> dict[str, dict]:
    """The pages of the throughput run: path, who is signed in (email, org)."""
    from django.urls import reverse

    orgs = ctx["orgs"]
    return {
        "baseline": {"path": "/bench/baseline/", "user": None},
        "partner dashboard": {"path": reverse("dashboard"), "user": ("owner@bench.example", orgs["BENCH-BIG"])},
        "lead list": {"path": reverse("leads:lead_list"), "user": ("owner@bench.example", orgs["BENCH-BIG"])},
        "CSAT results": {"path": reverse("csat:results"), "user": ("owner@bench.example", orgs["BENCH-BIG"])},
        "call-center contact list": {"path": reverse("contacts:list"), "user": ("supervisor@bench.example", None)},
        "support ticket queue": {
            "path": reverse("support:request_list"),
            "user": ("owner@bench.example", orgs["BENCH-BIG"]),
        },
        "public survey page": {"path": ctx["survey_path"], "user": None},
    }


def check_pages(ctx) -> None:
    for name, page in pages(ctx).items():
        client = test_client(*page["user"]) if page["user"] else test_client_anon()
        response = client.get(page["path"], HTTP_X_BENCH_CLIENT="10.0.0.1")
        if response.status_code != 200:
            raise SystemExit(f"{name} ({page['path']}) answered {response.status_code}")


def test_client_anon():
    return _client()


def measure_queries(ctx) -> dict:
    """SQL queries per list page with 1 row and with 50 rows shown, same user and page."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from partnerportal.models import User

    orgs = ctx["orgs"]
    solo = User.objects.get(email="solo@bench.example").pk
    agent = User.objects.get(email="agent@bench.example").pk
    cases = {
        "lead list": (reverse("leads:lead_list"), "", ""),
        "support ticket queue": (reverse("support:request_list"), "", ""),
        "invoice list": (reverse("support:invoice_list"), "", ""),
        "CSP customer list": (reverse("support:customer_list"), "", ""),
        "call-center contact list": (reverse("contacts:list"), f"?agent={solo}", f"?agent={agent}"),
    }
    out = {}
    for name, (path, one_q, many_q) in cases.items():
        if name == "call-center contact list":
            one = many = test_client("supervisor@bench.example")
        else:
            one = test_client("owner@bench.example", orgs["BENCH-ONE"])
            many = test_client("owner@bench.example", orgs["BENCH-BIG"])
        counts = {}
        for label, client, query in (("1 row", one, one_q), ("50 rows", many, many_q)):
            client.get(path + query)  # warm (templates, caches)
            with CaptureQueriesContext(connection) as captured:
                response = client.get(path + query)
            rows = len(response.context["page"]) if response.context and "page" in response.context else None
            counts[label] = {"queries": len(captured.captured_queries), "rows": rows, "status": response.status_code}
        q1, q50 = counts["1 row"]["queries"], counts["50 rows"]["queries"]
        out[name] = {**counts, "met": q1 == q50 and q50 <= 10}
        log(f"  {name}: {q1} queries with {counts['1 row']['rows']} row(s), {q50} with {counts['50 rows']['rows']}")
    return out


def cursor_at(sql: str, params: list, offset: int) -> tuple[str, int]:
    from django.db import connection

    from partnerportal.pagination import _encode

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({sql}) x", params)
        total = cursor.fetchone()[0]
        offset = min(offset, total - 51)
        cursor.execute(f"{sql} OFFSET %s LIMIT 1", [*params, offset])
        ts, pk = cursor.fetchone()
    return _encode([ts, pk]), (offset + 1) // 50 + 1


def measure_deep(ctx, repeats: int) -> dict:
    from django.urls import reverse

    orgs = ctx["orgs"]
    deep_offset = 20_000 * 50 - 51  # the last row of page 19,999: `after` it comes page 20,000
    lists = {
        "lead list": (
            test_client("owner@bench.example", orgs["BENCH-BIG"]),
            reverse("leads:lead_list"),
            "SELECT received_at, id FROM leads_lead WHERE org_id = %s AND type = 'customer_inquiry' "
            "ORDER BY received_at DESC, id DESC",
            [orgs["BENCH-BIG"]],
        ),
        "call-center contact list": (
            test_client("supervisor@bench.example"),
            reverse("contacts:list"),
            "SELECT created_at, id FROM contacts_contact ORDER BY created_at DESC, id DESC",
            [],
        ),
    }
    out = {}
    for name, (client, path, sql, params) in lists.items():
        token, page_no = cursor_at(sql, params, deep_offset)
        result = {}
        for label, url in (("page 1", path), (f"page {page_no:,}", f"{path}?after={token}")):
            response = client.get(url)
            assert response.status_code == 200 and len(response.context["page"]) == 50, (name, label)  # noqa: S101
            times = []
            for _ in range(repeats):
                started = time.perf_counter()
                client.get(url)
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            result[label] = {
                "p50_ms": round(times[len(times) // 2], 1),
                "p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))], 1),
            }
        first, deep = result["page 1"]["p95_ms"], result[f"page {page_no:,}"]["p95_ms"]
        out[name] = {**result, "deep_page": page_no, "ratio": round(deep / first, 2), "met": deep / first <= 1.5}
        log(f"  {name}: page 1 p95 {first} ms, page {page_no:,} p95 {deep} ms")
    return out


def measure_throughput(ctx, env, seconds: float, repeats: int) -> dict:
    port = free_port()
    server = subprocess.Popen(
        [
            PY,
            "-m",
            "gunicorn",
            "partnerportal.wsgi:application",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--timeout",
            "60",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("gunicorn did not start") from None
                time.sleep(0.3)
        out = {}
        for name, page in pages(ctx).items():
            cookie = session_cookie(*page["user"]) if page["user"] else ""
            load = [PY, "-m", "bench.load", "--port", str(port), "--path", page["path"], "--cookie", cookie]
            subprocess.run([*load, "--seconds", "2"], cwd=ROOT, check=True, capture_output=True, timeout=60)
            runs = []
            for _ in range(repeats):
                done = subprocess.run(
                    [*load, "--seconds", str(seconds)],
                    cwd=ROOT,
                    check=True,
                    capture_output=True,
                    text=True,
                    timeout=seconds + 60,
                )
                runs.append(json.loads(done.stdout))
            runs.sort(key=lambda r: r["rps"])
            mid = runs[len(runs) // 2]
            out[name] = {
                "rps": mid["rps"],
                "p50_ms": mid["p50_ms"],
                "p95_ms": mid["p95_ms"],
                "runs_rps": [r["rps"] for r in runs],
                "statuses": mid["statuses"],
            }
            log(f"  {name}: {mid['rps']} req/s, p50 {mid['p50_ms']} ms, p95 {mid['p95_ms']} ms {mid['statuses']}")
        base = out["baseline"]["rps"]
        for name, row in out.items():
            row["ratio"] = round(row["rps"] / base, 3) if base else None
            if name == "baseline":
                row["target"] = None
            else:
                row["target"] = 0.6 if name == "public survey page" else 0.4
                row["met"] = row["ratio"] is not None and row["ratio"] >= row["target"]
        return out
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def timed(fn, prepare=None, repeats: int = 3) -> dict:
    times, results = [], []
    for _ in range(repeats):
        if prepare:
            prepare()
        started = time.perf_counter()
        results.append(fn())
        times.append(time.perf_counter() - started)
        purge_queue()
    return {"seconds": round(median(times), 3), "runs": [round(t, 3) for t in times], "result": results[-1]}


BULK_JOBS = ("upload", "compliance", "expiry", "collections")


def measure_bulk(ctx, repeats: int, jobs=BULK_JOBS) -> dict:
    from django.db import connection

    from bench import data
    from csat import services as csat_services
    from csat.models import Contact, ContactImport
    from leads.services import leads_expire
    from partnerportal.models import Organisation, User
    from support.services import collections_run

    owner = User.objects.get(email="owner@bench.example")
    upload_org = Organisation.objects.get(partner_id=data.UPLOAD_ORG)
    n = ctx["sizes"]["upload_rows"]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["first_name", "last_name", "email", "customer_organisation", "language", "consent"])
    for i in range(n):
        writer.writerow(
            [f"Name{i}", f"Surname{i}", f"person{i}@upload.example", f"Customer {i % 500} GmbH", "de", "yes"]
        )
    payload = buffer.getvalue().encode()
    out = {}

    def clear_upload():
        Contact.objects.filter(org=upload_org).delete()
        ContactImport.objects.filter(org=upload_org).delete()

    def upload():
        imp = csat_services.import_preview(org=upload_org, actor=owner, filename="contacts.csv", data=payload)
        return csat_services.import_commit(imp=imp, actor=owner)

    def prepare_copy():
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TABLE IF NOT EXISTS bench_scratch_contacts (first_name text, last_name text, email text, "
                "customer_org text, language text, consent text)"
            )
            cursor.execute("TRUNCATE bench_scratch_contacts")

    def copy():
        with connection.cursor() as cursor:
            with cursor.copy("COPY bench_scratch_contacts FROM STDIN WITH (FORMAT csv, HEADER true)") as cp:
                cp.write(payload)
        return n

    if "upload" in jobs:
        log(f"  contact upload of {n:,} rows ...")
        up = timed(upload, clear_upload, repeats)
        cp = timed(copy, prepare_copy, repeats)
        ratio = up["seconds"] / cp["seconds"]
        out["contact upload"] = {
            **up,
            "rows": n,
            "copy_seconds": cp["seconds"],
            "copy_runs": cp["runs"],
            "ratio_to_copy": round(ratio, 1),
            "met": ratio <= 10 and up["seconds"] < 5,
        }
        log(f"    upload {up['seconds']} s, COPY {cp['seconds']} s, ratio {ratio:.1f}")

    if "compliance" in jobs:
        log("  compliance refresh ...")
        comp = timed(lambda: csat_services.compliance_refresh(), None, repeats)
        comp["met"] = comp["seconds"] < 2
        out["compliance refresh"] = comp
        log(f"    {comp['seconds']} s {comp['result']}")

    if "expiry" in jobs:
        due_leads = ctx["sizes"]["due_leads"]
        log(f"  expiring {due_leads:,} due leads ...")
        exp = timed(leads_expire, lambda: data.make_due_leads(due_leads), repeats)
        out["lead expiry"] = exp
        log(f"    {exp['seconds']} s ({exp['result']} leads)")

    if "collections" in jobs:
        due_invoices = ctx["sizes"]["invoices_due"]
        log(f"  collections over {due_invoices:,} invoices ...")
        col = timed(collections_run, lambda: data.make_due_invoices(due_invoices), repeats)
        out["collections run"] = col
        log(f"    {col['seconds']} s {col['result']}")
    return out


def measure_results(ctx, repeats: int) -> dict:
    """The CSAT results page requested in-process (Django test client, no HTTP server):
    latency and queries of one page, a quick check between throughput runs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    client = test_client("owner@bench.example", ctx["orgs"]["BENCH-BIG"])
    path = reverse("csat:results")
    assert client.get(path).status_code == 200  # noqa: S101 - warm (templates, caches)
    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    queries = len(captured.captured_queries)  # read now: the next request clears the log
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        client.get(path)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    result = {
        "p50_ms": round(times[len(times) // 2], 1),
        "p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))], 1),
        "queries": queries,
    }
    log(f"  CSAT results: p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, {result['queries']} queries")
    return result


def _timed_get(client, path: str, repeats: int, client_addresses=None) -> dict:
    """p50/p95 in ms and SQL queries of one GET, in-process. With `client_addresses`, each
    request comes from its own address (the public pages' per-client limit stays on)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    addresses = iter(client_addresses or [])

    def get():
        extra = {}
        if client_addresses:
            address = next(addresses)
            extra = {"REMOTE_ADDR": address, "HTTP_X_BENCH_CLIENT": address}
        response = client.get(path, **extra)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")
        return response

    get()  # warm (templates, caches)
    with CaptureQueriesContext(connection) as captured:
        response = get()
    queries = len(captured.captured_queries)  # read now: the next request clears the log
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        get()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "p50_ms": round(times[len(times) // 2], 1),
        "p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))], 1),
        "queries": queries,
        "response": response,
    }


def ensure_directory(ctx) -> dict:
    """The directory's published profiles: (re)built when their number is not the one the
    scale asks for, so the step can be added to a data set built without it."""
    from bench import data

    count = max(200, int(data.DIRECTORY_PROFILES * ctx["scale"]))
    built = None
    if data.directory_profile_count() != count:
        log(f"  building {count:,} directory profiles ...")
        started = time.perf_counter()
        data.make_directory_profiles(count)
        built = round(time.perf_counter() - started, 2)
        log(f"    {built} s")
    return {"profiles": count, "build_seconds": built}


def measure_search(ctx, repeats: int, parts=("directory", "search")) -> dict:
    """The public directory search and the agents' contact-reason type-ahead, in-process."""
    import ipaddress

    from django.urls import reverse

    from contacts.models import ContactReason
    from leads.models import BusinessProfile

    out = {}
    if "directory" in parts:
        built = ensure_directory(ctx)
        published = BusinessProfile.objects.filter(is_published=True, org__is_active=True).count()
        path = reverse("leads:directory")
        cases = {
            "directory: common word (cloud)": "?q=cloud",
            "directory: rare word (quantum)": "?q=quantum",
            "directory: country + company size": "?country=DE&company_size=50-249",
            "directory: no query (first page)": "",
        }
        first = int(ipaddress.ip_address("10.64.0.0"))
        client = test_client_anon()
        rows = []
        for i, (name, query) in enumerate(cases.items()):
            base = first + i * 65536  # a fresh address per request: none nears the per-client limit
            addresses = [str(ipaddress.ip_address(base + k)) for k in range(repeats + 2)]
            row = _timed_get(client, path + query, repeats, addresses)
            response = row.pop("response")
            row |= {"query": query or "(none)", "results": len(response.context["results"]), "searched": published}
            rows.append((name, row))
            log(f"  {name}: p50 {row['p50_ms']} ms, p95 {row['p95_ms']} ms, {row['queries']} queries")
        out["directory"] = {"profiles": published, "build_seconds": built["build_seconds"], "cases": dict(rows)}
    if "search" in parts:
        reasons = ContactReason.objects.count()
        client = test_client("agent@bench.example")
        path = reverse("contacts:reason_search")
        rows = []
        for prefix in ("l", "lo", "lost", "prod", "refund", "renewal st"):
            row = _timed_get(client, f"{path}?q={prefix.replace(' ', '+')}", repeats)
            response = row.pop("response")
            row |= {"query": prefix, "results": len(response.json()["results"]), "searched": reasons}
            rows.append((f"reason search: {prefix}", row))
            log(f"  reason search {prefix!r}: p50 {row['p50_ms']} ms, p95 {row['p95_ms']} ms, {row['queries']} queries")
        out["reasons"] = {"reasons": reasons, "cases": dict(rows)}
    return out


def measure_pdf(ctx, env, repeats: int) -> dict:
    from django.utils import timezone

    from csat.services import report_month_for

    month = report_month_for(timezone.localdate())
    runs = []
    for _ in range(repeats):
        done = subprocess.run(
            [PY, "-m", "bench.pdf", "--org", str(ctx["orgs"]["BENCH-REPORT"]), "--month", month.isoformat()],
            cwd=ROOT,
            env={**os.environ, **env},
            check=True,
            capture_output=True,
            text=True,
            timeout=300,
        )
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    seconds = median([r["seconds"] for r in runs])
    peak = max(r["peak_rss_mb"] for r in runs)
    result = {
        "seconds": seconds,
        "runs": [r["seconds"] for r in runs],
        "pages": runs[-1]["pages"],
        "bytes": runs[-1]["bytes"],
        "peak_rss_mb": peak,
        "rss_before_mb": runs[-1]["rss_before_mb"],
        "met": seconds < 2 and peak < 300,
    }
    log(f"  {result['pages']} pages in {seconds} s, peak RSS {peak} MB")
    return result


def measure_mail(ctx, env, timeout: float) -> dict:
    from partnerportal.models import Organisation, OutgoingMail, User

    if env["CELERY_BROKER_URL"].startswith("memory"):
        return {"skipped": "no Redis broker reachable"}
    from csat import services as csat_services

    sink_port = free_port()
    sink_file = WORK / "sink.txt"
    sink_file.write_text("")
    worker_log = WORK / "worker.log"
    sink = subprocess.Popen(
        [PY, "-m", "bench.sink", "--port", str(sink_port), "--out", str(sink_file)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    worker = None
    try:
        if sink.stdout.readline().strip() != "ready":
            raise SystemExit("the SMTP sink did not start")
        purge_queue()
        with open(worker_log, "w") as logfile:
            worker = subprocess.Popen(
                [
                    PY,
                    "-m",
                    "celery",
                    "-A",
                    "partnerportal",
                    "worker",
                    "-Q",
                    QUEUE,
                    "--concurrency",
                    "2",
                    "--loglevel",
                    "INFO",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "--hostname",
                    f"bench-{os.getpid()}@%h",
                ],
                cwd=ROOT,
                env={**os.environ, **env, "EMAIL_URL": f"smtp://127.0.0.1:{sink_port}", "LOG_LEVEL": "INFO"},
                stdout=logfile,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while " ready." not in worker_log.read_text():
            if time.monotonic() > deadline or worker.poll() is not None:
                raise SystemExit("the Celery worker did not start")
            time.sleep(0.3)
        org = Organisation.objects.get(partner_id="BENCH-MAIL")
        owner = User.objects.get(email="owner@bench.example")
        # A run on a kept data set invites the same contacts again: forget the last run's
        # invitations (and their mail), or nobody would be due one.
        from csat.models import Invitation

        Invitation.objects.filter(org=org).delete()
        OutgoingMail.objects.filter(org=org, kind="csat_invitation").delete()
        first_mail = (OutgoingMail.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
        started = time.perf_counter()
        queued = csat_services.invitations_create(org=org, actor=owner)
        enqueued = time.perf_counter() - started
        received = 0
        while time.perf_counter() - started < timeout:
            received = sum(1 for _ in sink_file.open())
            if received >= queued:
                break
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
        time.sleep(5)  # anything arriving late would be a duplicate
        ids = [line.strip() for line in sink_file.open() if line.strip()]
        expected = {
            m.message_id
            for m in OutgoingMail.objects.filter(id__gte=first_mail, kind="csat_invitation", org=org).only("id")
        }
        unique = set(ids)
        result = {
            "invitations": queued,
            "received": len(ids),
            "seconds": round(elapsed, 2),
            "enqueue_seconds": round(enqueued, 2),
            "mails_per_second": round(len(unique & expected) / elapsed, 1),
            "lost": len(expected - unique) + max(0, queued - len(expected)),
            "duplicates": len(ids) - len(unique),
            "worker": "one Celery worker (prefork, concurrency 2)",
        }
        result["met"] = result["lost"] == 0 and result["duplicates"] == 0
        log(
            f"  {result['received']:,} of {queued:,} in {result['seconds']} s ({result['mails_per_second']}/s), "
            f"lost {result['lost']}, duplicates {result['duplicates']}"
        )
        return result
    finally:
        for proc in (worker, sink):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
        purge_queue()


# --- Machine and report ------------------------------------------------------------------------


def machine() -> dict:
    from django.db import connection

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kb / 1024 / 1024:.1f} GB"
    except (OSError, ValueError, IndexError):
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    import django

    return {
        "cpu": cpu or platform.processor(),
        "cores": os.cpu_count(),
        "memory": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": pg,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="data set size (0.1 for a quick run)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each throughput run")
    parser.add_argument("--repeats", type=int, default=3, help="runs per figure (the median is reported)")
    parser.add_argument("--keep-data", action="store_true", help="reuse the data set of the last run")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated: queries,deep,pages,results,bulk (or upload,compliance,expiry,collections),pdf,mail,"
        "directory,search",
    )
    args = parser.parse_args()
    only = set(filter(None, args.only.split(",")))
    want = lambda name: not only or name in only  # noqa: E731

    WORK.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    env = configure_environment(args)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench import data
    from csat import services as csat_services
    from partnerportal.models import Organisation

    started = time.perf_counter()
    state_file = WORK / "dataset.json"
    if args.keep_data and state_file.exists():
        ctx = json.loads(state_file.read_text())
        log(f"Reusing the data set of the last run (scale {ctx['scale']}).")
    else:
        log(f"Building the data set in {DB_NAME} (scale {args.scale}) ...")
        connection.close()
        recreate_database()
        t0 = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        migrate_seconds = time.perf_counter() - t0
        ctx = data.build(args.scale, log)
        ctx["build_seconds"]["migrate"] = round(migrate_seconds, 2)
        ctx["scale"] = args.scale
        for pid in ("BENCH-BIG", "BENCH-SURVEY", "BENCH-REPORT"):
            survey_settings = csat_services.settings_for(org=Organisation.objects.get(partner_id=pid))
            if pid == "BENCH-SURVEY":
                ctx["survey_path"] = urlsplit(csat_services.open_link(survey_settings=survey_settings)).path
        ctx["build_total_seconds"] = round(time.perf_counter() - started, 1)
        state_file.write_text(json.dumps(ctx))
        log(f"Data set built in {ctx['build_total_seconds']} s.")

    # A static file added since the last collection must be in the manifest, or pages fail.
    if static_out_of_date():
        log("Collecting static files ...")
        call_command("collectstatic", interactive=False, verbosity=0)

    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client records each response's template context
    previous = RESULTS / "latest.json"
    results = json.loads(previous.read_text()) if only and args.keep_data and previous.exists() else {}
    results |= {"scale": ctx["scale"], "data": {k: ctx[k] for k in ("sizes", "counts", "build_seconds")}}
    results["data"]["build_total_seconds"] = ctx.get("build_total_seconds")
    check_pages(ctx)
    if want("queries"):
        log("Query discipline ...")
        results["queries"] = measure_queries(ctx)
    if want("deep"):
        log("Deep pages ...")
        results["deep_pages"] = measure_deep(ctx, repeats=max(20, args.repeats * 10))
    if want("pages"):
        log(f"Page throughput ({args.repeats} x {args.seconds:g} s each) ...")
        connection.close()
        results["throughput"] = measure_throughput(ctx, env, args.seconds, args.repeats)
    if want("results"):
        log("CSAT results page, in-process ...")
        results["results_page"] = measure_results(ctx, repeats=max(10, args.repeats * 5))
    jobs = [j for j in BULK_JOBS if want("bulk") or j in only]
    if jobs:
        log("Bulk work ...")
        results["bulk"] = results.get("bulk", {}) | measure_bulk(ctx, args.repeats, jobs)
    if want("pdf"):
        log("Monthly CSAT PDF ...")
        results["pdf"] = measure_pdf(ctx, env, args.repeats)
    if want("mail"):
        log("E-mail ...")
        results["mail"] = measure_mail(ctx, env, timeout=600)
    # Last: the directory adds its own organisations, which the steps above should not count.
    search_parts = [p for p in ("directory", "search") if want(p)]
    if search_parts:
        log("Search, in-process ...")
        results["search"] = results.get("search", {}) | measure_search(ctx, max(20, args.repeats * 10), search_parts)
    results["machine"] = machine()
    if not only or "total_seconds" not in results:
        results["total_seconds"] = round(time.perf_counter() - started, 1)

    from bench.report import write

    json_path, md_path = write(results, RESULTS)
    log(f"Wrote {json_path.relative_to(ROOT)} and {md_path.relative_to(ROOT)} ({results['total_seconds']} s).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
