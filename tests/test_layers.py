"""The package's layers: a lower one never imports a higher one, no module imports itself
back through others, each public name is re-exported once, and importing the package is light."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import hbm_widgets

PACKAGE = Path(hbm_widgets.__file__).resolve().parent
# Lowest first; a module may import from its own layer and the layers below it.
RANKS = {
    "_lazy": 0,
    "core": 1,
    "models": 2,
    "lessons": 3,
    "charts": 4,
    "widgets": 5,
    "exercises": 5,
    "report": 6,
}
HEAVY = ("altair", "ipywidgets", "statsmodels", "jax", "numpyro", "nutpie")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _is_module(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _imports(path: Path) -> list[str]:
    """Every hbm_widgets module a file imports, at any depth except ``if TYPE_CHECKING``."""
    found = []

    def visit(node):
        if isinstance(node, ast.If) and _is_type_checking(node):
            return
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                # `from package import submodule` imports the submodule
                candidate = f"{node.module}.{alias.name}"
                found.append(candidate if _is_module(candidate) else node.module)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text()))
    return [name for name in found if name.split(".")[0] == "hbm_widgets"]


MODULES = {
    _module_name(path): _imports(path)
    for path in sorted(PACKAGE.rglob("*.py"))
    if path.parent.name != "__pycache__"
}


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def test_every_module_sits_in_a_layer():
    loose = [m for m in MODULES if m != "hbm_widgets" and _layer(m) not in RANKS]
    assert not loose, f"modules outside the layer folders: {loose}"


def _layer_violations(modules: dict[str, list[str]]) -> list[str]:
    wrong = []
    for module, imported in modules.items():
        if module == "hbm_widgets":
            continue
        for target in imported:
            if target == "hbm_widgets":
                wrong.append(f"{module} imports the whole package")
            elif RANKS[_layer(target)] > RANKS[_layer(module)]:
                wrong.append(f"{module} imports {target}")
    return wrong


def _cycles(modules: dict[str, list[str]]) -> list[str]:
    graph = {m: {t for t in targets if t in modules and t != m} for m, targets in modules.items()}
    state: dict[str, str] = {}
    cycles = []

    def walk(module, trail):
        state[module] = "open"
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                cycles.append(" -> ".join([*trail[trail.index(target) :], target]))
            elif target not in state:
                walk(target, [*trail, target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            walk(module, [module])
    return cycles


def test_no_layer_imports_a_higher_one():
    wrong = _layer_violations(MODULES)
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle():
    cycles = _cycles(MODULES)
    assert not cycles, "\n".join(cycles)


def test_the_checks_catch_a_broken_layer_and_a_cycle():
    broken = {
        "hbm_widgets.core.data": ["hbm_widgets.charts.trace"],
        "hbm_widgets.core.spec": ["hbm_widgets.core.build"],
        "hbm_widgets.core.build": ["hbm_widgets.core.spec"],
        "hbm_widgets.charts.trace": ["hbm_widgets"],
    }
    assert _layer_violations(broken) == [
        "hbm_widgets.core.data imports hbm_widgets.charts.trace",
        "hbm_widgets.charts.trace imports the whole package",
    ]
    assert _cycles(broken) == [
        "hbm_widgets.core.build -> hbm_widgets.core.spec -> hbm_widgets.core.build"
    ]


@pytest.mark.parametrize("layer", [name for name in hbm_widgets.LAYERS])
def test_each_layer_exports_what_its_modules_define(layer):
    package = importlib.import_module(f"hbm_widgets.{layer}")
    exports = getattr(package, "_EXPORTS", None)
    if exports is None:  # exercises: defined in the package itself
        assert all(hasattr(package, name) for name in package.__all__)
        return
    for name, module in exports.items():
        defined = importlib.import_module(f"{package.__name__}.{module}")
        assert name in defined.__all__, f"{name} is not in {defined.__name__}.__all__"
        assert getattr(package, name) is getattr(defined, name)
    modules = {p.stem for p in Path(package.__file__).parent.glob("*.py")} - {"__init__"}
    for module in modules:
        public = importlib.import_module(f"{package.__name__}.{module}").__dict__.get("__all__", ())
        missing = set(public) - set(exports)
        assert not missing, f"{package.__name__}.{module} defines {missing}, not re-exported"
    shadowed = set(exports) & modules
    assert not shadowed, f"names that are also module names: {shadowed}"


def test_no_public_name_is_exported_by_two_layers():
    seen: dict[str, str] = {}
    for layer in hbm_widgets.LAYERS:
        for name in importlib.import_module(f"hbm_widgets.{layer}").__all__:
            assert name not in seen, f"{name} is exported by {seen[name]} and {layer}"
            seen[name] = layer


# A module a newcomer can read in one sitting; a longer one is split by what its parts do.
MOST_LINES = 500


def test_no_module_is_longer_than_most_lines():
    lengths = {
        str(path.relative_to(PACKAGE)): len(path.read_text(encoding="utf-8").splitlines())
        for path in PACKAGE.rglob("*.py")
    }
    long = {name: n for name, n in lengths.items() if n > MOST_LINES}
    assert not long, f"modules over {MOST_LINES} lines: {long}"


def test_importing_the_package_and_its_core_loads_nothing_heavy():
    code = (
        "import sys, hbm_widgets as hbm\n"
        "assert 'pymc' not in sys.modules and 'pandas' not in sys.modules\n"
        "for name in hbm.core.__all__: getattr(hbm, name)\n"
        "assert 'hbm_widgets.report' not in sys.modules\n"
        # ArviZ registers JAX and NumPyro as lazy modules, loaded only when first touched.
        "loaded = [m for m in sys.modules if type(sys.modules[m]).__name__ != '_LazyModule']\n"
        f"print(','.join(m for m in {HEAVY!r} if m in loaded))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def test_charts_load_without_building_jsonschemas_iri_parser():
    code = (
        "import sys, hbm_widgets as hbm\n"
        "hbm.use_chart_renderer(); hbm.plot_forest\n"
        "import jsonschema\n"
        "assert 'altair' in sys.modules\n"
        "print('lark' in sys.modules, 'iri' in jsonschema.FormatChecker().checkers)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False"]
    # Without the workbook the check is there (so the test above could fail).
    code = "import jsonschema; print('iri' in jsonschema.FormatChecker().checkers)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.stdout.split() == ["True"]


def test_unknown_names_are_refused_plainly():
    with pytest.raises(AttributeError, match="no attribute 'not_a_helper'"):
        hbm_widgets.not_a_helper  # noqa: B018
    with pytest.raises(AttributeError, match="no attribute 'not_a_helper'"):
        hbm_widgets.core.not_a_helper  # noqa: B018


def test_the_report_command_refuses_a_missing_file_before_loading_models(tmp_path):
    # A mistake is answered in about a second: nothing heavy is imported to say it.
    code = (
        "import sys\n"
        "from hbm_widgets.report import main\n"
        f"status = main(['data', {str(tmp_path / 'missing.csv')!r}, '--group', 'g', "
        f"'--outcome', 'y', '-o', {str(tmp_path / 'r.html')!r}])\n"
        "assert status == 2, status\n"
        "print(','.join(m for m in ('pymc', 'arviz', 'altair', 'pandas') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
    assert "no such file" in done.stderr


def test_a_data_report_is_checked_without_loading_pymc(tmp_path):
    # The kernel loads PyMC and ArviZ to fit; the command checks the file and the three
    # models against it without them.
    csv = tmp_path / "scores.csv"
    csv.write_text(
        "school,score,hours\n"
        + "".join(f"s{i % 4},{i % 7 + 0.25 * i},{i % 3}\n" for i in range(40))
    )
    code = (
        "import sys\n"
        "from hbm_widgets.report.jobs import data_job\n"
        f"job = data_job({str(csv)!r}, group='school', outcome='score', predictor='hours', "
        f"varying='both', output={str(tmp_path / 'r.html')!r})\n"
        "assert job.parameters['varying'] == 'both'\n"
        "print(','.join(m for m in ('pymc', 'arviz', 'pytensor') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def test_a_first_fit_loads_no_plotting_library():
    # A learner's first fit waits for every import it makes: ArviZ's plotting half and
    # matplotlib (about a second) load when a chapter first plots, not when it first fits.
    code = (
        "import sys\n"
        "import hbm_widgets as hbm\n"
        "data = hbm.GroupedData.from_frame(hbm.load_radon(), group='county', "
        "outcome='log_radon', predictor='floor')\n"
        "model = hbm.build_model(hbm.ModelSpec(pooling='partial'), data)\n"
        "hbm.sample(model, random_seed=1, draws=20, tune=20, chains=1)\n"
        "print(','.join(m for m in ('arviz', 'arviz_plots', 'matplotlib', 'altair') "
        "if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
