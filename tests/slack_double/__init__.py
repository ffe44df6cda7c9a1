"""A strict local stand-in for Slack (Web API + Socket Mode) for end-to-end tests."""

from . import payloads
from .clock import Clock
from .server import SlackDouble
from .state import Ack, Call, Envelope, Message, SlackUser
from .validation import validate_blocks, validate_view

__all__ = [
    "Ack",
    "Call",
    "Clock",
    "Envelope",
    "Message",
    "SlackDouble",
    "SlackUser",
    "payloads",
    "validate_blocks",
    "validate_view",
]
