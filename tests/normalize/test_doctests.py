"""The input → output examples in the normaliser's docstrings stay true."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import narrate.normalize as package

MODULES = sorted(m.name for m in pkgutil.iter_modules(package.__path__))


@pytest.mark.parametrize("name", ["__init__", *MODULES])
def test_docstring_examples(name: str) -> None:
    module = package if name == "__init__" else importlib.import_module(f"{package.__name__}.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
