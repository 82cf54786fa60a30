"""Every failure of an HTTP request answers `{"error": {"code", "message"}}`."""

from __future__ import annotations

import logging

from pydantic import ValidationError
from quart import Quart, Response, jsonify, request
from quart_schema import RequestSchemaValidationError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from supportflow.errors import SupportflowError, invalid_input
from supportflow.input_checks import ensure_encodable

log = logging.getLogger(__name__)

# Werkzeug's HTTP errors (routing, body size, malformed JSON) by status.
_HTTP_CODES = {
    400: ("invalid_input", "the request is malformed (is the body valid JSON?)"),
    401: ("unauthorized", "a valid bearer token is required"),
    403: ("forbidden", "this token may not do that"),
    404: ("not_found", "no such resource"),
    405: ("method_not_allowed", "this resource does not accept that method"),
    413: ("payload_too_large", "the request body is too large"),
    415: ("unsupported_media_type", "send a JSON body (Content-Type: application/json)"),
}


def error_response(status: int, code: str, message: str) -> tuple[Response, int]:
    return jsonify({"error": {"code": code, "message": message}}), status


def register_error_handlers(app: Quart) -> None:
    @app.errorhandler(SupportflowError)
    async def supportflow_error(error: SupportflowError) -> tuple[Response, int]:
        return error_response(error.status, error.code, error.message)

    @app.errorhandler(RequestSchemaValidationError)
    async def schema_error(error: RequestSchemaValidationError) -> tuple[Response, int]:
        if isinstance(error.validation_error, ValidationError):
            refusal = invalid_input(error.validation_error, "body")
            return error_response(refusal.status, refusal.code, refusal.message)
        return error_response(400, "invalid_input", "the request body does not match the schema")

    @app.errorhandler(UnicodeDecodeError)
    async def undecodable_body(error: UnicodeDecodeError) -> tuple[Response, int]:
        # Quart decodes JSON bodies as UTF-8 and lets the error escape; it is the client's.
        return error_response(400, "invalid_input", "the request body is not valid UTF-8")

    @app.errorhandler(RecursionError)
    async def too_deep(error: RecursionError) -> tuple[Response, int]:
        # json.loads gives up past Python's recursion limit: the body is the client's fault.
        return error_response(400, "invalid_input", "the body is nested too deeply")

    @app.before_request
    async def refuse_unencodable_json() -> None:
        # A JSON `\ud800` escape decodes to a lone surrogate, which no store or model can
        # take: refuse it here, before a route acts on it.
        if request.is_json:
            ensure_encodable(await request.get_json(silent=True), "body")

    @app.errorhandler(HTTPException)
    async def http_error(error: HTTPException) -> tuple[Response, int]:
        status = error.code or 500
        code, message = _HTTP_CODES.get(status, ("http_error", error.description or ""))
        response, status = error_response(status, code, message)
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            # RFC 9110: a 405 names the methods the resource does accept.
            response.headers["Allow"] = ", ".join(sorted(error.valid_methods))
        return response, status

    @app.errorhandler(Exception)
    async def unexpected_error(error: Exception) -> tuple[Response, int]:
        log.exception("unhandled error")
        return error_response(500, "internal_error", "something went wrong on our side")
