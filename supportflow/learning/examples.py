"""`LearnedExamples`: what agents confirm becomes what retrieval knows (issue 22).

An agent who handled a handed-off chat marks the article(s) that answered it, in the
console or by sending the article's help-center link. The chat's customer wording (its
questions before an agent first spoke, small talk left out) and each article become a
learned example; the retriever's `LearnedIndex` is told at once here, and other nodes see
it within their check interval. Admins list, add, edit and remove examples; an example
whose article is gone (deleted, or re-ingested under another id) is kept, flagged, and left
out of retrieval until an article with its id exists again.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from urllib.parse import unquote

from supportflow.conversation.context import searchable
from supportflow.errors import Conflict, InvalidInput, NotFound
from supportflow.knowledge.article import HELP_PATH
from supportflow.knowledge.base import KnowledgeBase
from supportflow.knowledge.learned_index import ExampleSource, LearnedIndex
from supportflow.store import MessageRecord, SessionRecord, Store
from supportflow.store.learned_examples import LearnedExampleRecord

# The customer's last few questions before an agent spoke: the problem is in them, and
# older ones are usually another topic.
MAX_CUSTOMER_MESSAGES = 3
MAX_EXAMPLE_CHARS = 2000
# A help-center link in an agent's message, absolute or not: /help/<id>.
_HELP_LINK = re.compile(re.escape(HELP_PATH) + r"/([A-Za-z0-9._~%:-]+)")


def learned_index(
    embed: Callable[[Sequence[str]], Awaitable[list[list[float]]]],
    source: ExampleSource,
    check_seconds: float,
) -> LearnedIndex:
    """The index retrieval asks, its examples read as questions are: `searchable` (social
    text as plain words) is the one definition of both, so "@Nimbus wifi sooo slow
    #NoInternet" stored and "wifi so slow no internet" asked embed alike."""
    return LearnedIndex(embed, source, check_seconds, prepare=searchable)


@dataclass(frozen=True)
class ListedExample:
    """An example as the admin sees it: with its article's title, or None when gone."""

    record: LearnedExampleRecord
    article_title: str | None


class LearnedExamples:
    """Confirmations in, examples stored, the retriever's index kept in step."""

    def __init__(self, store: Store, knowledge: KnowledgeBase, check_seconds: float) -> None:
        self._store = store
        self._knowledge = knowledge
        self.index = learned_index(knowledge.embedder.embed_documents, store, check_seconds)
        knowledge.retriever.learned = self.index

    async def confirm_chat(
        self, session: SessionRecord, article_ids: Sequence[str], confirmed_by: str, origin: str
    ) -> list[LearnedExampleRecord]:
        """The chat's customer wording as an example of each article (one per article;
        confirming again refreshes it). NotFound `article_not_found`, Conflict
        `no_customer_message` for a chat the customer wrote nothing in."""
        titles = await self._titles()
        for article_id in article_ids:
            if article_id not in titles:
                raise NotFound(f"no article {article_id!r}", "article_not_found")
        messages = await self._store.messages_after(session.room_id, 0)
        text = customer_wording(messages)
        if not text:
            raise Conflict("the customer has not written anything yet", "no_customer_message")
        made = [
            await self._store.confirm_example(
                article_id, text, confirmed_by, origin, session.session_id
            )
            for article_id in dict.fromkeys(article_ids)
        ]
        self.index.forget()
        return made

    async def learn_from_agent_message(self, message: MessageRecord) -> list[LearnedExampleRecord]:
        """An agent's message linking to help-center articles confirms them for its chat."""
        if message.sender_type != "agent" or message.private or message.sender_id is None:
            return []
        linked = linked_articles(message.body)
        if not linked:
            return []
        titles = await self._titles()
        known = [article_id for article_id in linked if article_id in titles]
        if not known:
            return []
        session = await self._store.session_by_room(message.room_id)
        return await self.confirm_chat(session, known, message.sender_id, "link")

    async def add(self, article_id: str, text: str, confirmed_by: str) -> LearnedExampleRecord:
        """An example written by the admin, tied to no chat."""
        await self._require_article(article_id)
        made = await self._store.confirm_example(article_id, _checked(text), confirmed_by, "admin")
        self.index.forget()
        return made

    async def edit(
        self, example_id: str, confirmed_by: str, text: str | None, article_id: str | None
    ) -> LearnedExampleRecord:
        if article_id is not None:
            await self._require_article(article_id)
        changed = await self._store.update_learned_example(
            example_id, confirmed_by, _checked(text) if text is not None else None, article_id
        )
        self.index.forget()
        return changed

    async def remove(self, example_id: str) -> None:
        await self._store.delete_learned_example(example_id)
        self.index.forget()

    async def listing(self, article_id: str | None = None) -> list[ListedExample]:
        titles = await self._titles()
        return [
            ListedExample(record, titles.get(record.article_id))
            for record in await self._store.learned_examples(article_id)
        ]

    async def one(self, example_id: str) -> ListedExample:
        record = await self._store.learned_example(example_id)
        return ListedExample(record, (await self._titles()).get(record.article_id))

    async def _titles(self) -> dict[str, str]:
        return {summary.id: summary.title for summary in await self._knowledge.catalogue()}

    async def _require_article(self, article_id: str) -> None:
        if article_id not in await self._titles():
            raise NotFound(f"no article {article_id!r}", "article_not_found")


def customer_wording(messages: Sequence[MessageRecord]) -> str:
    """What the customer asked before an agent first spoke: their last few messages that
    were not small talk (the bot answered those with a dialogue act), oldest first."""
    asked: list[str] = []
    for index, message in enumerate(messages):
        if message.sender_type == "agent":
            break
        if message.sender_type != "user" or not message.body.strip():
            continue
        if _answered_as_small_talk(messages[index + 1 :]):
            continue
        asked.append(message.body.strip())
    return "\n".join(asked[-MAX_CUSTOMER_MESSAGES:])[-MAX_EXAMPLE_CHARS:]


def _answered_as_small_talk(after: Sequence[MessageRecord]) -> bool:
    for message in after:
        if message.sender_type == "user":
            return False
        if message.sender_type == "bot":
            return bool(message.metadata.get("act"))
    return False


def linked_articles(text: str) -> list[str]:
    """The article ids of the help-center links in `text`, in order, once each."""
    # A sentence's full stop after a bare link is not part of the id.
    return list(dict.fromkeys(unquote(found.rstrip(".:")) for found in _HELP_LINK.findall(text)))


def _checked(text: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise InvalidInput("text must not be empty", "empty_text")
    return cleaned[:MAX_EXAMPLE_CHARS]
