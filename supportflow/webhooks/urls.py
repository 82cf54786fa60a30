"""Which URLs a webhook may point at.

http and https only, no credentials in the URL. With `refuse_private` (production), every
address the host resolves to must be a global one: loopback, private, link-local (cloud
metadata), shared and reserved ranges are refused, so a registered URL cannot be used to
reach the internal network. The check runs when a webhook is registered and again before
each attempt, since what a name resolves to can change in between. Before an attempt the
request is then sent to the very address that was checked (`checked_target`): were the
HTTP client to resolve the name again, a DNS answer changed in between (rebinding) would
take it to an address nobody checked.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import SplitResult, urlsplit

import httpx

from supportflow.errors import InvalidInput

MAX_URL_CHARS = 2000
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Target:
    """Where one webhook request goes: `url` with its host replaced by the checked address,
    and the original host as the Host header and (https) the TLS server name, so the
    receiver and its certificate are still checked against the name."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    extensions: dict[str, Any] = field(default_factory=dict)


async def check_url(url: str, refuse_private: bool) -> str:
    """`url` if a webhook may post to it; InvalidInput (`webhook_url_refused`) otherwise."""
    parts, port = _checked_parts(url)
    if refuse_private:
        await _allowed_addresses(url, parts.hostname or "", port)
    return url


async def checked_target(url: str, refuse_private: bool) -> Target:
    """`check_url`, resolving the host once: the request is pinned to an approved address."""
    parts, port = _checked_parts(url)
    host = parts.hostname or ""
    addresses = await _allowed_addresses(url, host, port) if refuse_private else None
    if _is_literal(host):
        return Target(url)
    address = (addresses or await _addresses(host, port))[0]
    original = httpx.URL(url)
    extensions = (
        {"sni_hostname": original.raw_host.decode("ascii")} if original.scheme == "https" else {}
    )
    return Target(
        str(original.copy_with(host=str(address))),
        {"Host": original.netloc.decode("ascii")},
        extensions,
    )


def _checked_parts(url: str) -> tuple[SplitResult, int]:
    """The URL's parts and port, if its form is one a webhook may use."""
    try:
        parts = urlsplit(url)
    except ValueError:  # a bracketed host that is not an IP address, for one
        raise _refused(url, "it is not a URL a request can be sent to") from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise _refused(url, "it must be an http:// or https:// URL with a host")
    if parts.username is not None or parts.password is not None:
        raise _refused(url, "credentials do not belong in the URL")
    try:
        port = parts.port
        httpx.URL(url)  # what the sender will post to must parse (IDNA hosts included)
    except (ValueError, httpx.InvalidURL):
        raise _refused(url, "it is not a URL a request can be sent to") from None
    return parts, port or (443 if parts.scheme == "https" else 80)


async def _allowed_addresses(url: str, host: str, port: int) -> list[_Address]:
    """Every address `host` resolves to, if all are public; InvalidInput otherwise."""
    addresses = await _addresses(host, port)
    for address in addresses:
        if not _is_public(address):
            raise _refused(url, f"it reaches {address}, a private or reserved address")
    return addresses


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _is_public(address: _Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


async def _addresses(host: str, port: int) -> list[_Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        raise InvalidInput(
            f"url: the host {host!r} does not resolve", "webhook_url_unresolvable"
        ) from None
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in found]


def _refused(url: str, why: str) -> InvalidInput:
    return InvalidInput(f"url: {url[:200]!r} is refused: {why}", "webhook_url_refused")
