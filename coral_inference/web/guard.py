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

    return web.json_response({"error": message, "status": status, **extra}, status=status)


def middlewares(token: str | None, loopback: bool, counters: dict[str, int]) -> list[Any]:
    from aiohttp import web

    secret = token.encode("utf-8") if token else None

    def given(request: Any) -> tuple[str | None, bool]:
        header = request.headers.get("Authorization", "")
        if header[:7].lower() == "bearer ":
            return header[7:].strip(), False
        if "token" in request.query:
            return request.query["token"], True
        return request.cookies.get(COOKIE), False

    @web.middleware
    async def guard(request: Any, handler: Any) -> Any:
        counters["requests"] += 1
        host = (request.host or "").rsplit(":", 1)[0] if not (request.host or "").startswith("[") \
            else (request.host or "")[1:].split("]")[0]
        if loopback and not is_loopback(host):
            return error(421, f"this service answers on loopback only, not for host {host!r}")
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            origin = request.headers.get("Origin")
            if origin and origin != "null" and urlsplit(origin).netloc != request.host:
                return error(403, "cross-origin request refused")
        from_query = False
        if secret is not None:
            value, from_query = given(request)
            if not value or not hmac.compare_digest(value.encode("utf-8"), secret):
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
            except json.JSONDecodeError as exc:
                return error(400, f"the body is not JSON: {exc}")
            except (ConnectionResetError, asyncio.CancelledError):
                raise
            except Exception as exc:  # a bug: the service goes on, the client learns what failed
                counters["errors"] += 1
                return error(500, f"internal error: {type(exc).__name__}: {exc}")
        if from_query:
            response.set_cookie(COOKIE, request.query["token"], httponly=True, samesite="Strict", path="/")
        return response

    return [guard]
