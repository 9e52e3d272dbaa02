"""Fault injection: real worker, beat and web processes, a private Redis and an SMTP sink,
all on 127.0.0.1 and free ports, each started by the test that needs it and stopped (killed
if need be) when it ends, pass or fail. Every wait has a deadline.

Outside CI a missing redis-server skips these tests; under CI=true it fails them."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from email import message_from_bytes
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def require(condition: bool, message: str) -> None:
    """Skip when something the test needs is missing, except under CI, where it fails."""
    if condition:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, *, timeout: float, what: str, interval: float = 0.05):
    """Poll until predicate() is truthy and return it; fail with `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def test_database_url() -> str:
    db = connection.settings_dict
    host = db["HOST"] or "127.0.0.1"
    host = quote(host, safe="") if host.startswith("/") else host
    return f"postgres://{db['USER']}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


test_database_url.__test__ = False  # a helper, not a test


class Process:
    """A child process in its own session, its output in a log file shown on failure."""

    def __init__(self, name: str, argv: list[str], env: dict, log_dir: Path):
        self.name, self.argv, self.env = name, argv, env
        self.log = log_dir / f"{name}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> Process:
        out = open(self.log, "ab")  # noqa: SIM115 - handed to the child
        try:
            self.proc = subprocess.Popen(
                self.argv, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        finally:
            out.close()
        return self

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill9(self) -> None:
        """SIGKILL the whole process group: no shutdown handler, no acknowledgement runs."""
        if self.alive:
            os.killpg(self.proc.pid, signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=10)

    def stop(self, timeout: float = 15) -> None:
        if not self.alive:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill9()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-6000:] if self.log.exists() else ""


class Processes:
    """Starts processes for one test and ends every one of them afterwards."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.started: list[Process] = []

    def start(self, name: str, argv: list[str], env: dict) -> Process:
        process = Process(name, argv, env, self.log_dir).start()
        self.started.append(process)
        return process

    def stop_all(self) -> None:
        for process in reversed(self.started):
            try:
                process.stop(timeout=10)
            except Exception:  # noqa: BLE001 - the others must still be stopped
                process.kill9()

    def logs(self) -> str:
        return "\n".join(f"--- {p.name} ---\n{p.output()}" for p in self.started)


@pytest.fixture
def processes(tmp_path, request):
    procs = Processes(tmp_path)
    yield procs
    procs.stop_all()
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(procs.logs())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call = report
    return report


# --- Redis ---------------------------------------------------------------------------------


class RedisServer:
    """A private redis-server on a free loopback port, nothing kept on disk, so a restart
    loses whatever was queued (the worst case for the outbox)."""

    def __init__(self, processes: Processes, binary: str, workdir: Path):
        self.processes, self.binary, self.workdir = processes, binary, workdir
        self.port = free_port()
        self.process: Process | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.starts += 1
        argv = [self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"]
        argv += ["--dir", str(self.workdir)]
        self.process = self.processes.start(f"redis-{self.starts}", argv, dict(os.environ))
        wait_for(self.answers, timeout=15, what=f"redis-server on port {self.port}")

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        self.process.kill9()
        wait_for(lambda: not self.answers(), timeout=10, what="redis-server to go away")

    def llen(self, queue: str) -> int:
        import redis

        return redis.Redis.from_url(self.url).llen(queue)


@pytest.fixture
def private_redis(processes, tmp_path):
    binary = shutil.which("redis-server")
    require(binary is not None, "redis-server is not installed (Debian package redis-server).")
    server = RedisServer(processes, binary, tmp_path)
    server.start()
    return server


@pytest.fixture
def broker(private_redis, settings, monkeypatch):
    """Point this process's Celery app at the private Redis and a queue of its own."""
    from partnerportal.celery import app

    # Celery reads CELERY_BROKER_URL from the environment before its configuration (CI sets it).
    monkeypatch.setenv("CELERY_BROKER_URL", private_redis.url)

    queue = f"faults-{uuid.uuid4().hex[:8]}"
    keys = ("task_always_eager", "broker_url", "task_default_queue")
    old = {key: app.conf[key] for key in keys}
    app.conf.update(task_always_eager=False, broker_url=private_redis.url, task_default_queue=queue)
    _reset_producer(app)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    yield queue
    app.conf.update(**old)
    _reset_producer(app)


def _reset_producer(app) -> None:
    # Earlier in-process tasks may have built the publisher for another broker and queue.
    app._pool = None
    app.__dict__.pop("amqp", None)
    app.__dict__.pop("producer_pool", None)


# --- Worker and beat -----------------------------------------------------------------------


def app_env(**extra) -> dict:
    """Environment for a worker, beat or web process on the test database."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "partnerportal.settings",
        "DEBUG": "true",
        "EMAIL_URL": "dummymail://",
        "DATABASE_URL": test_database_url(),
        "LOG_LEVEL": "WARNING",
    }
    env.update({k: str(v) for k, v in extra.items()})
    return env


def start_worker(processes: Processes, name: str, *, broker_url: str, queue: str, **env) -> Process:
    argv = [sys.executable, "-m", "celery", "-A", "partnerportal", "worker", "--pool=solo", "-Q", queue]
    argv += ["-n", f"{name}@faults", "--without-heartbeat", "--without-gossip", "--without-mingle"]
    argv += ["--loglevel=WARNING"]
    return processes.start(name, argv, app_env(CELERY_BROKER_URL=broker_url, CELERY_TASK_DEFAULT_QUEUE=queue, **env))


# --- SMTP sink -----------------------------------------------------------------------------


class SmtpSink:
    """aiosmtpd on a free loopback port, in this process. Records every message it accepts
    (Message-ID, recipient) and every RCPT it sees. Per recipient it can instead answer
    421 ("busy"), stall past the client's timeout ("slow"), or hold the DATA reply until
    the test releases it ("hold", one recipient)."""

    def __init__(self):
        self.port = free_port()
        self.lock = threading.Lock()
        self.received: list[tuple[str, str]] = []
        self.rcpt_tries: Counter = Counter()
        self.busy: set[str] = set()
        self.slow: set[str] = set()
        self.slow_seconds = 5.0
        self.hold: str | None = None
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd hook
        with self.lock:
            self.rcpt_tries[address] += 1
        if address in self.busy:
            return "421 4.3.2 Service not available, try again later"
        if address in self.slow:
            await asyncio.sleep(self.slow_seconds)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook
        message = message_from_bytes(envelope.original_content or envelope.content)
        message_id = message.get("Message-ID", "").strip()
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.received.append((message_id, rcpt))
        if self.hold in envelope.rcpt_tos:
            self.holding.set()
            deadline = time.monotonic() + 60
            while not self.release.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
        return "250 OK"

    def message_ids(self) -> Counter:
        with self.lock:
            return Counter(message_id for message_id, _rcpt in self.received)

    def count(self) -> int:
        with self.lock:
            return len(self.received)


@pytest.fixture
def smtp_sink():
    from aiosmtpd.controller import Controller

    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port, ready_timeout=10)
    controller.start()
    yield sink
    sink.release.set()
    controller.stop()
