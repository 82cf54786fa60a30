"""Who may do what: the one table of `Principal.may`, checked case by case."""

from __future__ import annotations

import pytest

from supportflow.auth import Action, Principal, Role
from supportflow.errors import Forbidden
from supportflow.store import SessionRecord

ADMIN = Principal(Role.ADMIN, "admin")
ANN = Principal(Role.AGENT, "ann")
REX = Principal(Role.AGENT, "rex")
ALICE = Principal(Role.USER, "alice", "s-alice", "r-alice")
BOB = Principal(Role.USER, "bob", "s-bob", "r-bob")


def _session(status: str, agent_id: str | None = None) -> SessionRecord:
    now = "2026-01-01T00:00:00.000000Z"
    return SessionRecord("s-alice", "r-alice", "alice", agent_id, status, 1, 1, now, now)


QUEUED = _session("escalating")
WITH_BOT = _session("bot_active")
HELD_BY_ANN = _session("agent_assigned", "ann")

A = Action
# (principal, session, actions allowed); every other action must be refused.
CASES = [
    (ADMIN, WITH_BOT, {A.READ, A.ESCALATE, A.CLOSE}),
    (ALICE, WITH_BOT, {A.READ, A.POST, A.ESCALATE, A.CLOSE}),
    (ALICE, HELD_BY_ANN, {A.READ, A.POST, A.ESCALATE, A.CLOSE}),
    (BOB, WITH_BOT, set()),
    (BOB, QUEUED, set()),
    (ANN, WITH_BOT, {A.POST, A.HANDLE, A.CLOSE}),  # the room refuses what Ann does not hold
    (ANN, QUEUED, {A.READ, A.POST, A.HANDLE, A.CLOSE}),
    (ANN, HELD_BY_ANN, set(Action)),
    (REX, HELD_BY_ANN, {A.POST, A.HANDLE, A.CLOSE}),
]


@pytest.mark.parametrize(("principal", "session", "allowed"), CASES)
def test_each_action_is_decided_by_one_rule(
    principal: Principal, session: SessionRecord, allowed: set[Action]
) -> None:
    for action in Action:
        assert principal.may(action, session) is (action in allowed), (principal.id, action)
        if action in allowed:
            assert principal.ensure(action, session) is session
        else:
            with pytest.raises(Forbidden):
                principal.ensure(action, session)


def test_a_customer_is_refused_other_rooms_before_any_lookup() -> None:
    assert ALICE.may_address(room_id="r-alice") and ALICE.may_address(session_id="s-alice")
    assert not ALICE.may_address(room_id="r-bob")
    assert not ALICE.may_address(session_id="s-bob")
    assert ALICE.refusal(Action.READ).code == "not_your_room"
    assert ANN.may_address(room_id="r-bob") and ADMIN.may_address(session_id="anything")


def test_availability_is_the_admins_or_the_agents_own() -> None:
    assert ADMIN.may_manage_agent("ann") and ANN.may_manage_agent("ann")
    assert not REX.may_manage_agent("ann") and not ALICE.may_manage_agent("alice")
