"""The URL policy alone: what a webhook may point at, with and without private ranges."""

from __future__ import annotations

import pytest

from supportflow.errors import InvalidInput
from supportflow.webhooks.urls import check_url


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8080/hooks", "http://localhost/x", "https://10.0.0.1/x", "http://[::1]/"],
)
async def test_loopback_and_private_are_allowed_by_default(url: str) -> None:
    assert await check_url(url, refuse_private=False) == url


@pytest.mark.parametrize(
    "url", ["https://93.184.216.34/hooks", "http://8.8.8.8:8080/x", "https://[2606:4700::1111]/"]
)
async def test_public_addresses_pass_when_private_is_refused(url: str) -> None:
    # IP literals: nothing is resolved or contacted.
    assert await check_url(url, refuse_private=True) == url


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.2/x",
        "http://10.0.0.1/x",
        "http://[fd00::1]/x",
        "http://[fe80::1]/x",
        "http://224.0.0.1/x",
        "http://198.18.0.1/x",
        "http://localhost:5000/x",
    ],
)
async def test_private_and_reserved_are_refused_when_asked(url: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        await check_url(url, refuse_private=True)
    assert refused.value.code == "webhook_url_refused"


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "gopher://127.0.0.1/", "http:///x", "http://a:b@127.0.0.1/"]
)
async def test_other_schemes_and_credentials_are_refused(url: str) -> None:
    with pytest.raises(InvalidInput):
        await check_url(url, refuse_private=False)


@pytest.mark.parametrize("url", ["http://[cA825]/x", "http://[::1/x", "http://a:b:c/"])
async def test_unparseable_urls_are_refused_not_crashed(url: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        await check_url(url, refuse_private=False)
    assert refused.value.code == "webhook_url_refused"
