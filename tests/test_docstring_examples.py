"""Every example in the package's docstrings runs as written and prints what it says."""

from __future__ import annotations

import doctest
import importlib
import io
import pkgutil
from unittest import mock

import pytest

import hbm_widgets

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(hbm_widgets.__path__, "hbm_widgets.")
    if not info.name.endswith("__main__")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run_as_written(name):
    module = importlib.import_module(name)
    examples = doctest.DocTestFinder(exclude_empty=True).find(module, name)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    printed = io.StringIO()
    # An explorer draws its chart into its output area in a notebook; here it would print it,
    # and the clearing of the area before it.
    with (
        mock.patch("hbm_widgets.widgets.base.display"),
        mock.patch("hbm_widgets.widgets.base.clear_output"),
    ):
        for example in examples:  # the module's own objects only, not the names it imports
            runner.run(example, out=printed.write)
    assert runner.failures == 0, printed.getvalue()
