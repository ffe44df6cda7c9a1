"""Who may use the bot, and whose book each person sees, from their Slack profile."""

from __future__ import annotations

import types

import pytest
from slack_sdk.errors import SlackApiError

from bot.domain import Identity
from bot.slack import access as access_module
from bot.slack.access import Access, Person

OWNER = Identity(user_id="u-avery", name="Avery Quinn", email="AveryQ@example.com")


class Profiles:
    """Stands in for AsyncWebClient.users_info: e-mails by Slack id, or an error."""

    def __init__(self, emails: dict[str, str | None]) -> None:
        self.emails = emails
        self.calls: list[str] = []

    async def users_info(self, *, user: str) -> dict:
        self.calls.append(user)
        if user not in self.emails:
            raise SlackApiError("user_not_found", {"ok": False, "error": "user_not_found"})
        email = self.emails[user]
        return {"ok": True, "user": {"id": user, "profile": {"email": email} if email else {}}}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    # Only the access module's clock: the event loop keeps the real one.
    monkeypatch.setattr(access_module, "time", types.SimpleNamespace(monotonic=clock.monotonic))
    return clock


def make(profiles: Profiles, **kwargs: object) -> Access:
    return Access(profiles, owner=OWNER, **kwargs)  # type: ignore[arg-type]


async def test_the_owner_is_known_by_their_email_in_any_case() -> None:
    access = make(Profiles({"UAVERY": "averyq@EXAMPLE.com"}))
    assert await access.person("UAVERY") == Person(
        slack_id="UAVERY", email="averyq@EXAMPLE.com", is_owner=True, book_email=None
    )
    assert access.owner_name == "Avery Quinn"


async def test_someone_allowed_by_id_sees_their_own_book() -> None:
    access = make(Profiles({"UJORDAN": "jordan@example.com"}), allowed=("UJORDAN",))
    assert await access.person("UJORDAN") == Person(
        slack_id="UJORDAN",
        email="jordan@example.com",
        is_owner=False,
        book_email="jordan@example.com",
    )


async def test_someone_allowed_by_email_in_any_case_sees_their_own_book() -> None:
    access = make(Profiles({"UMEI": "Mei@Example.com"}), allowed=("mei@example.COM",))
    person = await access.person("UMEI")
    assert person == Person(
        slack_id="UMEI", email="Mei@Example.com", is_owner=False, book_email="Mei@Example.com"
    )


async def test_an_id_and_an_email_are_not_mixed_up() -> None:
    profiles = Profiles({"UJORDAN": "jordan@example.com", "UMEI": "mei@example.com"})
    # An e-mail does not allow a Slack id of the same text, nor an id an e-mail.
    access = make(profiles, allowed=("jordan@example.com", "UMEI"))
    assert (await access.person("UJORDAN")) is not None
    assert (await access.person("UMEI")) is not None
    only_email = make(profiles, allowed=("UJORDAN@example.com",))
    assert await only_email.person("UJORDAN") is None


async def test_with_a_shared_book_everyone_allowed_sees_the_owners() -> None:
    access = make(
        Profiles({"UJORDAN": "jordan@example.com"}), allowed=("UJORDAN",), shared_book=True
    )
    person = await access.person("UJORDAN")
    assert person is not None and not person.is_owner
    assert person.book_email is None


async def test_nobody_else_gets_in() -> None:
    profiles = Profiles({"UMALLORY": "mallory@example.com", "UNOMAIL": None})
    access = make(profiles, allowed=("UJORDAN", "jordan@example.com"))
    assert await access.person("UMALLORY") is None
    assert await access.person("UNOMAIL") is None
    assert await access.person("UGONE") is None  # users.info fails: no e-mail, no entry


async def test_without_an_owner_email_nobody_is_the_owner() -> None:
    owner = Identity(user_id="u-avery", name="Avery Quinn", email=None)
    profiles = Profiles({"UNOMAIL": None, "UJORDAN": "jordan@example.com"})
    access = Access(profiles, owner=owner, allowed=("UJORDAN",))  # type: ignore[arg-type]
    assert await access.person("UNOMAIL") is None
    person = await access.person("UJORDAN")
    assert person is not None and not person.is_owner
    assert Access(profiles).owner_name is None  # type: ignore[arg-type]


async def test_a_profile_is_asked_once_per_ten_minutes(clock: Clock) -> None:
    profiles = Profiles({"UJORDAN": "jordan@example.com"})
    access = make(profiles, allowed=("jordan@example.com",))
    assert await access.person("UJORDAN") is not None
    clock.now += 599
    profiles.emails["UJORDAN"] = "jordan@elsewhere.example"
    assert await access.person("UJORDAN") is not None  # still the cached e-mail
    assert profiles.calls == ["UJORDAN"]
    clock.now += 1  # ten minutes since the first look: asked again, and the change counts
    assert await access.person("UJORDAN") is None
    assert profiles.calls == ["UJORDAN", "UJORDAN"]


async def test_a_failed_lookup_is_not_cached(clock: Clock) -> None:
    profiles = Profiles({})
    access = make(profiles, allowed=("jordan@example.com",))
    assert await access.person("UJORDAN") is None
    profiles.emails["UJORDAN"] = "jordan@example.com"  # Slack answers again
    assert await access.person("UJORDAN") is not None
    assert profiles.calls == ["UJORDAN", "UJORDAN"]
