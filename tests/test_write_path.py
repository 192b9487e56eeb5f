"""One write path: no model is written outside an actions module (docs/architecture.md).

The scan reads the project's own source with ``ast`` and flags every call that writes a model:
``.save()`` / ``.delete()`` without positional arguments (a model's, a form's, a queryset's; a cache
or a file storage takes a key), and ``create`` / ``update`` / ``bulk_create`` / ``bulk_update`` /
``get_or_create`` / ``update_or_create`` on a manager or queryset (``X.objects...``, ``.filter(...)``).
Allowed: ``chat/actions/``, each area's ``actions.py`` or ``actions/``, migrations, and the two
documented exceptions below.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOT_SOURCE = {"tests", "bench", "deploy", "docs", "locale", "static", "scripts", "var", "node_modules"}
QUERYSET_WRITES = {"create", "update", "bulk_create", "bulk_update", "get_or_create", "update_or_create"}
INSTANCE_WRITES = {"save", "delete"}
QUERYSET_STEPS = {
    "objects",
    "filter",
    "exclude",
    "all",
    "select_for_update",
    "select_related",
    "prefetch_related",
    "only",
    "defer",
    "order_by",
    "annotate",
    "using",
}
# Each connector's own table of raw platform updates (stored before processing, the outcome noted
# for the admin, erased with the contact): written by the connector plumbing, not by chat actions.
RAW_UPDATE_MODELS = {"RawUpdate"}
RAW_UPDATE_AREA = "connectors"
# The durable event log: ``chat.events.emit`` appends the rows inside the calling action's transaction.
EVENT_LOG_APPEND = "chat/events.py"


def source_files() -> list[Path]:
    packages = [
        path.parent
        for path in ROOT.glob("*/__init__.py")
        if path.parent.name not in NOT_SOURCE and not path.parent.name.startswith(".")
    ]
    return sorted(file for package in packages for file in package.rglob("*.py"))


def is_actions_module(relative: str) -> bool:
    parts = relative.split("/")
    return "migrations" in parts or "actions" in parts[:-1] or parts[-1] == "actions.py"


def _chain(node: ast.expr) -> tuple[list[str], str | None]:
    """The attribute and call names a receiver is built of, and the name it starts from."""
    names: list[str] = []
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            names.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Subscript):
            node = node.value
        else:
            return names, node.id if isinstance(node, ast.Name) else None


def model_writes(tree: ast.AST) -> list[tuple[int, str, str | None]]:
    """``(line, method, root name)`` of every call in ``tree`` that writes a model."""
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method = node.func.attr
        names, root = _chain(node.func.value)
        instance_write = method in INSTANCE_WRITES and not node.args
        queryset_write = method in QUERYSET_WRITES and bool(QUERYSET_STEPS & set(names))
        if instance_write or queryset_write:
            found.append((node.lineno, method, root))
    return found


def violations() -> list[str]:
    found = []
    for path in source_files():
        relative = path.relative_to(ROOT).as_posix()
        if is_actions_module(relative) or relative == EVENT_LOG_APPEND:
            continue
        for line, method, root in model_writes(ast.parse(path.read_text(), str(path))):
            if relative.startswith(f"{RAW_UPDATE_AREA}/") and root in RAW_UPDATE_MODELS:
                continue
            found.append(f"{relative}:{line}: .{method}() on {root or 'an expression'}")
    return found


def test_no_model_is_written_outside_an_actions_module() -> None:
    assert violations() == []


def test_the_scan_sees_the_writes_it_is_meant_to_refuse() -> None:
    """So the test above cannot pass by seeing nothing."""
    sample = """
ServiceTarget.objects.filter(metric=m).update(is_active=False)
ServiceTarget.objects.update_or_create(metric=m, defaults={})
operator.save(update_fields=["cap"])
Event.objects.filter(created_at__lt=cutoff).delete()
form.save()
Message.objects.bulk_create(rows)
cache.delete(key)
storage.save(name, content)
data.update(values)
attrs.update({"step": "1"})
"""
    writes = [(method, root) for _, method, root in model_writes(ast.parse(sample))]
    assert writes == [
        ("update", "ServiceTarget"),
        ("update_or_create", "ServiceTarget"),
        ("save", "operator"),
        ("delete", "Event"),
        ("save", "form"),
        ("bulk_create", "Message"),
    ]
    assert source_files(), "the scan found no source to read"
    assert is_actions_module("workspace/actions.py") and is_actions_module("chat/actions/inbound.py")
    assert not is_actions_module("workspace/dashboards.py")
