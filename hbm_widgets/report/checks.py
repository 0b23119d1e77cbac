"""Checking what ``hbm-report`` is asked for, before any kernel starts.

Chapters are looked up by name or number; parameters are checked against a notebook's
``parameters`` cell, read here with :mod:`ast` (names, the types of their defaults, and the
allowed values its comments declare); output paths must be writable, new, and none of the
notebooks the command reads. Every refusal is a :class:`ReportInputError`: exit status 2 and
one line.
"""

from __future__ import annotations

import ast
import io
import json
import math
import operator
import os
import re
import tempfile
import tokenize
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hbm_widgets.core.errors import WorkbookInputError

__all__ = ["ReportInputError", "chapter_path", "notebooks_dir", "resolve_value"]

PROG = "hbm-report"
REPORT_DIR = Path(__file__).resolve().parent
TEMPLATE = REPORT_DIR / "templates" / "grouped-data-report.ipynb"
FORMULA_TEMPLATE = REPORT_DIR / "templates" / "formula-report.ipynb"
NOTEBOOKS_ENV = "HBM_NOTEBOOKS_DIR"
RESULTS_PARAMETER = "results_path"


class ReportInputError(WorkbookInputError):
    """A report cannot be made from the input given (exit status 2)."""


def _one_line(text: str) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(text))
    return " ".join(text.split())


WORKBOOK_NOTEBOOKS = REPORT_DIR.parent.parent / "notebooks"


def notebooks_dir() -> Path:
    """The chapters' folder (``HBM_NOTEBOOKS_DIR`` overrides it)."""
    override = os.environ.get(NOTEBOOKS_ENV)
    if override:
        return Path(override)
    return WORKBOOK_NOTEBOOKS


def _chapters(folder: Path | None = None) -> list[Path]:
    return sorted((folder or notebooks_dir()).glob("[0-9][0-9]-*.ipynb"))


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


# --------------------------------------------------------------------------------------------
# The parameters cell: names, literal defaults and allowed values


_NO_LITERAL = object()
_COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_OP = r"(?:<=|>=|<|>)"
# "(> 0)", "(>= 1)", "(0 < target_accept < 1)", each optionally after "each " for the
# numbers of a list or mapping; always the last thing in the comment.
_ONE_SIDED = re.compile(rf"(?P<op>{_OP})\s*(?P<bound>{_NUMBER})")
_TWO_SIDED = re.compile(
    rf"(?P<low>{_NUMBER})\s*(?P<low_op><=|<)\s*(?P<name>\w+)\s*(?P<high_op><=|<)\s*(?P<high>{_NUMBER})"
)
# A comment's last parenthesised words are a condition when they open with a comparison
# or a number and a comparison, after an optional "each": "(mu > threshold)" is prose.
_TRAILING_PARENTHESES = re.compile(r"(?:^|\s)\(([^()]*)\)\s*$")
_LOOKS_LIKE_CONDITION = re.compile(rf"(?:each\s+)?(?:{_OP}|{_NUMBER}\s*{_OP})")


@dataclass(frozen=True)
class Condition:
    """The values a numeric parameter allows, as its comment declares them."""

    text: str  # as written, without "each": "> 0", "0 < target_accept < 1"
    tests: tuple[tuple[str, float], ...]  # (operator, bound) pairs the value must pass
    each: bool = False  # applies to every number of a list or mapping

    def allows(self, number) -> bool:
        return all(_COMPARE[op](number, bound) for op, bound in self.tests)


@dataclass(frozen=True)
class Parameter:
    """One assignment of a ``parameters`` cell."""

    name: str
    default: Any  # the literal default, or _NO_LITERAL when it is computed
    comment: str  # the comment on the assignment's last line, without "#"
    condition: Condition | None = None


