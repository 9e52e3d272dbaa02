"""The dependency audit fails on a known vulnerability and never mistakes 'not audited' for clean."""

import importlib.util
from pathlib import Path

import pytest

spec = importlib.util.spec_from_file_location("audit_deps", Path(__file__).parent.parent / "scripts" / "audit_deps.py")
audit_deps = importlib.util.module_from_spec(spec)
spec.loader.exec_module(audit_deps)

CLEAN = {"dependencies": [{"name": "django", "version": "5.2.19", "vulns": []}]}
VULNERABLE = {
    "dependencies": [
        {"name": "django", "version": "5.2.0", "vulns": [{"id": "PYSEC-0000-1", "fix_versions": ["5.2.1"]}]},
    ]
}
UNKNOWN = {"dependencies": [{"name": "django", "skip_reason": "Dependency not found on PyPI"}]}


def _with(monkeypatch, reports):
    monkeypatch.setattr(audit_deps, "run", lambda service: reports[service])


def test_a_known_vulnerability_fails(monkeypatch, capsys):
    _with(monkeypatch, {"pypi": VULNERABLE, "osv": CLEAN})
    assert audit_deps.main() == 1
    assert "VULNERABLE django 5.2.0: PYSEC-0000-1 (fixed in 5.2.1)" in capsys.readouterr().out


def test_osv_is_asked_when_pypi_knows_nothing(monkeypatch):
    _with(monkeypatch, {"pypi": UNKNOWN, "osv": VULNERABLE})
    assert audit_deps.main() == 1
    _with(monkeypatch, {"pypi": None, "osv": CLEAN})
    assert audit_deps.main() == 0


@pytest.mark.parametrize("required,code", [("", 0), ("1", 1)])
def test_no_reachable_service_is_reported_as_not_audited(monkeypatch, capsys, required, code):
    _with(monkeypatch, {"pypi": UNKNOWN, "osv": None})
    monkeypatch.setenv("AUDIT_REQUIRED", required)
    assert audit_deps.main() == code
    assert "NOT audited" in capsys.readouterr().out
