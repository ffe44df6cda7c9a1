"""`/msx team <account>`: who is on the account, by role, with Slack mentions when known."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence

from bot.domain import Account, Freshness, Role, TeamMember, fold
from bot.slack.blocks._layout import (
    MAX_BLOCKS,
    NAV_BLOCKS_MAX,
    SectionPacker,
    clamp_page,
    context,
    header,
    nav_blocks,
    section,
)
from bot.slack.blocks.ids import VIEW_TEAM
from bot.slack.blocks.text import escape_within, freshness_context

# header, account details, freshness, plus the nav
_FIXED_BLOCKS = 3 + NAV_BLOCKS_MAX
# Only well-formed ids become mentions: the text goes into mrkdwn unescaped.
_SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,30}$")

ROLE_HEADINGS: dict[Role, str] = {role: f"{role.label}s" for role in Role}


def _person(member: TeamMember, mentions: Mapping[str, str]) -> str:
    user_id = mentions.get(member.email.strip().lower()) if member.email else None
    who = (
        f"<@{user_id}>"
        if user_id and _SLACK_USER_ID.match(user_id)
        else escape_within(member.name, 120)
    )
    if member.title:
        return f"• {who} — _{escape_within(member.title, 120)}_"
    return f"• {who}"


def account_details(account: Account) -> str:
    parts = []
    if account.tpid:
        parts.append(f"TPID {escape_within(account.tpid, 30)}")
    if account.territory:
        parts.append(escape_within(account.territory, 80))
    if account.my_roles:
        parts.append("you: " + ", ".join(role.label for role in account.my_roles))
    return " · ".join(parts) or "No TPID or territory on record"


def team_pages(members: Sequence[TeamMember], mentions: Mapping[str, str]) -> list[list[str]]:
    by_role: dict[Role, list[TeamMember]] = {role: [] for role in Role}
    seen: set[tuple[str, Role]] = set()
    for member in members:
        # MSX lists a person once per assignment record; show each once per role.
        if (member.user_id, member.role) in seen:
            continue
        seen.add((member.user_id, member.role))
        by_role[member.role].append(member)
    # Keys should already be lower-case; folding again costs nothing and forgives a caller.
    lowered = {email.strip().lower(): uid for email, uid in mentions.items()}
    packer = SectionPacker(max_sections=MAX_BLOCKS - _FIXED_BLOCKS)
    for role in Role:
        people = sorted(by_role[role], key=lambda m: (fold(m.name), m.user_id))
        packer.group(ROLE_HEADINGS[role], [_person(m, lowered) for m in people])
    return packer.finish()


def team_blocks(
    account: Account,
    members: Sequence[TeamMember],
    mentions: Mapping[str, str],
    freshness: Freshness,
    now: dt.datetime,
    page: int = 0,
) -> list[dict]:
    """The account team by role. `mentions` maps lower-case email -> Slack user id."""
    pages = team_pages(members, mentions)
    page = clamp_page(page, len(pages))
    blocks = [
        header(f"Team: {account.name}"),
        context(account_details(account)),
        freshness_context(freshness, now),
    ]
    blocks.extend(section(text) for text in pages[page])
    blocks.extend(nav_blocks(VIEW_TEAM, account.id, page, len(pages)))
    return blocks