def _condition(name: str, comment: str, where: str) -> Condition | None:
    """The condition that ends ``comment``, if any; a malformed one is an error."""
    found = _TRAILING_PARENTHESES.search(comment)
    if found is None or not _LOOKS_LIKE_CONDITION.match(found.group(1).strip()):
        return None
    text = found.group(1).strip()
    body = text.removeprefix("each ").strip()
    one_sided = _ONE_SIDED.fullmatch(body)
    if one_sided:
        tests = ((one_sided["op"], float(one_sided["bound"])),)
        return Condition(body, tests, each=text.startswith("each "))
    two_sided = _TWO_SIDED.fullmatch(body)
    if two_sided and two_sided["name"] == name:
        flipped = {"<": ">", "<=": ">="}
        tests = (
            (flipped[two_sided["low_op"]], float(two_sided["low"])),
            (two_sided["high_op"], float(two_sided["high"])),
        )
        return Condition(body, tests, each=text.startswith("each "))
    raise ReportInputError(
        f"{where}: cannot read the allowed values '({text})' of parameter {name!r}; write "
        f"'(> 0)', '(>= 1)' or '(0 < {name} < 1)', with 'each ' first for a list"
    )


def _parameters_source(notebook: Path) -> str | None:
    try:
        cells = json.loads(Path(notebook).read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError, AttributeError) as exc:
        raise ReportInputError(f"cannot read the notebook {notebook}: {exc}") from None
    for cell in cells:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            source = cell.get("source", "")
            return "".join(source) if isinstance(source, list) else source
    return None


def _declared_parameters(notebook: Path) -> dict[str, Parameter]:
    """The assignments of a notebook's ``parameters`` cell, by name, in order.

    Each has its literal default (``_NO_LITERAL`` when computed), the comment on its last
    line, and the allowed values that comment ends with, if any. Empty without such a cell.
    """
    source = _parameters_source(notebook)
    if source is None:
        return {}
    where = f"the parameters cell of {Path(notebook).name}"
    try:
        tree = ast.parse(source)
        comments = {
            token.start[0]: token.string.lstrip("#").strip()
            for token in tokenize.generate_tokens(io.StringIO(source).readline)
            if token.type == tokenize.COMMENT
        }
    except (SyntaxError, tokenize.TokenError) as exc:
        raise ReportInputError(f"{where} is not valid Python: {_one_line(exc)}") from None
    declared: dict[str, Parameter] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if not isinstance(target, ast.Name):
            continue
        try:
            default = ast.literal_eval(value)
        except (ValueError, SyntaxError, TypeError):
            default = _NO_LITERAL
        comment = comments.get(node.end_lineno, "")
        condition = _condition(target.id, comment, where)
        declared[target.id] = Parameter(target.id, default, comment, condition)
    return declared


# --------------------------------------------------------------------------------------------
# Values


class _NoDatesLoader(yaml.SafeLoader):
    """YAML's safe loader with dates left as text, as papermill reads parameters."""


_NoDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def resolve_value(text: str, *, name: str | None = None):
    """A ``-p`` value: a list or mapping when it starts with ``[`` or ``{`` (a Python literal
    or YAML flow), else read the way papermill reads it: bool, None, int, float, else text.
    """
    stripped = text.strip()
    if stripped[:1] in ("[", "{"):
        try:
            return ast.literal_eval(stripped)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            pass
        try:
            loaded = yaml.load(stripped, Loader=_NoDatesLoader)
        except yaml.YAMLError as exc:
            where = f"the value of {name!r}" if name else "the value"
            kind = "list" if stripped[0] == "[" else "mapping"
            problem = _one_line(getattr(exc, "problem", None) or exc)
            raise ReportInputError(
                f"{where}, {text!r}, is not a {kind} that can be read ({problem}); write it "
                'as in Python or YAML, e.g. [1, 2] or {"a": [1, 2]}, quoted for the shell'
            ) from None
        return loaded
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


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _typed(name: str, value, default):
    """``value`` if it has the type of ``default`` (an int is a float too); else an error.

    A list or mapping whose default holds items of one type must hold items of that type
    (any number where the default's are numbers).
    """
    if default is _NO_LITERAL or default is None:
        return value
    kind = type(default)
    if kind is bool:
        ok = isinstance(value, bool)
    elif kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind is float:
        ok = _is_number(value)
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
    if kind in (list, tuple, dict):
        items = list(default.values() if kind is dict else default)
        given = list(value.values() if kind is dict else value)
        if items and all(_is_number(item) for item in items):
            # Numbers in a list may be whole or not whatever the default's are: chapter 07's
            # LKJ shapes default to whole numbers, and 0.5 is one worth trying.
            for item in given:
                if not _is_number(item):
                    raise ReportInputError(
                        f"parameter {name!r} must hold numbers like its default {default!r}, "
                        f"got {item!r} in {value!r}"
                    )
        elif items and len({type(item) for item in items}) == 1:
            if kind is dict:
                value = {k: _typed(f"{name}[{k!r}]", v, items[0]) for k, v in value.items()}
            else:
                value = [_typed(f"{name}[{i}]", v, items[0]) for i, v in enumerate(value)]
    return value


