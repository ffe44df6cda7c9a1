"""Bearer tokens for MSX: a static one from the environment, or the Azure CLI's.

Tokens are never logged and never put into exceptions or reprs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import SecretStr

from bot.config import Settings
from bot.msx.errors import AuthProblem, AzureCliMissing, AzureCliNotSignedIn

if TYPE_CHECKING:
    from azure.core.credentials import AccessToken

log = logging.getLogger(__name__)

# Refresh this long before expiry, as the guide does, so a token never dies mid-refresh.
EXPIRY_MARGIN_SECONDS = 300.0


class TokenProvider(Protocol):
    # A declaration, never called: mutating it would test nothing.
    async def token(self, *, force_refresh: bool = False) -> str: ...  # pragma: no mutate


class StaticToken:
    """A token handed in (MSX_ACCESS_TOKEN); a forced refresh cannot produce a new one."""

    def __init__(self, secret: str | SecretStr) -> None:
        self._secret = secret if isinstance(secret, SecretStr) else SecretStr(secret)

    # There is nothing to refresh: force_refresh, whatever its default, changes nothing.
    async def token(self, *, force_refresh: bool = False) -> str:  # pragma: no mutate
        return self._secret.get_secret_value()


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
        self.resource = resource  # Settings strip its trailing slash
        self.tenant_id = tenant_id
        self._credential = credential
        self._clock = clock
        self._margin = margin_seconds
        self._lock = asyncio.Lock()
        self._access: AccessToken | None = None

    @property
    def scope(self) -> str:
        return f"{self.resource}/.default"

    def _fresh_token(self) -> str | None:
        access = self._access
        if access is not None and self._clock() < access.expires_on - self._margin:
            return access.token
        return None

    async def token(self, *, force_refresh: bool = False) -> str:
        seen = self._access
        if not force_refresh and (fresh := self._fresh_token()):
            return fresh
        async with self._lock:
            # Someone refreshed while we waited for the lock: their token is the new one.
            if self._access is not seen and (fresh := self._fresh_token()):
                return fresh
            self._access = await self._fetch()
            return self._access.token

    async def _fetch(self) -> AccessToken:
        credential = self._credential
        if credential is None:
            from azure.identity.aio import AzureCliCredential

            credential = self._credential = AzureCliCredential(tenant_id=self.tenant_id)
        try:
            access: AccessToken = await credential.get_token(self.scope)
        except Exception as exc:
            raise self._translate(exc) from exc
        log.debug("Azure CLI token expires at %s", access.expires_on)  # pragma: no mutate
        return access

    def _translate(self, exc: Exception) -> AuthProblem:
        # Messages from azure/identity/aio/_credentials/azure_cli.py (CLI_NOT_FOUND,
        # NOT_LOGGED_IN, "Failed to execute", "Timed out waiting for Azure CLI", or the CLI's
        # own stderr); they carry no tokens. CredentialUnavailableError is a
        # ClientAuthenticationError.
        from azure.core.exceptions import ClientAuthenticationError
        from azure.identity import CredentialUnavailableError

        text = str(exc).lower()
        if isinstance(exc, CredentialUnavailableError) and (
            "not found" in text or "failed to execute" in text
        ):
            return AzureCliMissing(self.tenant_id)
        if isinstance(exc, ClientAuthenticationError):
            # An AADSTS error (expired refresh token, MFA required...) also needs a new login.
            if "az login" in text or "aadsts" in text:
                return AzureCliNotSignedIn(self.tenant_id)
            if "timed out" in text:
                return AuthProblem(
                    "The Azure CLI did not answer in time: check the VPN, run "
                    f"`az account get-access-token --resource {self.resource}`, then retry"
                )
        log.warning("Azure CLI token request failed: %s", type(exc).__name__)  # pragma: no mutate
        return AuthProblem(
            "The Azure CLI could not get an MSX token: run "
            f"`az login --tenant {self.tenant_id}`, then retry"
        )

    async def aclose(self) -> None:
        """Nothing to release: the CLI credential runs `az` per token and keeps nothing open."""


def token_provider_from_settings(settings: Settings) -> TokenProvider:
    """MSX_ACCESS_TOKEN when set, else the Azure CLI for MSX_BASE_URL in MSX_TENANT_ID."""
    if settings.msx_access_token is not None and settings.msx_access_token.get_secret_value():
        return StaticToken(settings.msx_access_token)
    return AzureCliToken(settings.msx_base_url, settings.msx_tenant_id)
