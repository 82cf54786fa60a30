"""Transcript search through each engine's full-text index, scoped to who is asking."""

from __future__ import annotations

from datetime import UTC, date, datetime

from supportflow.store import RoomState, Store, utc_in
from supportflow.store.search import SearchQuery, SearchScope, search_terms, snippet_parts

S = RoomState
ADMIN = SearchScope(everything=True)


async def closed_chat_of(store: Store, agent_id: str, customer: str) -> str:
    """A chat `agent_id` handled and closed, with a note; its room id."""
    await store.create_agent(agent_id, agent_id.title(), f"digest-{agent_id}", 3, True)
    room = (await store.create_session(customer, token_digest=f"d-{customer}")).room_id
    await store.append_message(room, "user", customer, "My roaming charges in Spain look wrong")
    await store.open_escalation(room, ("billing_dispute",), (S.BOT_ACTIVE,))
    await store.claim_room(room, agent_id, (S.ESCALATING,))
    await store.append_message(room, "agent", agent_id, "I refunded the roaming charges")
    await store.append_message(
        room, "agent", agent_id, "goodwill credit approved by supervisor", visibility="agents"
    )
    await store.set_room_state(room, S.CLOSED, (S.AGENT_ASSIGNED,))
    return room


def texts(hits: object) -> list[str]:
    return ["".join(part.text for part in hit.snippet) for hit in hits.hits]  # type: ignore[attr-defined]


async def test_a_phrase_in_a_closed_chat_is_found_with_its_match_marked(store: Store) -> None:
    room = await closed_chat_of(store, "ann", "alice")
    found = await store.search_conversations(ADMIN, SearchQuery(text='"roaming charges"'))
    assert [(hit.room_id, hit.seq) for hit in found.hits] == [(room, 2), (room, 1)]
    first = found.hits[0]
    assert (first.state, first.agent_id, first.user_id) == (S.CLOSED, None, "alice")
    marked = " ".join(part.text.lower() for part in first.snippet if part.match)
    assert marked.split() == ["roaming", "charges"]  # one mark (FTS5) or one a word (PG)
    # Stemmed on both engines: "refund" finds "refunded"; words in any order.
    stemmed = await store.search_conversations(ADMIN, SearchQuery(text="charges refund"))
    assert [hit.seq for hit in stemmed.hits] == [2]
    assert not (await store.search_conversations(ADMIN, SearchQuery(text='"charges roaming"'))).hits


async def test_agents_see_their_own_and_queued_chats_customers_never_notes(store: Store) -> None:
    room = await closed_chat_of(store, "ann", "alice")
    await store.create_agent("bob", "Bob", "digest-bob", 3, True)
    assert not (
        await store.search_conversations(SearchScope(agent_id="bob"), SearchQuery(text="roaming"))
    ).hits
    owner = await store.search_conversations(SearchScope(agent_id="ann"), SearchQuery("goodwill"))
    assert [(hit.seq, hit.private) for hit in owner.hits] == [(3, True)]
    session_id = owner.hits[0].session_id
    customer = SearchScope(session_id=session_id)
    assert not (await store.search_conversations(customer, SearchQuery("goodwill"))).hits
    assert [h.seq for h in (await store.search_conversations(customer, SearchQuery("spain"))).hits]
    # A queued chat is any agent's to read, so to find.
    queued = (await store.create_session("carol", token_digest="d-carol")).room_id
    await store.append_message(queued, "user", "carol", "roaming does not work in Spain")
    await store.open_escalation(queued, ("frustration",), (S.BOT_ACTIVE,))
    found = await store.search_conversations(SearchScope(agent_id="bob"), SearchQuery("roaming"))
    assert [hit.room_id for hit in found.hits] == [queued]
    assert room != queued