def _numbers(value) -> list:
    """Every number in a value, through lists and the values of mappings."""
    if _is_number(value):
        return [value]
    if isinstance(value, list | tuple):
        return [n for item in value for n in _numbers(item)]
    if isinstance(value, dict):
        return [n for item in value.values() for n in _numbers(item)]
    return []


def _allowed(parameter: Parameter, value):
    """``value`` if it passes the parameter's declared condition; else an error naming both."""
    condition, name = parameter.condition, parameter.name
    if condition is None or value is None:
        return value
    whole = isinstance(parameter.default, int) and not isinstance(parameter.default, bool)
    joined = " with " if len(condition.tests) == 2 else " "
    wanted = ("a whole number" if whole else "a number") + joined + condition.text
    if condition.each:
        bad = [n for n in _numbers(value) if math.isnan(n) or not condition.allows(n)]
        if bad:
            raise ReportInputError(
                f"parameter {name!r} must hold only values {condition.text}, got {bad[0]!r} "
                f"in {value!r}"
            )
        return value
    if not _is_number(value) or math.isnan(value) or not condition.allows(value):
        raise ReportInputError(f"parameter {name!r} must be {wanted}, got {value!r}")
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
        if check_types:
            value = _allowed(declared[name], _typed(name, value, declared[name].default))
        checked[name] = value
    return checked


def _read_parameter_file(path: str | os.PathLike) -> dict:
    path = Path(path)
    if not path.is_file():
        raise ReportInputError(f"parameters file {path} does not exist")
    try:
        loaded = yaml.load(path.read_text(encoding="utf-8"), Loader=_NoDatesLoader)
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


# --------------------------------------------------------------------------------------------
# Outputs


def _read_notebooks(notebook: Path | None) -> dict[str, str]:
    """Real path -> description of every notebook a report reads and must never replace:
    the chapters (of ``HBM_NOTEBOOKS_DIR`` and of the workbook), the template, ``notebook``."""
    chapters = _chapters() + _chapters(WORKBOOK_NOTEBOOKS)
    protected = {os.path.realpath(p): f"chapter {p.stem}" for p in chapters}
    protected[os.path.realpath(TEMPLATE)] = "the data report's template"
    protected[os.path.realpath(FORMULA_TEMPLATE)] = "the formula report's template"
    if notebook is not None:
        protected[os.path.realpath(notebook)] = "the notebook being run"
    return protected


def _check_output(
    output: str | os.PathLike, *, force: bool, notebook: str | os.PathLike | None = None
) -> Path:
    """The absolute report path, once its folder is writable and nothing would be replaced.

    Neither the report nor the executed notebook beside it may be (through symbolic links
    or ``..``) ``notebook``, a chapter, or the data report's template, even with ``force``.
    """
    path = Path(output).expanduser()
    if path.suffix.lower() != ".html":
        raise ReportInputError(f"the report {str(output)!r} must be an .html file")
    path = path.absolute()
    protected = _read_notebooks(None if notebook is None else Path(notebook))
    for target in (path, path.with_suffix(".ipynb")):
        real = os.path.realpath(target)
        if real in protected:
            raise ReportInputError(
                f"cannot write {target}: it is {protected[real]} ({real}); "
                "write the report somewhere else"
            )
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
