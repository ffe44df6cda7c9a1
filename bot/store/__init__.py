"""The SQLite store: per-user snapshots (replaced atomically), refresh failures, small state."""

from bot.store.errors import StoreError
from bot.store.schema import SCHEMA_VERSION
from bot.store.snapshots import SnapshotStore

__all__ = ["SCHEMA_VERSION", "SnapshotStore", "StoreError"]
