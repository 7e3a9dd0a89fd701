"""The pointer to the current snapshot (``SnapshotState``): read by the selectors, moved by the engine.

Readers re-read the pointer at most once per ``STATE_TTL`` seconds per process (``state``); the
engine moves it with ``switch``, which also forgets this process's copy at once (and again after
commit), so neither side reaches into the other's memo.
"""

from __future__ import annotations

import time

from django.db import connection, transaction
from django.utils import timezone

from .models import SnapshotState

STATE_TTL = 1.0
_memo: tuple[float, SnapshotState | None] | None = None


def forget() -> None:
    """Drop this process's copy of the pointer: the next read goes to the database."""
    global _memo
    _memo = None


def state() -> SnapshotState | None:
    """The current pointer (``None`` before the first recompute)."""
    global _memo
    if connection.in_atomic_block:  # inside a transaction (a service, a test): read what it sees
        return SnapshotState.objects.filter(pk=1).first()
    memo = _memo
    now = time.monotonic()
    if memo is not None and now - memo[0] < STATE_TTL:
        return memo[1]
    pointer = SnapshotState.objects.filter(pk=1).first()
    _memo = (now, pointer)
    return pointer


def locked() -> SnapshotState:
    """The pointer, locked for the rest of the transaction (the engine's runs serialise on it)."""
    SnapshotState.objects.get_or_create(pk=1)
    return SnapshotState.objects.select_for_update().get(pk=1)


def switch(pointer: SnapshotState, **fields) -> None:
    """Save the pointer with ``fields`` as a new revision, and forget the memo (now and at commit)."""
    for name, value in fields.items():
        setattr(pointer, name, value)
    pointer.revision += 1
    pointer.computed_at = timezone.now()
    pointer.save()
    forget()
    transaction.on_commit(forget)
