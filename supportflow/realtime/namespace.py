"""The Socket.IO "/" namespace: authenticate, validate, hand to the room's mailbox."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import socketio

from supportflow.auth import Principal, Role
from supportflow.errors import SupportflowError
from supportflow.services import Services

log = logging.getLogger(__name__)

AGENTS_ROOM = "agents"  # every connected agent socket, for queue updates


class ChatNamespace(socketio.AsyncNamespace):
    def __init__(self, namespace: str, services: Callable[[], Services]) -> None:
        super().__init__(namespace)
        self._services = services

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        """Accept only `auth={"token": ...}` with a valid token; refuse anything else."""
        token = auth.get("token") if isinstance(auth, dict) else None
        try:
            principal = await self._services().authenticator.authenticate(
                token if isinstance(token, str) else None
            )
        except SupportflowError as error:
            raise socketio.exceptions.ConnectionRefusedError(error.to_payload()["error"]) from None
        await self.save_session(sid, {"principal": principal})
        if principal.role is Role.AGENT:
            await self.enter_room(sid, AGENTS_ROOM)
        log.info("socket connected", extra={"sid": sid, "role": principal.role.value})

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        log.info("socket disconnected", extra={"sid": sid})

    async def principal(self, sid: str) -> Principal:
        session = await self.get_session(sid)
        found: Principal = session["principal"]
        return found
