"""The learned-example index with the real model: what it finds, and that a node sees what
another node's store wrote (two stores on one PostgreSQL database, as two nodes)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from supportflow.conversation.context import searchable
from supportflow.knowledge.learned_fusion import LEARNED_MIN, learned_bonus
from supportflow.knowledge.learned_index import LearnedIndex
from supportflow.learning.examples import learned_index
from supportflow.store import Store
from tests.knowledge.shared import shared_embedder
from tests.services import postgres_database

CONFIRMED = "my mom in Toronto keeps getting charged when she calls me"
SIMILAR = "my dad in Toronto gets charged every time he rings me"
UNRELATED = "how do I set up voicemail on my new phone"


@pytest.fixture(name="shared_database")
def fixture_shared_database() -> Iterator[str]:
    with postgres_database() as url:
        yield url


async def test_a_node_uses_examples_another_node_confirmed(shared_database: str) -> None:
    here, there = await Store.open(shared_database), await Store.open(shared_database)
    embedder = shared_embedder()
    index = LearnedIndex(embedder.embed_documents, there, check_seconds=0.2)
    similar = await embedder.embed_query(SIMILAR)
    unrelated = await embedder.embed_query(UNRELATED)
    try:
        assert await index.similarities(similar) == {}

        made = await here.confirm_example("calls-international", CONFIRMED, "ann", "pick")
        await asyncio.sleep(0.3)  # past the other node's check interval
        found = await index.similarities(similar)
        assert set(found) == {"calls-international"} and found["calls-international"] > 0.7
        assert (await index.similarities(unrelated))["calls-international"] < LEARNED_MIN
        assert index.size == 1

        await here.update_learned_example(made.example_id, "admin", None, "billing")
        await asyncio.sleep(0.3)
        assert set(await index.similarities(similar)) == {"billing"}

        await here.delete_learned_example(made.example_id)
        await asyncio.sleep(0.3)
        assert await index.similarities(similar) == {}
    finally:
        await here.close()
        await there.close()


async def test_a_write_here_is_seen_at_once_and_checks_are_spaced(shared_database: str) -> None:
    store = await Store.open(shared_database)
    embedder = shared_embedder()
    index = LearnedIndex(embedder.embed_documents, store, check_seconds=3600)
    vector = await embedder.embed_query(SIMILAR)
    try:
        assert await index.similarities(vector) == {}
        await store.confirm_example("calls-international", CONFIRMED, "ann", "pick")
        # Not told, and the interval not over: the snapshot it has.
        assert await index.similarities(vector) == {}
        index.forget()  # what LearnedExamples does after its own writes
        assert "calls-international" in await index.similarities(vector)
    finally:
        await store.close()


def test_the_bonus_starts_at_the_floor_and_grows_with_closeness() -> None:
    assert learned_bonus(LEARNED_MIN - 0.1) == 0.0 == learned_bonus(LEARNED_MIN)
    assert 0 < learned_bonus(0.6) < learned_bonus(0.9) < learned_bonus(1.0) == 1.0


async def test_a_database_that_stops_answering_leaves_the_examples_it_had(
    tmp_path: Path,
) -> None:
    store = await Store.open(tmp_path / "store.db", synchronous="NORMAL")
    embedder = shared_embedder()
    index = LearnedIndex(embedder.embed_documents, store, check_seconds=0)
    vector = await embedder.embed_query(SIMILAR)
    await store.confirm_example("calls-international", CONFIRMED, "ann", "pick")
    assert "calls-international" in await index.similarities(vector)
    await store.close()  # every query from now on fails
    assert "calls-international" in await index.similarities(vector)


async def test_examples_are_read_as_questions_are_social_text_as_plain_words(
    tmp_path: Path,
) -> None:
    """An example confirmed from a tweet is embedded as retrieval reads a question
    (`searchable`): handle, URL, emoji gone, hashtag split, elongation folded."""
    store = await Store.open(tmp_path / "store.db", synchronous="NORMAL")
    embedder = shared_embedder()
    tweet = "@NimbusHelp my wifi is sooo slow #NoInternetAgain https://t.co/x1Yz 😡"
    await store.confirm_example("slow-internet", tweet, "ann", "pick")
    as_asked = await embedder.embed_query(searchable(tweet))
    try:
        assert searchable(tweet) == "my wifi is so slow no internet again"
        read = await learned_index(embedder.embed_documents, store, 0).similarities(as_asked)
        raw = LearnedIndex(embedder.embed_documents, store, check_seconds=0)
        unread = await raw.similarities(as_asked)
        assert read["slow-internet"] > 0.99
        # Read raw, the same example is a looser match: the preparation is what counts.
        assert unread["slow-internet"] < read["slow-internet"] - 0.05
    finally:
        await store.close()
