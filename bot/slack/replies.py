"""What the bot says for each view of a book: blocks plus the notification text."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.slack import blocks as bk
from bot.slack.directory import SlackDirectory
from bot.workflows.book import Book
from bot.workflows.lookup import find_account


@dataclass(frozen=True)
class Reply:
    # The notification / fallback text Slack wants beside blocks. Slack parses it as
    # mrkdwn, so names and user input in it are escaped like the blocks.
    text: str
    blocks: list[dict[str, Any]]


Send = Callable[[Reply], Awaitable[None]]


def sender(respond: AsyncRespond) -> Send:
    """Post a reply through the interaction's response_url, ephemeral, replacing the last."""

    async def send(reply: Reply) -> None:
        await respond(
            text=reply.text,
            blocks=reply.blocks,
            response_type="ephemeral",
            replace_original=True,
        )

    return send


def error_reply(message: str) -> Reply:
    return Reply(text=message, blocks=bk.error_blocks(message))


async def render_view(
    book: Book,
    view: str,
    account_id: str | None,
    page: int,
    directory: SlackDirectory,
    now: dt.datetime,
) -> Reply:
    """One page of accounts, or of an account's team or milestones."""
    snap = book.snapshot
    if view == bk.VIEW_ACCOUNTS:
        return Reply(
            text=f"My accounts ({len(snap.accounts)})",
            blocks=bk.accounts_blocks(snap, book.freshness, now, page=page),
        )
    account = snap.account(account_id or "")
    if account is None:
        return error_reply("That account is no longer in your snapshot: try `/msx accounts`.")
    if view == bk.VIEW_TEAM:
        members = snap.team_of(account.id)
        mentions = await directory.mentions(m.email for m in members)
        return Reply(
            text=f"Team of {bk.escape(account.name)}",
            blocks=bk.team_blocks(account, members, mentions, book.freshness, now, page=page),
        )
    milestones = snap.milestones_of(account.id)
    return Reply(
        text=f"Milestones of {bk.escape(account.name)}",
        blocks=bk.milestones_blocks(account, milestones, book.freshness, now, page=page),
    )


async def render_query(
    book: Book, view: str, query: str, directory: SlackDirectory, now: dt.datetime
) -> Reply:
    """The team or milestones of the account a query names, or help to pick one."""
    if not query:
        return error_reply(f"Which account? Try `/msx {view} Contoso` (a name, TPID or id).")
    match = find_account(book.snapshot.accounts, query)
    if match.account is not None:
        return await render_view(book, view, match.account.id, 0, directory, now)
    if match.candidates:
        return Reply(
            text=f"Several accounts match {bk.escape(query)}",
            blocks=bk.pick_account_blocks(query, match.candidates, view),
        )
    return Reply(
        text=f"No account matches {bk.escape(query)}",
        blocks=bk.no_match_blocks(query, match.suggestions),
    )
