"""Which URLs a webhook may point at.

http and https only, no credentials in the URL. With `refuse_private` (production), every
address the host resolves to must be a global one: loopback, private, link-local (cloud
metadata), shared and reserved ranges are refused, so a registered URL cannot be used to
reach the internal network. The check runs when a webhook is registered and again before
each attempt, since what a name resolves to can change in between.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

import httpx

from supportflow.errors import InvalidInput

MAX_URL_CHARS = 2000
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


async def check_url(url: str, refuse_private: bool) -> str:
    """`url` if a webhook may post to it; InvalidInput (`webhook_url_refused`) otherwise."""
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
    if refuse_private:
        for address in await _addresses(parts.hostname, port or 443):
            if not _is_public(address):
                raise _refused(url, f"it reaches {address}, a private or reserved address")
    return url


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
