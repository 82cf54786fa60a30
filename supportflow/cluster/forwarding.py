"""`CommandBus`: a room command that arrives on the wrong node runs on its owner.

Every node subscribes to its own Redis channel `<prefix>:node:<node id>`. A node that
does not own a room publishes `Forwarded(command)` on the owner's channel; the owner runs
it in the room's actor (`RoomRegistry.submit_here`) and publishes the `Answer` (the result,
or the error) on the sender's channel. Errors travel as (class, message, code), so a
refusal on the owner (`already_claimed`, `room_closed`, ...) is the same `SupportflowError`
on the sender and the HTTP/ack error contract holds.

Messages are pickled: nodes of one version trust each other, and Redis must be private
to them (docs/scaling.md). Pickle keeps commands and results the frozen dataclasses they are.

Owner gone: `PUBLISH` answers how many subscribers got the message; 0 means the owner's
connection is closed (it died) and the sender learns at once (`OwnerGone`). An owner that
is alive to Redis but silent (paused) is noticed by its lease: while waiting, the sender
checks that the owner still holds the room; once it does not, `OwnerGone` too. Either way
the registry retries, and the next node to ask takes the room over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import pickle
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.asyncio.client import PubSub

from supportflow.errors import SupportflowError, Unavailable
from supportflow.rooms.commands import Command
from supportflow.rooms.placement import Elsewhere, OwnerGone

log = logging.getLogger(__name__)

R = TypeVar("R")
RunHere = Callable[[str, Command[Any]], Awaitable[Any]]
StillOwner = Callable[[str, str], Awaitable[bool]]  # (room id, node id)


@dataclass(frozen=True)
class Forwarded:
    request_id: str
    reply_to: str  # the sender's node id
    room_id: str
    command: Command[Any]


@dataclass(frozen=True)
class Failure:
    """An error, as raised on the owner: rebuilt as the same class on the sender."""

    kind: type[SupportflowError]
    message: str
    code: str

    def rebuild(self) -> SupportflowError:
        return self.kind(self.message, self.code)


@dataclass(frozen=True)
class Answer:
    request_id: str
    result: Any = None
    failure: Failure | None = None
    elsewhere: str | None = None  # the owner had moved on: this node id holds the room now


class CommandBus:
    def __init__(
        self,
        redis: Redis,
        prefix: str,
        node_id: str,
        still_owner: StillOwner,
        check_seconds: float,
        timeout_seconds: float,
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self.node_id = node_id
        self._still_owner = still_owner
        self._check_seconds = check_seconds
        self._timeout_seconds = timeout_seconds
        self._waiting: dict[str, asyncio.Future[Answer]] = {}
        self._running: set[asyncio.Task[None]] = set()
        self._pubsub: PubSub | None = None
        self._listener: asyncio.Task[None] | None = None
        self._run_here: RunHere | None = None

    async def start(self, run_here: RunHere) -> None:
        """Subscribe to this node's channel; forwarded commands go to `run_here`."""
        self._run_here = run_here
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        await self._pubsub.subscribe(self._channel(self.node_id))
        self._listener = asyncio.create_task(self._listen(), name="command-bus")

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.gather(self._listener, return_exceptions=True)
        for task in list(self._running):
            task.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
        for waiting in self._waiting.values():
            if not waiting.done():
                waiting.set_exception(OwnerGone("this node is stopping"))

    async def forward(self, node_id: str, room_id: str, command: Command[R]) -> R:
        """Run `command` on `node_id` (the room's owner) and return its answer."""
        request_id = uuid.uuid4().hex
        answer: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = answer
        try:
            letter = Forwarded(request_id, self.node_id, room_id, command)
            receivers = await self._redis.publish(self._channel(node_id), pickle.dumps(letter))
            if receivers == 0:
                raise OwnerGone(f"node {node_id} is not listening")
            got = await self._await_answer(answer, node_id, room_id)
        finally:
            self._waiting.pop(request_id, None)
        if got.elsewhere is not None:
            raise Elsewhere(got.elsewhere)
        if got.failure is not None:
            raise got.failure.rebuild()
        result: R = got.result
        return result

    async def _await_answer(
        self, answer: asyncio.Future[Answer], node_id: str, room_id: str
    ) -> Answer:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timeout_seconds
        while (left := deadline - loop.time()) > 0:
            done, _ = await asyncio.wait({answer}, timeout=min(self._check_seconds, left))
            if done:
                return answer.result()
            if not await self._still_owner(room_id, node_id):
                raise OwnerGone(f"node {node_id} no longer holds room {room_id}")
        raise Unavailable(
            f"room {room_id}'s node did not answer within {self._timeout_seconds:g} s",
            "cluster_unavailable",
        )

    async def _listen(self) -> None:
        assert self._pubsub is not None
        while True:
            try:
                async for message in self._pubsub.listen():
                    if message.get("type") == "message":
                        self._receive(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception:
                # Redis went away: python's redis client reconnects on the next listen;
                # resubscribe so forwarded commands find this node again.
                log.exception("command bus lost Redis; resubscribing")
                await asyncio.sleep(1.0)
                with contextlib.suppress(Exception):
                    await self._pubsub.subscribe(self._channel(self.node_id))

    def _receive(self, data: bytes) -> None:
        try:
            item = pickle.loads(data)
        except Exception:
            log.exception("undecodable command bus message")
            return
        if isinstance(item, Answer):
            waiting = self._waiting.get(item.request_id)
            if waiting is not None and not waiting.done():
                waiting.set_result(item)
        elif isinstance(item, Forwarded):
            # A task each: a room busy with a bot reply must not hold up other rooms' mail.
            task = asyncio.create_task(self._run(item), name=f"forwarded:{item.room_id}")
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def _run(self, letter: Forwarded) -> None:
        assert self._run_here is not None
        try:
            answer = Answer(letter.request_id, await self._run_here(letter.room_id, letter.command))
        except Elsewhere as moved:
            answer = Answer(letter.request_id, elsewhere=moved.node_id)
        except SupportflowError as error:
            failure = Failure(type(error), error.message, error.code)
            answer = Answer(letter.request_id, failure=failure)
        except Exception:
            log.exception("forwarded command failed", extra={"room_id": letter.room_id})
            failure = Failure(
                SupportflowError, "something went wrong on our side", "internal_error"
            )
            answer = Answer(letter.request_id, failure=failure)
        try:
            await self._redis.publish(self._channel(letter.reply_to), pickle.dumps(answer))
        except Exception:
            log.exception("could not answer a forwarded command", extra={"room_id": letter.room_id})

    def _channel(self, node_id: str) -> str:
        return f"{self._prefix}:node:{node_id}"
