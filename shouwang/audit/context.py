"""Who is acting: the user and address that audit entries are attributed to.

django-auditlog keeps the actor in a context variable that it sets but never
resets, so after a request (or a `set_actor` block) the next write in the same
thread would still be attributed to that user. `acting_as` wraps auditlog's
`set_actor` and restores both variables on exit; `current_actor()` reads ours,
which is only ever set inside such a block.
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar
from typing import Any

from auditlog.context import auditlog_value, set_actor

_acting: ContextVar[dict[str, Any] | None] = ContextVar("shouwang_acting", default=None)


@contextlib.contextmanager
def acting_as(actor, remote_addr: str | None = None, remote_port: int | None = None):
    """Attribute every audit entry written inside the block to `actor` (may be None)."""
    ours = _acting.set({"actor": actor, "remote_addr": remote_addr, "remote_port": remote_port})
    theirs = auditlog_value.set({})
    try:
        with set_actor(actor, remote_addr=remote_addr, remote_port=remote_port):
            yield
    finally:
        auditlog_value.reset(theirs)
        _acting.reset(ours)


def current_actor() -> dict[str, Any]:
    """Fields for an AuditEntry: actor, actor_email, remote_addr, remote_port."""
    data = _acting.get()
    if not data:
        return {}
    actor = data["actor"]
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return {
        "actor": actor,
        "actor_email": (actor.email or None) if actor else None,
        "remote_addr": data["remote_addr"],
        "remote_port": data["remote_port"],
    }


def attribute_to(actor) -> None:
    """Inside a request, attribute what follows to `actor` — for API calls that
    authenticate by token after AuditMiddleware has run. The request's
    `acting_as` block discards this when the request ends."""
    data = _acting.get()
    if data is not None:
        data["actor"] = actor
    with contextlib.suppress(LookupError, TypeError):
        auditlog_value.get()["actor"] = actor
