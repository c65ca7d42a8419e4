"""Which backend contract a factory follows (plugins/contract.py: CONTRACT_VERSION, backend_takes_model)."""

from __future__ import annotations

import functools

from coral_inference.plugins.contract import CONTRACT_VERSION, backend_takes_model


def test_the_contract_is_version_2():
    assert CONTRACT_VERSION == 2


def four(name, spec, context, model):
    return None


def three(name, spec, context):
    return None


class FourClass:
    def __init__(self, name, spec, context, model=None):
        pass


class ThreeClass:
    def __init__(self, name, spec, context):
        pass


class NoInit:
    pass


def test_functions_and_classes_by_their_signature():
    assert backend_takes_model(four) is True
    assert backend_takes_model(FourClass) is True  # a class counts by its __init__ (self left out)
    assert backend_takes_model(lambda *args: None) is True
    assert backend_takes_model(three) is False
    assert backend_takes_model(ThreeClass) is False
    assert backend_takes_model(lambda name, spec, context, **kw: None) is False
    assert backend_takes_model(functools.partial(four, "n")) is False  # three left to give


def test_neither_signature():
    assert backend_takes_model(NoInit) is None
    assert backend_takes_model(lambda name: None) is None
    assert backend_takes_model(lambda a, b, c, d, e: None) is None
    assert backend_takes_model(lambda name, spec, context, *, model: None) is None  # keyword-only model
    assert backend_takes_model(42) is None

