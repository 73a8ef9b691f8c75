"""Every error the API returns is ``{"error": {"code", "message"}}`` with a 4xx status
(a 5xx only for the service's own faults): as the command line maps a NarrateError to
one line and an exit code, this maps it to a code and a status."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from narrate.errors import ConfigError, InputError, NarrateError, UsageError


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def from_narrate(err: NarrateError, html: bool = False) -> ApiError:
    """A library error met while reading a submission, as an API error."""
    if isinstance(err, ConfigError):
        return ApiError(422, "unknown_profile", str(err))
    if isinstance(err, UsageError):
        return ApiError(422, "invalid_option", str(err))
    if isinstance(err, InputError):
        return ApiError(422, "no_article" if html else "unreadable_article", str(err))
    return ApiError(422, "invalid_article", str(err))


def _validation_code(errors: list[Any]) -> tuple[int, str, str]:
    first = errors[0] if errors else {}
    kind = first.get("type", "")
    where = ".".join(str(p) for p in first.get("loc", ())[1:]) or "body"
    if kind == "json_invalid":
        return (
            400,
            "malformed_json",
            f"the body is not valid JSON ({first.get('ctx', {}).get('error', kind)})",
        )
    if kind == "missing":
        return 422, "missing_field", f"{where} is required"
    if where == "body" and kind in ("model_attributes_type", "dict_type"):
        return 400, "malformed_json", "the body must be a JSON object"
    if kind == "extra_forbidden":
        return 422, "unknown_field", f"{where} is not a field this endpoint takes"
    return 422, "invalid_field", f"{where}: {first.get('msg', 'invalid value')}"


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        status, code, message = _validation_code(list(exc.errors()))
        return error_response(status, code, message)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        codes = {
            404: "not_found",
            405: "method_not_allowed",
            400: "malformed_json",
        }  # 400: FastAPI's parse failure
        return error_response(
            exc.status_code, codes.get(exc.status_code, f"http_{exc.status_code}"), str(exc.detail)
        )

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> JSONResponse:
        return error_response(500, "internal_error", f"{type(exc).__name__}: {exc}")
