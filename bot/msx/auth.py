"""Bearer tokens for MSX: a static one from the environment, or the Azure CLI's.

Tokens are never logged and never put into exceptions or reprs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from pydantic import SecretStr

from bot.config import Settings
from bot.msx.errors import AuthProblem, AzureCliMissing, AzureCliNotSignedIn

log = logging.getLogger(__name__)

# Refresh this long before expiry, as the guide does, so a token never dies mid-refresh.
EXPIRY_MARGIN_SECONDS = 300.0


@runtime_checkable
class TokenProvider(Protocol):
    async def token(self, *, force_refresh: bool = False) -> str: ...


class StaticToken:
    """A token handed in (MSX_ACCESS_TOKEN); a forced refresh cannot produce a new one."""

    def __init__(self, secret: str | SecretStr) -> None:
        self._secret = secret if isinstance(secret, SecretStr) else SecretStr(secret)

    async def token(self, *, force_refresh: bool = False) -> str:
        return self._secret.get_secret_value()

    def __repr__(self) -> str:
        return "StaticToken('**********')"


class _Credential(Protocol):
    async def get_token(self, *scopes: str, **kwargs: Any) -> Any: ...


class AzureCliToken:
    """Tokens from `az account get-access-token`, via azure-identity's async credential.

    Cached until `EXPIRY_MARGIN_SECONDS` before expiry. Concurrent callers share one
    refresh: a caller who asked for a forced refresh while another caller was already
    refreshing takes that fresh token instead of spawning a second `az` process.
    """

    def __init__(
        self,
        resource: str,
        tenant_id: str,
        credential: _Credential | None = None,
        *,
        clock: Callable[[], float] = time.time,
        margin_seconds: float = EXPIRY_MARGIN_SECONDS,
    ) -> None:
        self.resource = resource.rstrip("/")
        self.tenant_id = tenant_id
        self._credential = credential
        self._owns_credential = credential is None
        self._clock = clock
        self._margin = margin_seconds
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._expires_on = 0.0
        self._generation = 0  # bumped on every successful fetch
        self.fetches = 0  # CLI calls made, for diagnostics and tests

    @property
    def scope(self) -> str:
        return f"{self.resource}/.default"

    def _fresh(self) -> bool:
        return self._token is not None and self._clock() < self._expires_on - self._margin

    async def token(self, *, force_refresh: bool = False) -> str:
        if not force_refresh and self._fresh():
            assert self._token is not None
            return self._token
        seen = self._generation
        async with self._lock:
            # Someone refreshed while we waited for the lock: their token is the new one.
            if self._generation != seen and self._fresh():
                assert self._token is not None
                return self._token
            if not force_refresh and self._fresh():
                assert self._token is not None
                return self._token
            await self._fetch()
            assert self._token is not None
            return self._token

    async def _fetch(self) -> None:
        credential = self._credential
        if credential is None:
            from azure.identity.aio import AzureCliCredential

            credential = self._credential = AzureCliCredential(tenant_id=self.tenant_id)
        try:
            access = await credential.get_token(self.scope)
        except Exception as exc:
            raise self._translate(exc) from exc
        self.fetches += 1
        self._token = str(access.token)
        self._expires_on = float(access.expires_on)
        self._generation += 1
        log.debug("Got an MSX token from the Azure CLI, expiring at %s", int(self._expires_on))

    def _translate(self, exc: Exception) -> AuthProblem:
        # Messages from azure/identity/_credentials/azure_cli.py (CLI_NOT_FOUND, NOT_LOGGED_IN,
        # "Failed to execute", "Timed out waiting for Azure CLI"); they carry no tokens.
        from azure.core.exceptions import ClientAuthenticationError
        from azure.identity import CredentialUnavailableError

        text = str(getattr(exc, "message", None) or exc).lower()
        if isinstance(exc, CredentialUnavailableError):
            if any(s in text for s in ("not found", "not installed", "failed to execute")):
                return AzureCliMissing(self.tenant_id)
            if "az login" in text or "az account set" in text:
                return AzureCliNotSignedIn(self.tenant_id)
        if isinstance(exc, ClientAuthenticationError | CredentialUnavailableError):
            # An AADSTS error (expired refresh token, MFA required...) also needs a new login.
            if "az login" in text or "aadsts" in text:
                return AzureCliNotSignedIn(self.tenant_id)
            if "timed out" in text:
                return AuthProblem(
                    "The Azure CLI did not answer in time: check the VPN, run "
                    f"`az account get-access-token --resource {self.resource}`, then retry"
                )
        log.warning("Azure CLI token request failed: %s", type(exc).__name__)
        return AuthProblem(
            "The Azure CLI could not get an MSX token: run "
            f"`az login --tenant {self.tenant_id}`, then retry"
        )

    async def aclose(self) -> None:
        close = getattr(self._credential, "close", None)
        if self._owns_credential and close is not None:
            await close()

    def __repr__(self) -> str:
        return f"AzureCliToken(resource={self.resource!r}, tenant_id={self.tenant_id!r})"


def token_provider_from_settings(settings: Settings) -> TokenProvider:
    """MSX_ACCESS_TOKEN when set, else the Azure CLI for MSX_BASE_URL in MSX_TENANT_ID."""
    if settings.msx_access_token is not None and settings.msx_access_token.get_secret_value():
        return StaticToken(settings.msx_access_token)
    return AzureCliToken(settings.msx_base_url, settings.msx_tenant_id)
