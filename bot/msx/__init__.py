"""The MSX gateway: Dataverse Web API access for the bot (auth, queries, paging, retries)."""

from bot.msx.auth import AzureCliToken, StaticToken, TokenProvider, token_provider_from_settings
from bot.msx.client import MsxClient, MsxEvent, RetryPolicy
from bot.msx.collection import Collection
from bot.msx.discovery import MyAccounts
from bot.msx.errors import (
    AuthProblem,
    AzureCliMissing,
    AzureCliNotSignedIn,
    MsxError,
    MsxProblem,
    MsxUnreachable,
    OffVpn,
    Throttled,
    TokenRejected,
)
from bot.msx.gateway import MsxGateway
from bot.msx.mapping import Assignment
from bot.msx.teams import Teams

__all__ = [
    "Assignment",
    "AuthProblem",
    "AzureCliMissing",
    "AzureCliNotSignedIn",
    "AzureCliToken",
    "Collection",
    "MsxClient",
    "MsxError",
    "MsxEvent",
    "MsxGateway",
    "MsxProblem",
    "MsxUnreachable",
    "MyAccounts",
    "OffVpn",
    "RetryPolicy",
    "StaticToken",
    "Teams",
    "Throttled",
    "TokenProvider",
    "TokenRejected",
    "token_provider_from_settings",
]
