"""A list of results that remembers whether MSX may have held some back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")
U = TypeVar("U")


@dataclass(frozen=True)
class Collection(Generic[T]):
    """`items`, and `may_be_truncated` when the last page was full with no nextLink or
    `$top` was reached: MSX may have more rows than it gave."""

    items: list[T] = field(default_factory=list)
    may_be_truncated: bool = False

    def map(self, fn: Callable[[T], U]) -> Collection[U]:
        return Collection([fn(item) for item in self.items], self.may_be_truncated)

    def __len__(self) -> int:
        return len(self.items)