async def test_filters_and_pages(store: Store) -> None:
    room = await closed_chat_of(store, "ann", "alice")
    await store.create_user("dave", name="Dave O'Brien", email="dave@example.com")
    other = (await store.create_session("dave", token_digest="d-dave")).room_id
    for number in range(5):
        await store.append_message(other, "user", "dave", f"roaming question number {number}")

    def query(**fields: object) -> SearchQuery:
        return SearchQuery(text="roaming", **fields)  # type: ignore[arg-type]

    by_name = await store.search_conversations(ADMIN, query(customer="o'bri"))
    assert {hit.room_id for hit in by_name.hits} == {other}
    by_email = await store.search_conversations(ADMIN, query(customer="DAVE@example.com"))
    assert len(by_email.hits) == 5
    by_agent = await store.search_conversations(ADMIN, query(agent_id="ann"))
    assert {hit.room_id for hit in by_agent.hits} == {room}
    by_state = await store.search_conversations(ADMIN, query(states=(S.BOT_ACTIVE,)))
    assert {hit.room_id for hit in by_state.hits} == {other}
    today = datetime.now(UTC).date()
    assert len((await store.search_conversations(ADMIN, query(since=today, until=today))).hits) == 7
    assert not (await store.search_conversations(ADMIN, query(until=date(2020, 1, 1)))).hits
    first = await store.search_conversations(ADMIN, query(per_page=3))
    second = await store.search_conversations(ADMIN, query(per_page=3, page=2))
    third = await store.search_conversations(ADMIN, query(per_page=3, page=3))
    assert (first.has_more, second.has_more, third.has_more) == (True, True, False)
    seen = [hit.seq for page in (first, second, third) for hit in page.hits]
    assert len(seen) == 7 and [h.seq for h in first.hits] == [5, 4, 3]
    # Without words: the conversations, most recently active first.
    listed = await store.search_conversations(ADMIN, SearchQuery(customer="alice"))
    assert [(hit.room_id, hit.seq) for hit in listed.hits] == [(room, None)]


async def test_no_input_is_query_syntax(store: Store) -> None:
    await closed_chat_of(store, "ann", "alice")
    for text in ('roaming" OR body:*', "NEAR(a b)", "'; DROP TABLE messages; --", "-x & !y |"):
        await store.search_conversations(ADMIN, SearchQuery(text=text))
    found = await store.search_conversations(ADMIN, SearchQuery(text='"roaming'))
    assert len(found.hits) == 2


def test_terms_and_snippets() -> None:
    assert search_terms('Roaming "billing  dispute" x') == [
        ("roaming",),
        ("billing", "dispute"),
        ("x",),
    ]
    parts = snippet_parts("my \x02bill\x03 is \x02wrong\x03")
    assert [(p.text, p.match) for p in parts] == [
        ("my ", False),
        ("bill", True),
        (" is ", False),
        ("wrong", True),
    ]


async def test_history_lists_a_customers_earlier_chats(store: Store) -> None:
    first = await closed_chat_of(store, "ann", "alice")
    await store.rate_room(first, 2, "slow")
    second = await store.create_session("alice", token_digest="d-alice-2")
    await store.append_message(second.room_id, "user", "alice", "x" * 300)
    await store.set_room_state(second.room_id, S.CLOSED, (S.BOT_ACTIVE,))
    now = await store.create_session("alice", token_digest="d-alice-3")
    stranger = await store.create_session("zed", token_digest="d-zed")

    earlier = await store.earlier_conversations(now.session_id)
    assert [chat.session_id for chat in earlier] == [second.session_id, earlier[1].session_id]
    bot_only, handled = earlier
    assert (bot_only.agent_id, bot_only.rating, bot_only.reasons) == (None, None, ())
    assert bot_only.topic is not None and len(bot_only.topic) == 140
    assert handled.room_id == first and handled.state is S.CLOSED
    assert handled.topic == "My roaming charges in Spain look wrong"
    assert (handled.agent_id, handled.agent_name) == ("ann", "Ann")
    assert (handled.rating, handled.rating_comment, handled.reasons) == (
        2,
        "slow",
        ("billing_dispute",),
    )
    # Earlier only: the first chat has none before it; nobody else's chats.
    assert await store.earlier_conversations(handled.session_id) == []
    assert await store.earlier_conversations(stranger.session_id) == []
    assert await store.is_earlier_conversation(now.session_id, handled.session_id)
    assert not await store.is_earlier_conversation(handled.session_id, now.session_id)
    assert not await store.is_earlier_conversation(now.session_id, stranger.session_id)
    assert not await store.is_earlier_conversation(now.session_id, now.session_id)


async def test_a_chat_deleted_by_retention_leaves_the_index_too(store: Store) -> None:
    await closed_chat_of(store, "ann", "alice")
    assert (await store.search_conversations(ADMIN, SearchQuery("roaming"))).hits
    assert await store.delete_closed_sessions(utc_in(60)) == 1
    assert not (await store.search_conversations(ADMIN, SearchQuery("roaming"))).hits
    table = "messages_fts" if store.dialect == "sqlite" else "message_search"
    async with store._db.unit() as sql:
        left = (await sql.execute(f"SELECT count(*) FROM {table}")).fetchone()
        if store.dialect == "sqlite":  # FTS5 checks its index against `messages`
            await sql.execute("INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')")
    assert left is not None and left[0] == 0
