"""Knowledge-base REST: ask the bot, ingest documents, list, read and delete them.

POST   /api/ask              any valid token (a customer only with its own session)
POST   /api/ingest           admin; JSON {documents: [...]} or multipart file upload
GET    /api/knowledge        admin or agent
GET    /api/knowledge/<id>   admin or agent
DELETE /api/knowledge/<id>   admin
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from quart import Blueprint, request
from quart_schema import DataSource, document_request, validate_request, validate_response

from supportflow.api.context import require, services, session_for
from supportflow.api.rate_limits import Costly, check_rate
from supportflow.auth import Action, Role
from supportflow.errors import InvalidInput, invalid_input
from supportflow.input_checks import ensure_encodable, is_invisible
from supportflow.knowledge.article import help_path
from supportflow.knowledge.base import DocumentSummary
from supportflow.knowledge.documents import Document
from supportflow.knowledge.sources import documents_from_bytes
from supportflow.rooms.history import conversation_history
from supportflow.rooms.responder import RoomView, Source, Turn

blueprint = Blueprint("knowledge", __name__, url_prefix="/api")


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    session_id: str | None = None


class SourceOut(BaseModel):
    id: str
    title: str
    score: float
    url: str = Field(description="the article's help-center page, a path on this server")

    @classmethod
    def of(cls, source: Source) -> SourceOut:
        return cls(id=source.id, title=source.title, score=source.score, url=help_path(source.id))


class AskResponse(BaseModel):
    answer: str = Field(
        description="Markdown: paragraphs, numbered and bulleted lists, bold, and links to"
        " help-center articles (/help/<id>)"
    )
    confidence: float
    sources: list[SourceOut] = Field(description="the article(s) the answer's text came from")
    # Other close articles worth offering ("Also: ..."), and the best distinct articles
    # retrieval ranked, quoted or not.
    related: list[SourceOut] = []
    considered: list[SourceOut] = []
    escalate: bool
    reasons: list[str]
    provider: str
    # The query searched (the message, or fused with the session's earlier questions), and
    # the dialogue act answered ("off_topic": the knowledge base does not cover the message
    # and the reply says what the bot can help with); both null when not applicable.
    query: str | None = None
    act: str | None = None


# What KnowledgeBase.validate accepts, stated in the schema: a title and content that are
# not blank, an id without "::" (the passage-id separator). Content longer than
# SUPPORTFLOW_MAX_DOCUMENT_CHARS answers 413.
NotBlank = StringConstraints(pattern=r"\S")


class DocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    content: Annotated[str, NotBlank]
    title: Annotated[str, NotBlank, StringConstraints(max_length=300)]
    category: str = "general"
    id: Annotated[str, StringConstraints(max_length=200, pattern=r"^(:?[^:])*:?$")] | None = None
    examples: list[Annotated[str, NotBlank, StringConstraints(max_length=300)]] = Field(
        default_factory=list,
        max_length=100,
        description="messages this article answers, in customers' words: searched to find"
        " the article, never shown (docs/reading.md)",
    )


class IngestRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    documents: list[DocumentIn] = Field(
        min_length=1,
        description="articles to chunk, embed and upsert (more than"
        " SUPPORTFLOW_MAX_DOCUMENTS_PER_INGEST, 100 by default, answer 413)",
    )


class IngestResponse(BaseModel):
    ingested: int
    chunks: int
    ids: list[str]


class DocumentOut(BaseModel):
    id: str
    title: str
    category: str
    passages: int
    updated_at: str

    @classmethod
    def of(cls, summary: DocumentSummary) -> DocumentOut:
        return cls(**summary.__dict__)


class DocumentList(BaseModel):
    documents: list[DocumentOut]


class PassageOut(BaseModel):
    position: int
    text: str


class DocumentDetailOut(DocumentOut):
    chunks: list[PassageOut]
    examples: list[str]


class Deleted(BaseModel):
    id: str
    deleted_passages: int


@blueprint.post("/ask")
@validate_request(AskRequest)
@validate_response(AskResponse, 200)
async def ask(data: AskRequest) -> AskResponse:
    """The bot's answer and escalation decision for a message, exactly as a room decides.

    With `session_id`, that session's recent messages are the conversation history and the
    message counts as its next exchange; nothing is stored.
    """
    check_rate(Costly.ASK)
    principal = await require(Role.ADMIN, Role.AGENT, Role.USER)
    if is_invisible(data.message):
        raise InvalidInput("the message is empty (or shows nothing)", "empty_message")
    app_services = services()
    room = RoomView(room_id=None, session_id=None, exchange_count=1)
    history: list[Turn] = []
    if data.session_id is not None:
        # The session's messages become the LLM's history: reading them needs the read right.
        session = await session_for(principal, data.session_id, Action.READ)
        history = await conversation_history(
            app_services.store, session.room_id, app_services.settings.history_limit
        )
        room = RoomView(session.room_id, session.session_id, session.exchange_count + 1)
    reply = await app_services.bot.responder.respond(room, history, data.message)
    return AskResponse(
        answer=reply.text,
        confidence=reply.confidence,
        sources=[SourceOut.of(source) for source in reply.sources],
        related=[SourceOut.of(source) for source in reply.related],
        considered=[SourceOut.of(source) for source in reply.considered],
        escalate=reply.escalate,
        reasons=list(reply.reasons),
        provider=reply.provider,
        query=reply.query,
        act=reply.act,
    )


@blueprint.post("/ingest")
@document_request(IngestRequest, source=DataSource.JSON)
@validate_response(IngestResponse, 200)
async def ingest() -> IngestResponse:
    """Chunk, embed and upsert documents (admin): JSON, or multipart file uploads.

    Re-ingesting an id replaces all its passages. Files: .md (front matter id/title/
    category), .txt, .json, .jsonl, .pdf.
    """
    await require(Role.ADMIN)
    documents = await _documents_from_request()
    result = await services().bot.knowledge.ingest(documents)
    return IngestResponse(ingested=result.ingested, chunks=result.chunks, ids=list(result.ids))


@blueprint.get("/knowledge")
@validate_response(DocumentList, 200)
async def list_documents() -> DocumentList:
    """Every document in the knowledge base (admin or agent)."""
    await require(Role.ADMIN, Role.AGENT)
    summaries = await services().bot.knowledge.list_documents()
    return DocumentList(documents=[DocumentOut.of(summary) for summary in summaries])


@blueprint.get("/knowledge/<doc_id>")
@validate_response(DocumentDetailOut, 200)
async def get_document(doc_id: str) -> DocumentDetailOut:
    """One document with its passages (admin or agent)."""
    await require(Role.ADMIN, Role.AGENT)
    detail = await services().bot.knowledge.get_document(doc_id)
    return DocumentDetailOut(
        **DocumentOut.of(detail.summary).model_dump(),
        chunks=[PassageOut(position=p.position, text=p.text) for p in detail.passages],
        examples=list(detail.examples),
    )


@blueprint.delete("/knowledge/<doc_id>")
@validate_response(Deleted, 200)
async def delete_document(doc_id: str) -> Deleted:
    """Remove a document and all its passages (admin)."""
    await require(Role.ADMIN)
    removed = await services().bot.knowledge.delete_document(doc_id)
    return Deleted(id=doc_id, deleted_passages=removed)


async def _documents_from_request() -> list[Document]:
    if request.mimetype == "multipart/form-data":
        files = await request.files
        uploads = [upload for field in files for upload in files.getlist(field)]
        if not uploads:
            raise InvalidInput("upload at least one file", "no_documents")
        documents: list[Document] = []
        for upload in uploads:
            documents.extend(documents_from_bytes(upload.filename or "upload.txt", upload.read()))
        for document in documents:
            fields = (document.id, document.title, document.category, document.content)
            ensure_encodable((*fields, *document.examples))
        return documents
    body = await request.get_json(force=True, silent=True)
    ensure_encodable(body, "body")
    if body is None:
        raise InvalidInput("send JSON {documents: [...]} or multipart files", "invalid_json")
    try:
        parsed = IngestRequest.model_validate(body)
    except ValidationError as error:
        raise invalid_input(error, "body") from None
    return [
        Document(d.id or "", d.title, d.category, d.content, tuple(d.examples))
        for d in parsed.documents
    ]
