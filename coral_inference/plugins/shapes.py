"""Small readers of an object's shape, for the per-kind checks of plugins/contract.py (KIND_CHECKS):
whether it can be called with N positional arguments, which methods it has, how to name it in a
reason. Nothing here knows a kind."""

from __future__ import annotations

from typing import Any, Callable, Optional


def binds(obj: Any, count: int) -> Optional[bool]:
    """Whether ``obj(*count positional arguments)`` fits its signature (None: it cannot be read)."""
    import inspect

    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    try:
        signature.bind(*range(count))
    except TypeError:
        return False
    return True


def shown(obj: Any) -> str:
    """An object as a reason names it: a class or function by its name, anything else by type and value."""
    import inspect

    if isinstance(obj, type) or inspect.isroutine(obj):
        return getattr(obj, "__qualname__", repr(obj))
    return f"{type(obj).__name__} {obj!r:.40}"


def takes(obj: Any) -> str:
    """"it takes (a, b)": the signature a reason quotes."""
    import inspect

    try:
        return f"it takes {inspect.signature(obj)}"
    except (TypeError, ValueError):
        return "its signature cannot be read"


def callable_as(what: str, *params: str) -> Callable[[Any], list[str]]:
    """A kind whose contribution is called as ``obj(*params)`` (no params: ``obj(**settings)``)."""
    call = f"({', '.join(params) if params else '**settings'})"

    def problems(obj: Any) -> list[str]:
        if not callable(obj):
            return [f"is {shown(obj)}, not callable: expected {what} {call}"]
        if params and binds(obj, len(params)) is False:
            return [f"cannot be called as {what} {call}: {takes(obj)}"]
        return []

    return problems


def methods(*wanted: tuple[str, str]) -> Callable[[Any], list[str]]:
    """A kind whose contribution is an object with these methods ((name, parameters) each)."""

    def problems(obj: Any) -> list[str]:
        return [f"has no {name}{params}" for name, params in wanted if not callable(getattr(obj, name, None))]

    return problems
