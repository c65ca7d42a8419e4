"""Request guards (aiohttp middlewares): the token, the Host and Origin checks, and errors as JSON.

With ``services.web.token`` every request needs it: ``Authorization: Bearer <token>``, or
``?token=<token>`` once (the page, a video URL, an EventSource), which sets an HttpOnly, SameSite=Strict
cookie; the page then drops the token from its address. Compared with ``hmac.compare_digest``; the
token is never logged (the access log is off) and never echoed.
On loopback the Host header must name a loopback address (no DNS rebinding); a request that changes
something (POST, DELETE) from another origin is refused (no cross-site requests to a local service).
"""

from __future__ import annotations

import asyncio
import hmac
import json
from typing import Any
from urllib.parse import urlsplit

from .checks import is_loopback

COOKIE = "coral_token"


def error(status: int, message: str, **extra: Any) -> Any:
    from aiohttp import web

    from ..redaction import public_json

    return web.json_response({"error": message, "status": status, **extra}, status=status, dumps=public_json)


def middlewares(token: str | None, loopback: bool, counters: dict[str, int]) -> list[Any]:
    from aiohttp import web

    secret = token.encode("utf-8", "surrogateescape") if token and token.strip() else None

    def given(request: Any) -> tuple[str | None, bool]:
        try:
            header = request.headers.get("Authorization", "")
            if header[:7].lower() == "bearer ":
                return header[7:].strip(), False
            if "token" in request.query:
                return request.query["token"], True
            return request.cookies.get(COOKIE), False
        except Exception:  # noqa: BLE001 - bytes no header or query parser can read: no token given
            return None, False

    def matches(value: str | None) -> bool:
        """The token, compared in constant time; blank, or bytes that are not UTF-8, never match."""
        if not value or not value.strip():
            return False
        try:
            given_bytes = value.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            return False
        return hmac.compare_digest(given_bytes, secret)

    def foreign(request: Any) -> bool:
        """An Origin that is not this service's own: another site, or ``null`` (a sandboxed iframe, a file:
        page, a redirect), which any web page can produce."""
        origin = request.headers.get("Origin")
        if origin is None:
            return False
        origin = origin.strip()
        try:
            return origin.lower() == "null" or not origin or urlsplit(origin).netloc != request.host
        except ValueError:
            return True

    @web.middleware
    async def guard(request: Any, handler: Any) -> Any:
        counters["requests"] += 1
        host = (request.host or "").rsplit(":", 1)[0] if not (request.host or "").startswith("[") \
            else (request.host or "")[1:].split("]")[0]
        if loopback and not is_loopback(host):
            return error(421, f"this service answers on loopback only, not for host {host!r}")
        if (request.method not in ("GET", "HEAD", "OPTIONS") or not loopback) and foreign(request):
            # changes state, or listens on a public address: only the service's own page (Origin: null too)
            return error(403, "cross-origin request refused")
        from_query = False
        if secret is not None:
            value, from_query = given(request)
            if not matches(value):
                counters["unauthorized"] += 1
                response = error(401, "missing or wrong token: send 'Authorization: Bearer <services.web.token>' "
                                 "(or ?token=<token> once in a browser)")
                response.headers["WWW-Authenticate"] = 'Bearer realm="coral_inference"'
                return response
        if from_query and request.method == "GET" and request.path == "/":
            response = web.Response(status=303, headers={"Location": "/"})  # the token leaves the address bar
        else:
            try:
                response = await handler(request)
            except web.HTTPException as exc:
                if exc.status >= 400 and exc.content_type != "application/json":
                    return error(exc.status, exc.reason)
                raise
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                return error(400, f"the body is not JSON (UTF-8 text): {type(exc).__name__}")
            except (ConnectionResetError, asyncio.CancelledError):
                raise
            except Exception as exc:  # a bug: the service goes on, the client learns what failed
                counters["errors"] += 1
                return error(500, f"internal error: {type(exc).__name__}: {exc}")
        if from_query:
            response.set_cookie(COOKIE, request.query["token"], httponly=True, samesite="Strict", path="/")
        return response

    return [guard]
