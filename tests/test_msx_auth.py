"""Token providers: the static token, the Azure CLI token's cache, and error mapping."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import CredentialUnavailableError
from msx_fixtures import SECRET
from pydantic import SecretStr

from bot.config import Settings
from bot.msx.auth import AzureCliToken, StaticToken, token_provider_from_settings
from bot.msx.errors import AuthProblem, AzureCliMissing, AzureCliNotSignedIn

RESOURCE = "https://msx.example.test"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


class FakeClock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class FakeCredential:
    """Stands in for azure.identity.aio.AzureCliCredential."""

    def __init__(self, clock: FakeClock, lifetime: float = 3600.0) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self.calls: list[tuple[str, ...]] = []
        self.error: Exception | None = None
        self.gate: asyncio.Event | None = None

    async def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        self.calls.append(scopes)
        if self.gate is not None:
            await self.gate.wait()
        if self.error is not None:
            raise self.error
        return AccessToken(f"{SECRET}-{len(self.calls)}", int(self.clock() + self.lifetime))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def cred(clock: FakeClock) -> FakeCredential:
    return FakeCredential(clock)


@pytest.fixture
def provider(cred: FakeCredential, clock: FakeClock) -> AzureCliToken:
    return AzureCliToken(RESOURCE, TENANT, cred, clock=clock)


async def test_static_token_is_static() -> None:
    static = StaticToken(SECRET)
    assert await static.token() == SECRET
    assert await static.token(force_refresh=True) == SECRET
    assert SECRET not in repr(static)
    assert await StaticToken(SecretStr(SECRET)).token() == SECRET


async def test_cli_token_asks_for_default_scope(
    provider: AzureCliToken, cred: FakeCredential
) -> None:
    assert await provider.token() == f"{SECRET}-1"
    assert cred.calls == [(f"{RESOURCE}/.default",)]
    assert SECRET not in repr(provider)


async def test_cli_token_cached_until_five_minutes_before_expiry(
    provider: AzureCliToken, cred: FakeCredential, clock: FakeClock
) -> None:
    start = clock.now
    await provider.token()
    clock.now = start + 3600 - 301
    assert await provider.token() == f"{SECRET}-1"
    assert len(cred.calls) == 1
    clock.now = start + 3600 - 300  # exactly five minutes left: refreshed
    assert await provider.token() == f"{SECRET}-2"
    assert len(cred.calls) == 2
    clock.now += 3600 - 299
    assert await provider.token() == f"{SECRET}-3"


async def test_force_refresh_fetches_anew(provider: AzureCliToken, cred: FakeCredential) -> None:
    await provider.token()
    assert await provider.token(force_refresh=True) == f"{SECRET}-2"
    assert await provider.token() == f"{SECRET}-2"
    assert len(cred.calls) == 2


async def test_concurrent_callers_share_one_refresh(
    provider: AzureCliToken, cred: FakeCredential
) -> None:
    cred.gate = asyncio.Event()
    tasks = [asyncio.create_task(provider.token()) for _ in range(8)]
    for _ in range(5):
        await asyncio.sleep(0)
    cred.gate.set()
    assert set(await asyncio.gather(*tasks)) == {f"{SECRET}-1"}
    assert len(cred.calls) == 1


async def test_concurrent_forced_refreshes_share_one_refresh(
    provider: AzureCliToken, cred: FakeCredential
) -> None:
    await provider.token()
    cred.gate = asyncio.Event()
    tasks = [asyncio.create_task(provider.token(force_refresh=True)) for _ in range(8)]
    for _ in range(5):
        await asyncio.sleep(0)
    cred.gate.set()
    assert set(await asyncio.gather(*tasks)) == {f"{SECRET}-2"}
    assert len(cred.calls) == 2


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (CredentialUnavailableError(message="Azure CLI not found on path"), AzureCliMissing),
        (CredentialUnavailableError(message="Failed to execute '/usr/bin/az'"), AzureCliMissing),
        (
            CredentialUnavailableError(message="Please run 'az login' to set up an account"),
            AzureCliNotSignedIn,
        ),
        (
            ClientAuthenticationError(
                message="AADSTS700082: The refresh token has expired due to inactivity."
            ),
            AzureCliNotSignedIn,
        ),
        (CredentialUnavailableError(message="Timed out waiting for Azure CLI"), AuthProblem),
        (ClientAuthenticationError(message="something else"), AuthProblem),
        (RuntimeError("boom"), AuthProblem),
    ],
)
async def test_cli_errors_are_mapped(
    provider: AzureCliToken,
    cred: FakeCredential,
    error: Exception,
    expected: type[AuthProblem],
) -> None:
    cred.error = error
    with pytest.raises(AuthProblem) as caught:
        await provider.token()
    assert type(caught.value) is expected
    assert "\n" not in caught.value.user_message
    assert SECRET not in str(caught.value)


async def test_cli_messages_name_the_tenant(provider: AzureCliToken, cred: FakeCredential) -> None:
    cred.error = CredentialUnavailableError(message="Azure CLI not found on path")
    with pytest.raises(AzureCliMissing) as missing:
        await provider.token()
    assert missing.value.user_message == (
        "The Azure CLI is not installed: install it from https://aka.ms/installazurecli, "
        f"then `az login --tenant {TENANT}`"
    )
    cred.error = CredentialUnavailableError(message="Please run 'az login' to set up an account")
    with pytest.raises(AzureCliNotSignedIn) as not_signed_in:
        await provider.token()
    assert not_signed_in.value.user_message == (
        f"The Azure CLI is not signed in: run `az login --tenant {TENANT}`"
    )


async def test_real_credential_without_az_on_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # azure-identity looks `az` up on PATH before running anything.
    monkeypatch.setenv("PATH", str(tmp_path))
    provider = AzureCliToken(RESOURCE, TENANT)
    with pytest.raises(AzureCliMissing):
        await provider.token()
    await provider.aclose()


async def test_the_real_credential_signs_in_to_our_tenant(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> None:
    import azure.identity.aio

    made: list[str] = []

    class Recording(FakeCredential):
        def __init__(self, tenant_id: str) -> None:
            super().__init__(clock)
            made.append(tenant_id)

    monkeypatch.setattr(azure.identity.aio, "AzureCliCredential", Recording)
    provider = AzureCliToken(RESOURCE, TENANT, clock=clock)
    assert await provider.token() == f"{SECRET}-1"
    assert await provider.token(force_refresh=True) == f"{SECRET}-2"
    assert made == [TENANT]  # one credential, for our tenant, kept


def test_the_scope_is_the_resource_without_its_trailing_slash() -> None:
    settings = Settings(msx_base_url=RESOURCE + "/", msx_tenant_id=TENANT, msx_access_token=None)
    provider = token_provider_from_settings(settings)
    assert isinstance(provider, AzureCliToken)
    assert provider.scope == f"{RESOURCE}/.default"


async def test_cli_messages_say_what_to_run(provider: AzureCliToken, cred: FakeCredential) -> None:
    cred.error = CredentialUnavailableError(message="Timed out waiting for Azure CLI")
    with pytest.raises(AuthProblem) as timed_out:
        await provider.token()
    assert timed_out.value.user_message == (
        "The Azure CLI did not answer in time: check the VPN, run "
        f"`az account get-access-token --resource {RESOURCE}`, then retry"
    )
    cred.error = ClientAuthenticationError(message="Unexpected output from Azure CLI: ''")
    with pytest.raises(AuthProblem) as other:
        await provider.token()
    assert other.value.user_message == (
        f"The Azure CLI could not get an MSX token: run `az login --tenant {TENANT}`, then retry"
    )


@pytest.mark.parametrize(
    "error",
    [
        # The CLI ran and said something was not found: it is installed.
        ClientAuthenticationError(message="ERROR: Subscription 'x' not found."),
        # Not the credential's error at all: its words prove nothing about the CLI.
        RuntimeError("Azure CLI not found on path"),
        RuntimeError("Please run 'az login' to set up an account"),
        ValueError("timed out"),
    ],
)
async def test_only_the_credentials_own_errors_are_read_for_a_cause(
    provider: AzureCliToken, cred: FakeCredential, error: Exception
) -> None:
    cred.error = error
    with pytest.raises(AuthProblem) as caught:
        await provider.token()
    assert type(caught.value) is AuthProblem
    assert caught.value.user_message.startswith("The Azure CLI could not get an MSX token")


def test_provider_from_settings() -> None:
    with_token = Settings(msx_access_token=SecretStr(SECRET), msx_base_url=RESOURCE + "/")
    static = token_provider_from_settings(with_token)
    assert isinstance(static, StaticToken)
    assert asyncio.run(static.token()) == SECRET
    # An empty MSX_ACCESS_TOKEN is no token: the Azure CLI is asked.
    empty = Settings(msx_access_token=SecretStr(""), msx_tenant_id=TENANT)
    assert isinstance(token_provider_from_settings(empty), AzureCliToken)
    cli = token_provider_from_settings(
        Settings(msx_base_url=RESOURCE, msx_tenant_id=TENANT, msx_access_token=None)
    )
    assert isinstance(cli, AzureCliToken)
    assert (cli.resource, cli.tenant_id) == (RESOURCE, TENANT)
