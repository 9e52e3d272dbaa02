#!/usr/bin/env python
"""Set-up behind `make run` and `make test`.

With no DATABASE_URL, a private PostgreSQL server from the `pgserver` package is started
with its data in .var/pgdata (kept between runs, git-ignored) and DATABASE_URL points at
its socket. With DATABASE_URL set, that server is used as it is.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / ".var"
PY = sys.executable


def ensure_database(dbname: str = "partnerportal") -> None:
    if os.environ.get("DATABASE_URL"):
        return
    import pgserver

    VAR.mkdir(exist_ok=True)
    server = pgserver.get_server(str(VAR / "pgdata"), cleanup_mode=None)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{dbname}';")
    if "1 row" not in exists:
        server.psql(f'CREATE DATABASE "{dbname}";')
    socket_dir = str(VAR / "pgdata")
    os.environ["DATABASE_URL"] = f"postgres://postgres@{quote(socket_dir, safe='')}/{dbname}"
    print(f"Using the private PostgreSQL server in {socket_dir}")


def manage(*args: str) -> None:
    env = {**os.environ, "DEBUG": os.environ.get("DEBUG", "true")}
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, check=True, env=env)


def run() -> int:
    os.environ.setdefault("DEBUG", "true")
    ensure_database()
    manage("compile_catalogues")
    manage("migrate", "--noinput")
    manage("seed_demo")
    print("The portal is at http://127.0.0.1:8000 (stop with Ctrl+C).")
    if os.environ.get("CELERY_BROKER_URL"):
        # With a broker, run the web server, a worker and beat together, from this venv.
        env = {**os.environ, "PATH": f"{Path(PY).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        return subprocess.call([PY, "-m", "honcho", "start", "-f", "Procfile.dev"], cwd=ROOT, env=env)
    print("No CELERY_BROKER_URL: background tasks run in-process.")
    return subprocess.call([PY, "manage.py", "runserver", "127.0.0.1:8000"], cwd=ROOT)


def test(args: list[str]) -> int:
    ensure_database()
    manage("compile_catalogues")
    return subprocess.call([PY, "-m", "pytest", *args], cwd=ROOT)


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "run"
    if command == "run":
        sys.exit(run())
    if command == "test":
        sys.exit(test(sys.argv[2:]))
    if command == "db":
        ensure_database()
        print(os.environ["DATABASE_URL"])
        sys.exit(0)
    sys.exit(f"unknown command {command}")
