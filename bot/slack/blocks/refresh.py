"""`/msx refresh`: progress while it runs, then what changed."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain import NEEDS_ATTENTION, Snapshot, SnapshotDiff, StatusChange, fold
from bot.slack.blocks._layout import SECTION_TEXT_MAX, context, section
from bot.slack.blocks.milestones import canonical_status, status_label
from bot.slack.blocks.text import escape_within

BAR_CELLS = 10
MAX_LISTED = 20  # per list; the rest is "and N more"


def progress_bar(done: int, total: int) -> str:
    """▰▰▰▱▱▱▱▱▱▱ for done/total, clamped so odd counts cannot break it."""
    filled = 0 if total <= 0 else round(BAR_CELLS * max(0, min(done, total)) / total)
    return "▰" * filled + "▱" * (BAR_CELLS - filled)


def refresh_progress_blocks(stage: str, done: int, total: int | None) -> list[dict]:
    """A line like `Refreshing… teams 12/40 ▰▰▰▱▱▱▱▱▱▱`; "(12 so far)" without a total."""
    stage_text = escape_within(stage, 100)
    progress = f"{done}/{total}  {progress_bar(done, total)}" if total else f"({done} so far)"
    text = f":arrows_counterclockwise: Refreshing… {stage_text} {progress}"
    return [section(text)]


def _capped(title: str, items: Sequence[str], *, as_lines: bool) -> str:
    """Title plus as many items as fit MAX_LISTED and the section limit, then "and N more".

    `as_lines` puts each item on its own line; otherwise they follow the title, comma-separated.
    """
    first, sep = ("\n", "\n") if as_lines else (" ", ", ")
    text, shown = title, 0
    for item in items[:MAX_LISTED]:
        joiner = sep if shown else first
        if len(text) + len(joiner) + len(item) > SECTION_TEXT_MAX - 40:  # room for the tail
            break
        text += joiner + item
        shown += 1
    rest = len(items) - shown
    if rest:
        text += f"\n_and {rest} more_" if as_lines else f" and {rest} more"
    return text


def _change_line(change: StatusChange, snapshot: Snapshot) -> str:
    milestone = change.milestone
    account = snapshot.account(milestone.account_id)
    where = f" ({escape_within(account.name, 80)})" if account else ""
    old = escape_within(canonical_status(change.old_status) or "no status", 40)
    name = escape_within(milestone.name, 150)
    return f"• *{name}*{where}: {old} → {status_label(change.new_status)}"


def _change_key(change: StatusChange) -> tuple[bool, str]:
    # What just started needing attention is what a seller wants to see first.
    return (canonical_status(change.new_status) not in NEEDS_ATTENTION, fold(change.milestone.name))


def refresh_done_blocks(
    diff: SnapshotDiff,
    snapshot: Snapshot,
    elapsed_s: float,
    gaps: Sequence[str] | None = None,
) -> list[dict]:
    """What a refresh changed; `gaps` defaults to `snapshot.gaps`."""
    gaps = snapshot.gaps if gaps is None else gaps
    summary = (
        f":white_check_mark: Refreshed in {elapsed_s:.1f} s: {len(snapshot.accounts)} accounts, "
        f"{len(snapshot.milestones)} milestones."
    )
    blocks = [section(summary)]
    if diff.is_empty:
        blocks.append(context("Nothing changed."))
    if diff.accounts_added:
        names = [f"*{escape_within(a.name, 100)}*" for a in diff.accounts_added]
        blocks.append(section(_capped(f"*New accounts ({len(names)}):*", names, as_lines=False)))
    if diff.accounts_removed:
        names = [f"*{escape_within(a.name, 100)}*" for a in diff.accounts_removed]
        blocks.append(
            section(_capped(f"*No longer in your book ({len(names)}):*", names, as_lines=False))
        )
    if diff.status_changes:
        changes = sorted(diff.status_changes, key=_change_key)
        lines = [_change_line(c, snapshot) for c in changes]
        blocks.append(section(_capped(f"*Status changes ({len(lines)}):*", lines, as_lines=True)))
    if gaps:
        listed = "; ".join(escape_within(g, 300) for g in gaps[:5])
        more = f" (and {len(gaps) - 5} more)" if len(gaps) > 5 else ""
        blocks.append(context(f":warning: Not fetched whole: {listed}{more}"))
    return blocks
