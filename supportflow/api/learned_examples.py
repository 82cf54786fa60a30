"""Learned examples over REST: what agents confirmed answered a chat, and its admin.

POST   /api/sessions/<id>/learned-examples  201 the chat's agent (or the admin) marks the
                                            article(s) that answered it
GET    /api/learned-examples                every example, newest first (admin)
POST   /api/learned-examples                201 an example written by the admin
GET    /api/learned-examples/<id>           one example (admin)
PATCH  /api/learned-examples/<id>           change its text or article (admin)
DELETE /api/learned-examples/<id>           retrieval stops using it (admin)

Each example says who confirmed it and when, and whether its article still exists
(`article_missing`: such an example is kept, but retrieval leaves it out).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints
from quart import Blueprint
from quart_schema import validate_querystring, validate_request, validate_response

from supportflow.api.context import require, services
from supportflow.api.models import Body
from supportflow.auth import Principal, Role
from supportflow.errors import Forbidden, NotFound
from supportflow.knowledge.base import MAX_ID_CHARS
from supportflow.learning import ListedExample
from supportflow.learning.examples import MAX_EXAMPLE_CHARS
from supportflow.store import SessionRecord

blueprint = Blueprint("learned_examples", __name__, url_prefix="/api")

# Something visible after trimming: a schema-valid value is an accepted one.
ArticleId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_ID_CHARS, strip_whitespace=True, pattern=r"\S"),
]
ExampleText = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=MAX_EXAMPLE_CHARS, strip_whitespace=True, pattern=r"\S"
    ),
]
MAX_ARTICLES_PER_CHAT = 5


class MarkArticles(Body):
    article_ids: list[ArticleId] = Field(
        min_length=1,
        max_length=MAX_ARTICLES_PER_CHAT,
        description="the knowledge-base articles that answered the chat",
    )


class CreateExample(Body):
    article_id: ArticleId
    text: ExampleText = Field(description="a customer's wording this article answers")


class UpdateExample(Body):
    """What to change; what is left out (or null) stays."""

    article_id: ArticleId | None = None
    text: ExampleText | None = None


class ExamplesQuery(BaseModel):
    article_id: ArticleId | None = None


class LearnedExample(BaseModel):
    example_id: str
    article_id: str
    article_title: str | None = Field(description="None when the article no longer exists")
    article_missing: bool = Field(
        description="the article is gone (deleted, or re-ingested under another id): the"
        " example is kept but retrieval leaves it out until the id exists again"
    )
    text: str = Field(description="the customer's wording")
    session_id: str | None = Field(description="the chat it came from (None: none, or deleted)")
    origin: str = Field(description="pick (the console), link (an article link sent), admin")
    confirmed_by: str = Field(description="the agent_id, or admin")
    confirmed_by_name: str | None
    confirmed_at: str = Field(description="when it was last confirmed or edited")
    created_at: str

    @classmethod
    def of(cls, listed: ListedExample) -> LearnedExample:
        record = listed.record
        return cls(
            example_id=record.example_id,
            article_id=record.article_id,
            article_title=listed.article_title,
            article_missing=listed.article_title is None,
            text=record.text,
            session_id=record.session_id,
            origin=record.origin,
            confirmed_by=record.confirmed_by,
            confirmed_by_name=record.confirmed_by_name,
            confirmed_at=record.updated_at,
            created_at=record.created_at,
        )


class LearnedExampleList(BaseModel):
    examples: list[LearnedExample]


class ExampleDeleted(BaseModel):
    example_id: str
    deleted: bool


@blueprint.post("/sessions/<session_id>/learned-examples")
@validate_request(MarkArticles)
@validate_response(LearnedExampleList, 201)
async def mark_articles(session_id: str, data: MarkArticles) -> tuple[LearnedExampleList, int]:
    """Mark the article(s) that answered this chat (its agent, or the admin): the
    customer's questions become learned examples of each.

    404 `article_not_found`; 409 `no_customer_message` when the customer wrote nothing.
    """
    principal = await require(Role.ADMIN, Role.AGENT)
    session = await _handled_chat(principal, session_id)
    learning = services().learning
    made = await learning.confirm_chat(session, data.article_ids, principal.id, "pick")
    listed = [await learning.one(record.example_id) for record in made]
    return LearnedExampleList(examples=[LearnedExample.of(item) for item in listed]), 201


@blueprint.get("/learned-examples")
@validate_querystring(ExamplesQuery)
@validate_response(LearnedExampleList, 200)
async def list_examples(query_args: ExamplesQuery) -> LearnedExampleList:
    """Every learned example, newest first (of one article with `article_id`) (admin)."""
    await require(Role.ADMIN)
    listed = await services().learning.listing(query_args.article_id)
    return LearnedExampleList(examples=[LearnedExample.of(item) for item in listed])


@blueprint.post("/learned-examples")
@validate_request(CreateExample)
@validate_response(LearnedExample, 201)
async def create_example(data: CreateExample) -> tuple[LearnedExample, int]:
    """Add an example by hand (admin); 404 `article_not_found`."""
    principal = await require(Role.ADMIN)
    learning = services().learning
    made = await learning.add(data.article_id, data.text, principal.id)
    return LearnedExample.of(await learning.one(made.example_id)), 201


@blueprint.get("/learned-examples/<example_id>")
@validate_response(LearnedExample, 200)
async def get_example(example_id: str) -> LearnedExample:
    """One example (admin); 404 `learned_example_not_found`."""
    await require(Role.ADMIN)
    return LearnedExample.of(await services().learning.one(example_id))


@blueprint.patch("/learned-examples/<example_id>")
@validate_request(UpdateExample)
@validate_response(LearnedExample, 200)
async def update_example(example_id: str, data: UpdateExample) -> LearnedExample:
    """Change an example's text or article (admin): the admin confirms it from now on."""
    principal = await require(Role.ADMIN)
    learning = services().learning
    changed = await learning.edit(example_id, principal.id, data.text, data.article_id)
    return LearnedExample.of(await learning.one(changed.example_id))


@blueprint.delete("/learned-examples/<example_id>")
@validate_response(ExampleDeleted, 200)
async def delete_example(example_id: str) -> ExampleDeleted:
    """Remove an example (admin): retrieval stops using it at once here, and on other
    nodes within `SUPPORTFLOW_LEARNED_CHECK_SECONDS`."""
    await require(Role.ADMIN)
    await services().learning.remove(example_id)
    return ExampleDeleted(example_id=example_id, deleted=True)


async def _handled_chat(principal: Principal, session_id: str) -> SessionRecord:
    """The chat, for the admin, the agent holding it, or an agent who handled it before
    (released or closed since); the same 403 otherwise, whether it exists or not."""
    if principal.role is Role.ADMIN:
        return await services().store.get_session(session_id)
    refusal = Forbidden("only an agent who handled this chat may mark its articles")
    store = services().store
    try:
        session = await store.get_session(session_id)
    except NotFound:
        raise refusal from None
    if session.agent_id != principal.id and not await store.handled_chat(session_id, principal.id):
        raise refusal
    return session
