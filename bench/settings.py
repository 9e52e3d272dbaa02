"""Settings for the benchmark: the portal's own settings, plus a bare baseline view."""

from partnerportal.settings import *  # noqa: F403
from partnerportal.settings import BASE_DIR, TEMPLATES

ROOT_URLCONF = "bench.urls"
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]
# Static files are collected here for the run (the manifest storage needs them).
STATIC_ROOT = BASE_DIR / ".var" / "bench" / "static"
# The public pages are rate-limited per client address. Every request of the load generator
# comes from 127.0.0.1, so it names a distinct client in this header: the limiter still runs
# on every request, as it does in production, without refusing the benchmark.
RATELIMIT_IP_META_KEY = "HTTP_X_BENCH_CLIENT"
