"""History reads as sentences: every audit action the code records has a label in the
registry, pages show the label (not the code), and an unregistered action still shows its code."""

from __future__ import annotations

import ast
from pathlib import Path

from django.urls import reverse

from partnerportal.audit import audit_log, describe
from partnerportal.models import AuditEntry
from partnerportal.registry import audit_actions

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["partnerportal", "csat", "leads", "contacts", "support"]


# --- Every action code in the code base has a label ---------------------------------------------


def _link_parents(tree: ast.AST) -> None:
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            child.parent = node


def _enclosing_function(node: ast.AST):
    while (node := getattr(node, "parent", None)) is not None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return node
    return None


def _callee(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _writes_audit(call: ast.Call) -> bool:
    """audit_log(...), AuditEntry(...) and AuditEntry.objects.create(...)."""
    if _callee(call) in ("audit_log", "AuditEntry"):
        return True
    func = call.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "create"
        and isinstance(func.value, ast.Attribute)
        and func.value.attr == "objects"
        and isinstance(func.value.value, ast.Name)
        and func.value.value.id == "AuditEntry"
    )


def _codes(tree: ast.Module, expr: ast.expr, where: str) -> set[str]:
    """The action codes an expression can take, following literals, conditionals, local
    assignments, a function's parameter to its calls in the module, and loop targets
    unpacked from a list of tuples. Anything else fails: write the codes out."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return {expr.value}
    if isinstance(expr, ast.IfExp):
        return _codes(tree, expr.body, where) | _codes(tree, expr.orelse, where)
    func = _enclosing_function(expr)
    if isinstance(expr, ast.Name) and func is not None:
        name = expr.id
        assigned = [
            node.value
            for node in ast.walk(func)
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
        ]
        if assigned:
            return set().union(*(_codes(tree, value, where) for value in assigned))
        positional = [a.arg for a in func.args.posonlyargs + func.args.args]
        if name in positional or name in [a.arg for a in func.args.kwonlyargs]:
            found: set[str] = set()
            for call in ast.walk(tree):
                if not isinstance(call, ast.Call) or _callee(call) != func.name:
                    continue
                args = [k.value for k in call.keywords if k.arg == name]
                if not args and name in positional and positional.index(name) < len(call.args):
                    args = [call.args[positional.index(name)]]
                for arg in args:
                    found |= _codes(tree, arg, where)
            return found
        for loop in ast.walk(func):
            if not isinstance(loop, (ast.comprehension, ast.For)) or not isinstance(loop.target, ast.Tuple):
                continue
            names = [t.id if isinstance(t, ast.Name) else None for t in loop.target.elts]
            if name not in names or not isinstance(loop.iter, ast.Name):
                continue
            index, rows = names.index(name), []
            for node in ast.walk(func):
                if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == loop.iter.id for t in node.targets
                ):
                    rows += node.value.elts if isinstance(node.value, ast.List) else []
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "append"
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == loop.iter.id
                ):
                    rows += node.args
            if rows and all(isinstance(row, ast.Tuple) for row in rows):
                return set().union(*(_codes(tree, row.elts[index], where) for row in rows))
    raise AssertionError(f"{where}: cannot tell which audit action {ast.unparse(expr)} records; write the codes out")


def recorded_actions() -> dict[str, str]:
    """Every audit action code written anywhere in the portal's code, with where."""
    found: dict[str, str] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if {"tests", "migrations"} & set(path.relative_to(ROOT).parts):
                continue
            tree = ast.parse(path.read_text(), filename=str(path))
            _link_parents(tree)
            for call in ast.walk(tree):
                if isinstance(call, ast.Call) and _callee(call) == "audit_action" and call.args:
                    where = f"{path.relative_to(ROOT)}:{call.lineno}"
                    for code in _codes(tree, call.args[0], where):
                        found.setdefault(code, where)
                if not isinstance(call, ast.Call) or not _writes_audit(call):
                    continue
                for keyword in call.keywords:
                    if keyword.arg == "action":
                        where = f"{path.relative_to(ROOT)}:{call.lineno}"
                        for code in _codes(tree, keyword.value, where):
                            found.setdefault(code, where)
    return found


def test_every_recorded_action_has_a_label():
    recorded = recorded_actions()
    # The scan follows every way the code names an action (a bulk job's parameter, a local
    # variable, the demo's tuples), so it must find these too.
    assert {"lead.expired", "lead.won", "support.invoice_overdue", "contact_reason.retired"} <= set(recorded)
    assert {"support.invoice_reminder_before", "support.invoice_reminder_after"} <= set(recorded)
    assert len(recorded) > 60
    missing = {code: where for code, where in recorded.items() if code not in audit_actions()}
    assert not missing, f"Audit actions without a label (add them to the app's audit_labels): {missing}"


def test_no_label_for_an_action_nothing_records():
    assert set(audit_actions()) - set(recorded_actions()) == set()


# --- What a reader sees ------------------------------------------------------------------------


def test_an_entry_reads_as_a_sentence_with_named_details():
    line = describe(
        AuditEntry(action="lead.edited", object_type="leads.lead", details={"changed": ["deal_value", "crm_id"]})
    )
    assert line.known and line.label == "Deal details edited"
    assert line.details == [("Changed", "Estimated deal value, CRM ID")]
    # Choice codes are shown by their names, ids and empty values not at all.
    line = describe(
        AuditEntry(
            action="support.escalated",
            object_type="support.escalation",
            details={"request": 7, "category": "defect", "vehicle": "premier", "note": None},
        )
    )
    assert line.details == [
        ("Category", "Defect affecting how a service looks or works"),
        ("Support vehicle", "Premier Support for Partners"),
    ]
    line = describe(AuditEntry(action="support.health_checked", object_type="support.supportrequest", details={}))
    assert line.details == []


def test_an_unknown_action_falls_back_to_its_code():
    line = describe(AuditEntry(action="plugin.something_done", object_type="plugin.thing", details={"count": 3}))
    assert not line.known and line.label == "plugin.something_done" and line.details == [("count", "3")]


def test_member_history_shows_labels_not_codes(alice, alice_client, bob):
    membership = bob.memberships.get()
    r = alice_client.post(reverse("team_member", args=[membership.pk]), {"action": "roles", "roles": ["survey_admin"]})
    assert r.status_code == 302
    audit_log(actor=alice, action="plugin.something_done", obj=membership)
    page = alice_client.get(reverse("team_member", args=[membership.pk])).content.decode()
    assert "Roles changed" in page and "After: Survey admin" in page
    assert "membership.roles_changed" not in page
    assert "<code>plugin.something_done</code>" in page


def test_activity_page_shows_labels(alice, alice_client, org_a):
    audit_log(actor=alice, action="location.saved", obj=org_a, details={"fields": ["name"]})
    page = alice_client.get(reverse("org_activity")).content.decode()
    assert "Location saved" in page and "location.saved" not in page
