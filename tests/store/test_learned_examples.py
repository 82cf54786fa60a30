"""Learned examples on both engines: one per chat and article, edited, removed, outliving
their chat, and a mark that moves on every change."""

from __future__ import annotations

import asyncio

import pytest

from supportflow.errors import NotFound
from supportflow.store import RoomState, Store, utc_in
from supportflow.store import learned_examples as learned_examples_sql


async def test_a_chat_confirms_an_article_once_and_refreshes_it(store: Store) -> None:
    session = await store.create_session("alice", token_digest="d-alice")
    agent = await store.create_agent("ann", "Ann", "d-ann", 3, True)
    first = await store.confirm_example(
        "network-no-signal", "no bars since noon", agent.agent_id, "pick", session.session_id
    )
    assert (first.article_id, first.session_id, first.origin) == (
        "network-no-signal",
        session.session_id,
        "pick",
    )
    assert (first.confirmed_by, first.confirmed_by_name) == ("ann", "Ann")
    assert first.created_at == first.updated_at

    again = await store.confirm_example(
        "network-no-signal", "no bars since noon, still", "ann", "link", session.session_id
    )
    assert again.example_id == first.example_id
    assert (again.text, again.origin, again.created_at) == (
        "no bars since noon, still",
        "link",
        first.created_at,
    )
    other = await store.confirm_example(
        "network-checking-an-outage", "no bars since noon", "ann", "pick", session.session_id
    )
    assert other.example_id != first.example_id
    listed = await store.learned_examples()
    assert {e.example_id for e in listed} == {first.example_id, other.example_id}
    by_article = await store.learned_examples("network-no-signal")
    assert [e.example_id for e in by_article] == [first.example_id]


async def test_concurrent_confirmations_of_one_chat_make_one_row(store: Store) -> None:
    session = await store.create_session("bob", token_digest="d-bob")
    made = await asyncio.gather(
        *(
            store.confirm_example(
                "plans-mobile-hotspot", f"hotspot {n}", "admin", "pick", session.session_id
            )
            for n in range(4)
        )
    )
    assert len({record.example_id for record in made}) == 1
    assert len(await store.learned_examples()) == 1


async def test_examples_are_edited_removed_and_outlive_their_chat(store: Store) -> None:
    session = await store.create_session("carol", token_digest="d-carol")
    example = await store.confirm_example(
        "calls-wifi-calling", "calls drop at home", "admin", "admin", session.session_id
    )
    mark = await store.learned_examples_mark()
    assert mark[0] == 1

    edited = await store.update_learned_example(example.example_id, "admin", "calls drop", None)
    assert (edited.text, edited.article_id) == ("calls drop", "calls-wifi-calling")
    moved = await store.update_learned_example(
        example.example_id, "admin", None, "network-no-signal"
    )
    assert (moved.text, moved.article_id) == ("calls drop", "network-no-signal")
    assert await store.learned_examples_mark() != mark

    await store.set_room_state(session.room_id, RoomState.CLOSED, (RoomState.BOT_ACTIVE,))
    assert await store.delete_closed_sessions(utc_in(60)) == 1
    kept = await store.learned_example(example.example_id)
    assert kept.session_id is None and kept.text == "calls drop"

    edited_mark = await store.learned_examples_mark()
    await store.delete_learned_example(example.example_id)
    emptied = await store.learned_examples_mark()
    assert emptied[0] == 0 and emptied != edited_mark
    for missing in (
        store.delete_learned_example(example.example_id),
        store.learned_example(example.example_id),
        store.update_learned_example(example.example_id, "admin", "x", None),
    ):
        with pytest.raises(NotFound) as refused:
            await missing
        assert refused.value.code == "learned_example_not_found"


async def test_an_unknown_origin_is_refused_before_any_write(store: Store) -> None:
    with pytest.raises(ValueError):
        await store.confirm_example("a", "b", "admin", "guess")
    assert await store.learned_examples() == []


async def test_an_agent_who_handled_a_chat_is_known_after_it_left(store: Store) -> None:
    session = await store.create_session("dan", token_digest="d-dan")
    await store.create_agent("bea", "Bea", "d-bea", 3, True)
    await store.create_agent("cal", "Cal", "d-cal", 3, True)
    assert not await store.handled_chat(session.session_id, "bea")
    await store.open_escalation(session.room_id, ("human_requested",), (RoomState.BOT_ACTIVE,))
    await store.claim_room(session.room_id, "bea", (RoomState.ESCALATING,))
    await store.set_room_state(session.room_id, RoomState.CLOSED, (RoomState.AGENT_ASSIGNED,))
    assert await store.handled_chat(session.session_id, "bea")
    assert not await store.handled_chat(session.session_id, "cal")


async def test_the_mark_moves_on_writes_in_one_millisecond(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every write stamped with the same time: a fast node's writes, or one whose clock is
    # behind. The latest `updated_at` would not move; each write must still move the mark.
    monkeypatch.setattr(learned_examples_sql, "utc_now", lambda: "2026-12-07T12:00:00.000Z")
    session = await store.create_session("erin", token_digest="d-erin")
    example = await store.confirm_example(
        "calls-wifi-calling", "calls drop at home", "admin", "admin", session.session_id
    )
    marks = [await store.learned_examples_mark()]
    await store.update_learned_example(example.example_id, "admin", "calls drop", None)
    marks.append(await store.learned_examples_mark())
    await store.confirm_example(
        "calls-wifi-calling", "calls drop at home again", "admin", "admin", session.session_id
    )
    marks.append(await store.learned_examples_mark())
    await store.delete_learned_example(example.example_id)
    marks.append(await store.learned_examples_mark())
    assert len(set(marks)) == len(marks), marks
    with pytest.raises(NotFound):
        await store.delete_learned_example(example.example_id)
    assert await store.learned_examples_mark() == marks[-1]  # a refused write is no change
