"""Checking what ``hbm-report`` is asked for, before any kernel starts.

Chapters are looked up by name or number, parameters are checked against a notebook's
``parameters`` cell (names and the types of their defaults), and output paths must be
writable and new. Every refusal is a :class:`ReportInputError`: exit status 2 and one line.
"""

from __future__ import annotations

import ast
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from hbm_widgets.core.errors import WorkbookInputError

__all__ = ["ReportInputError", "chapter_path", "notebooks_dir", "resolve_value"]

PROG = "hbm-report"
REPORT_DIR = Path(__file__).resolve().parent
NOTEBOOKS_ENV = "HBM_NOTEBOOKS_DIR"
RESULTS_PARAMETER = "results_path"


class ReportInputError(WorkbookInputError):
    """A report cannot be made from the input given (exit status 2)."""


def _one_line(text: str) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(text))
    return " ".join(text.split())


def notebooks_dir() -> Path:
    """The chapters' folder (``HBM_NOTEBOOKS_DIR`` overrides it)."""
    override = os.environ.get(NOTEBOOKS_ENV)
    if override:
        return Path(override)
    return REPORT_DIR.parent.parent / "notebooks"


def _chapters() -> list[Path]:
    return sorted(notebooks_dir().glob("[0-9][0-9]-*.ipynb"))


def chapter_path(chapter: str | os.PathLike) -> Path:
    """The notebook of a chapter named ``"01-bayes-rule"``, ``"01"`` or given by its path."""
    text = str(chapter)
    if text.endswith(".ipynb") and Path(text).is_file():
        return Path(text).resolve()
    key = text.removesuffix(".ipynb")
    chapters = _chapters()
    if re.fullmatch(r"\d{1,2}", key):
        matches = [p for p in chapters if p.stem[:2] == key.zfill(2)]
    else:
        matches = [p for p in chapters if p.stem == key]
    if len(matches) == 1:
        return matches[0]
    names = ", ".join(p.stem for p in chapters) or f"none in {notebooks_dir()}"
    raise ReportInputError(f"unknown chapter {text!r}; the chapters are: {names}")


_NO_LITERAL = object()


def _declared_parameters(notebook: Path) -> dict[str, Any]:
    """Name -> default value of a notebook's ``parameters`` cell (``_NO_LITERAL`` if computed)."""
    import papermill

    inspected = papermill.inspect_notebook(str(notebook))
    declared = {}
    for name, info in inspected.items():
        try:
            declared[name] = ast.literal_eval(info["default"])
        except (ValueError, SyntaxError, TypeError):
            declared[name] = _NO_LITERAL
    return declared


def resolve_value(text: str):
    """A ``-p`` value read the way papermill reads it: bool, None, int, float, else string."""
    if text == "True":
        return True
    if text == "False":
        return False
    if text == "None":
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


_KIND_WORDS = {
    bool: "True or False",
    int: "a whole number",
    float: "a number",
    str: "a string",
    list: "a list",
    tuple: "a list",
    dict: "a mapping",
}


def _checked_value(name: str, value, default):
    """``value`` if it has the type of ``default`` (an int is a float too); else an error."""
    if default is _NO_LITERAL or default is None:
        return value
    kind = type(default)
    if kind is bool:
        ok = isinstance(value, bool)
    elif kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok:
            value = float(value)
    elif kind in (list, tuple):
        ok = isinstance(value, list | tuple)
    else:
        ok = isinstance(value, kind)
    if not ok:
        wanted = _KIND_WORDS.get(kind, kind.__name__)
        raise ReportInputError(
            f"parameter {name!r} must be {wanted} like its default {default!r}, "
            f"got {value!r} ({type(value).__name__})"
        )
    return value


def _check_parameters(
    parameters: Mapping[str, Any], notebook: Path, where: str, *, check_types: bool = True
) -> dict:
    declared = _declared_parameters(notebook)
    if not declared:
        raise ReportInputError(f"{where} has no cell tagged 'parameters'")
    checked = {}
    for name, value in parameters.items():
        if name == RESULTS_PARAMETER:
            raise ReportInputError(
                f"{RESULTS_PARAMETER!r} is set by {PROG} itself (it reads the recorded figures "
                "back for the summary); leave it out"
            )
        if name not in declared:
            valid = ", ".join(n for n in declared if n != RESULTS_PARAMETER)
            raise ReportInputError(
                f"{where} has no parameter {name!r}; its parameters are: {valid}"
            )
        checked[name] = _checked_value(name, value, declared[name]) if check_types else value
    return checked


def _read_parameter_file(path: str | os.PathLike) -> dict:
    from papermill.iorw import NoDatesSafeLoader

    path = Path(path)
    if not path.is_file():
        raise ReportInputError(f"parameters file {path} does not exist")
    try:
        loaded = yaml.load(path.read_text(encoding="utf-8"), Loader=NoDatesSafeLoader)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ReportInputError(f"parameters file {path} is not valid YAML: {exc}") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ReportInputError(
            f"parameters file {path} must hold a mapping of parameter names to values, "
            f"not a {type(loaded).__name__}"
        )
    return {str(k): v for k, v in loaded.items()}


def _check_output(output: str | os.PathLike, *, force: bool) -> Path:
    """The absolute report path, once its folder is writable and nothing would be replaced."""
    path = Path(output).expanduser()
    if path.suffix.lower() != ".html":
        raise ReportInputError(f"the report {str(output)!r} must be an .html file")
    path = path.absolute()
    folder = path.parent
    if not folder.exists():
        raise ReportInputError(f"cannot write {path}: the folder {folder} does not exist")
    if not folder.is_dir():
        raise ReportInputError(f"cannot write {path}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ReportInputError(f"cannot write {path}: the folder {folder} is not writable")
    try:
        handle, probe = tempfile.mkstemp(dir=folder, prefix=".hbm-report-probe-")
    except OSError as exc:
        raise ReportInputError(
            f"cannot write {path}: the folder {folder} is not writable ({exc.strerror})"
        ) from None
    os.close(handle)
    os.unlink(probe)
    for target in (path, path.with_suffix(".ipynb")):
        if target.is_dir():
            raise ReportInputError(f"cannot write {target}: it is a folder")
        if target.exists() and not force:
            raise ReportInputError(f"{target} already exists; pass --force to replace it")
    return path


def _check_results_json(path, *, force: bool) -> Path | None:
    if path is None:
        return None
    path = Path(path).expanduser().absolute()
    if path.suffix.lower() != ".json":
        raise ReportInputError(f"the results file {str(path)!r} must be a .json file")
    if not path.parent.is_dir():
        raise ReportInputError(f"cannot write {path}: the folder {path.parent} does not exist")
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise ReportInputError(f"cannot write {path}: the folder {path.parent} is not writable")
    if path.is_dir():
        raise ReportInputError(f"cannot write {path}: it is a folder")
    if path.exists() and not force:
        raise ReportInputError(f"{path} already exists; pass --force to replace it")
    return path


def _whole(name: str, value, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ReportInputError(f"{name} must be a whole number >= {low}, got {value!r}")
    return value
