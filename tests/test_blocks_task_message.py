"""A message shortcut's pre-fill: subject and description from the message, as read."""

from __future__ import annotations

from bot.slack.listeners.task_entry import form_from_message, plain_text

LINK = "https://msx-double.slack.com/archives/C1/p1700000000000100"


def test_subject_is_the_first_line_and_the_description_ends_with_the_link() -> None:
    form = form_from_message("\n  Lakehouse workshop  \nWe drew the ingestion path.", LINK)
    assert form.subject == "Lakehouse workshop"
    assert form.description == (
        f"Lakehouse workshop  \nWe drew the ingestion path.\n\nFrom Slack: {LINK}"
    )


def test_limits_keep_the_link() -> None:
    form = form_from_message("s" * 500 + "\n" + "d" * 3000, LINK)
    assert len(form.subject) == 200
    assert len(form.description) <= 2000 and form.description.endswith(LINK)


def test_without_text_or_link() -> None:
    assert form_from_message("", None).subject == ""
    assert form_from_message("", LINK).description == f"From Slack: {LINK}"
    assert form_from_message("Notes", None).description == "Notes"


def test_slack_markup_reads_as_text() -> None:
    raw = (
        "Call with <@U123> &amp; <!here> about <https://contoso.example|Contoso> in "
        "<#C42|sales>, see <https://msx.example/x> &lt;draft&gt;"
    )
    assert plain_text(raw) == (
        "Call with @U123 & @here about Contoso in #sales, see https://msx.example/x <draft>"
    )
