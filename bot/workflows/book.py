"""Read a person's book of business: from the snapshot, refreshing only on first use."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import Freshness, Identity, Snapshot
from bot.msx.gateway import MsxGateway
from bot.store import SnapshotStore
from bot.workflows.refresh import ProgressFn, RefreshResult, refresh

OWNER_KEY = "owner_user_id"


@dataclass(frozen=True)
class Book:
    snapshot: Snapshot
    freshness: Freshness
    # Set when this book was just fetched from MSX (what changed, how long it took).
    refresh: RefreshResult | None = None


def cached_book(store: SnapshotStore, *, email: str | None = None) -> Book | None:
    """The snapshot as it is, without touching MSX (None when there is none yet)."""
    if email is None:
        owner = _owner_id(store)
        snapshot = store.load(owner) if owner else None
    else:
        snapshot = store.load_by_email(email)
    if snapshot is None:
        return None
    freshness = store.freshness(snapshot.user.user_id) or Freshness(taken_at=snapshot.taken_at)
    return Book(snapshot=snapshot, freshness=freshness)


async def my_book(
    gateway: MsxGateway, store: SnapshotStore, *, progress: ProgressFn | None = None
) -> Book:
    """The owner's snapshot, instantly; on first use (no snapshot yet) a refresh makes one."""
    book = cached_book(store)
    if book is not None:
        return book
    return await refresh_book(gateway, store, progress=progress)


async def refresh_book(
    gateway: MsxGateway,
    store: SnapshotStore,
    *,
    email: str | None = None,
    progress: ProgressFn | None = None,
) -> Book:
    known = known_user(store, email=email)
    hint = known.user_id if known else None
    result = await refresh(gateway, store, email=email, progress=progress, user_hint=hint)
    if email is None:
        _set_owner(store, result.snapshot.user.user_id)
    return Book(
        snapshot=result.snapshot,
        freshness=Freshness(taken_at=result.snapshot.taken_at),
        refresh=result,
    )


def known_user(store: SnapshotStore, *, email: str | None = None) -> Identity | None:
    """Whose snapshot this is (the owner's, or the user with `email`), from the snapshots'
    headers alone: no accounts, teams or milestones are loaded."""
    if email is None:
        owner = _owner_id(store)
        return next((u for u in store.users() if u.user_id == owner), None)
    folded = email.strip().casefold()
    return next(
        (u for u in store.users() if u.email and u.email.strip().casefold() == folded), None
    )


def known_owner(store: SnapshotStore) -> Identity | None:
    """The owner as the snapshot last saw them: enough to answer while MSX is away."""
    return known_user(store)


async def identify_owner(gateway: MsxGateway, store: SnapshotStore) -> Identity:
    """Ask MSX who is signed in, and remember it as the owner."""
    me = await gateway.me()
    _set_owner(store, me.user_id)
    return me


# The owner's id is kept under no user (""): there is one owner per store.
def _owner_id(store: SnapshotStore) -> str | None:
    return store.get_state("", OWNER_KEY)


def _set_owner(store: SnapshotStore, user_id: str) -> None:
    store.set_state("", OWNER_KEY, user_id)
