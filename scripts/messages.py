#!/usr/bin/env python
"""Extract the message catalogues: one for the core (locale/) and one per app
(<app>/locale/), so each part of the portal keeps its own strings. Needs GNU gettext
(xgettext, msgmerge); compiling them at install needs only Babel (compile_catalogues).

  python scripts/messages.py            # every part
  python scripts/messages.py csat       # one app
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ["csat", "contacts", "support", "leads"]
sys.path.insert(0, str(ROOT))


def locales() -> list[str]:
    from django.utils.translation import to_locale

    os.environ.setdefault("SECRET_KEY", "x")
    os.environ.setdefault("DEBUG", "true")
    from partnerportal.settings import LANGUAGES

    return [to_locale(code) for code, _ in LANGUAGES]


def makemessages(cwd: Path, extra: list[str]) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    # An app's own selectors.py must not shadow the standard library when run from its folder.
    env["PYTHONSAFEPATH"] = "1"
    args = [sys.executable, "-P", "-m", "django", "makemessages", "--no-obsolete", "--add-location=file", "--symlinks"]
    for loc in locales():
        args += ["-l", loc]
    subprocess.run(args + extra, cwd=cwd, env=env, check=True)


def core() -> None:
    ignores = [".venv/*", ".var/*", "tests/*", "bench/*", "scripts/*"]
    for app in APPS:
        ignores += [f"{app}/*", f"templates/{app}/*"]
    (ROOT / "locale").mkdir(exist_ok=True)
    makemessages(ROOT, [arg for pattern in ignores for arg in ("--ignore", pattern)])


def app(name: str) -> None:
    app_dir = ROOT / name
    (app_dir / "locale").mkdir(exist_ok=True)
    link = app_dir / "_templates"
    if not link.exists() and (ROOT / "templates" / name).is_dir():
        link.symlink_to(ROOT / "templates" / name)
    try:
        makemessages(app_dir, ["--ignore", "tests/*", "--ignore", "locale/*"])
    finally:
        if link.is_symlink():
            link.unlink()


if __name__ == "__main__":
    parts = sys.argv[1:] or ["core", *[a for a in APPS if (ROOT / a).is_dir()]]
    for part in parts:
        core() if part == "core" else app(part)
        print(f"extracted: {part}")
