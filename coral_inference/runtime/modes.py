"""Run modes (run.mode): registry kind "mode", name -> runner taking the RuntimeContext and returning a
JSON-able dict stored in the summary under results.<mode> (built-ins in plugins/builtins.py: bench,
pipeline, serve; a plugin's with ``contributes={"mode": {name: runner}}``). ``init`` and ``validate`` are
coral-run's own and need no runner. ``run.mode`` is checked against these names like ``model.task``
against the decoders: at validation (``check``, with the modes of the plugins that would load) and again
once the plugins have loaded (``runner``)."""

from __future__ import annotations

import difflib
from typing import Any, Callable

from ..errors import ConfigError, Issues
from ..plugins.registry import new_registry

OWN = ("init", "validate")  # coral-run runs these itself (validate: nothing after the checks)


def names(registry: Any, extra: tuple = ()) -> list[str]:
    """Every run mode: coral-run's own, the registry's, then ``extra`` (plugins' not loaded yet)."""
    return [*OWN, *registry.names("mode"), *(name for name in extra if not registry.has("mode", name))]


def _problem(issues: Issues, mode: str, known: list[str], why: str = "") -> None:
    close = difflib.get_close_matches(mode, known, n=1)
    issues.add("run.mode", f"no run mode {mode!r}{why}" + (f"; did you mean {close[0]!r}?" if close else ""),
               value=mode, expected=f"one of {' | '.join(known)} (built-ins and installed plugins' modes)")


def check(config: Any, issues: Any) -> None:
    """The registry check "modes": run.mode names a mode of coral-run, of the registry or of a plugin
    that would load here."""
    mode = str(config.run.mode)
    registry = new_registry()
    if mode in OWN or registry.has("mode", mode):
        return
    from ..config.validate import plugin_contributions

    known = names(registry, tuple(name for name, _obj, _src in plugin_contributions(config, "mode")))
    if mode not in known:
        _problem(issues.for_config(config), mode, known)


def runner(context: Any) -> Callable[[Any], Any] | None:
    """The runner of the run's mode in ``context.registry`` (None: init); a mode that no loaded plugin
    registered (its plugin failed or declined: see the summary's plugins) is a ConfigError (exit 2)."""
    mode = str(context.config.run.mode)
    if mode in OWN:
        return None
    found = context.registry.get("mode", mode)
    if found is None:
        issues = Issues(config=context.config)
        _problem(issues, mode, names(context.registry), " among the loaded plugins (the plugins section of the "
                                                        "summary says why one did not load)")
        issues.raise_if_errors()
    return found
