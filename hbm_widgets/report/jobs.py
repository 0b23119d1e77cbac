"""The reports ``hbm-report`` makes: a chapter, a data file, or a batch file of both.

:func:`chapter_job`, :func:`data_job` and :func:`batch_jobs` check everything that can be
checked before a kernel starts and return :class:`ReportJob` records for
:mod:`hbm_widgets.report.running` to execute.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hbm_widgets.core.errors import WorkbookInputError
from hbm_widgets.report.checks import (
    FORMULA_TEMPLATE,
    TEMPLATE,
    ReportInputError,
    _check_output,
    _check_parameters,
    _check_results_json,
    _one_line,
    _read_parameter_file,
    _whole,
    chapter_path,
)
from hbm_widgets.report.formula_input import FORMULA_FAMILIES, check_formula_file

__all__ = ["ReportJob", "batch_jobs", "chapter_job", "data_job", "formula_job"]

# The outcome families ``--family`` may name (None: the loader decides, refusing an outcome
# that looks binary or like counts). Any but gaussian is fitted as a formula.
FAMILIES = FORMULA_FAMILIES


@dataclass(frozen=True)
class ReportJob:
    """One report to make: which notebook, with which parameters, to which file.

    Make it with :func:`chapter_job`, :func:`data_job` or :func:`batch_jobs`, which check
    everything that can be checked before a kernel starts; run it with
    :func:`~hbm_widgets.report.running.run_report`.
    """

    kind: str  # "chapter" or "data"
    label: str  # how the job is named in messages
    notebook: Path  # the notebook to execute
    parameters: dict[str, Any]  # papermill parameters, results_path excepted
    output: Path  # the HTML report
    cwd: Path  # the kernel's working folder
    show_code: bool = False
    force: bool = False
    results_json: Path | None = None  # where to keep the recorded figures, if anywhere

    @property
    def notebook_output(self) -> Path:
        """Where the executed notebook is kept: the report's path with ``.ipynb``."""
        return self.output.with_suffix(".ipynb")

    @property
    def written(self) -> dict[str, Path]:
        """Every file the job writes, by what it is."""
        files = {"report": self.output, "executed notebook": self.notebook_output}
        if self.results_json is not None:
            files["results file"] = self.results_json
        return files


def chapter_job(
    chapter: str | os.PathLike,
    parameters: Mapping[str, Any] | None = None,
    *,
    output: str | os.PathLike,
    parameter_files: Sequence[str | os.PathLike] = (),
    show_code: bool = False,
    force: bool = False,
    results_json: str | os.PathLike | None = None,
) -> ReportJob:
    """Check a chapter report: the chapter exists, the parameters are its own and well typed.

    Parameters
    ----------
    chapter : str or path
        ``"01-bayes-rule"``, ``"01"`` or the path of a notebook.
    parameters : mapping, optional
        Values for the chapter's parameters cell; they override those from the files.
    output : path
        The HTML report; the executed notebook goes beside it with ``.ipynb``.
    parameter_files : sequence of paths
        YAML files of parameters, read in order (as papermill's ``-f``).
    show_code, force : bool
        Include the code in the report; replace existing output files.
    results_json : path, optional
        Also keep the figures the chapter recorded (``hbm.record_results``) as JSON here.

    Raises
    ------
    ReportInputError
    """
    notebook = chapter_path(chapter)
    merged: dict[str, Any] = {}
    for path in parameter_files:
        merged.update(_read_parameter_file(path))
    merged.update(parameters or {})
    checked = _check_parameters(merged, notebook, f"chapter {notebook.stem}")
    return ReportJob(
        kind="chapter",
        label=f"chapter {notebook.stem}",
        notebook=notebook,
        parameters=checked,
        output=_check_output(output, force=force, notebook=notebook),
        cwd=notebook.parent,
        show_code=show_code,
        force=force,
        results_json=_check_results_json(results_json, force=force),
    )


def data_job(
    csv: str | os.PathLike,
    *,
    group: str | None = None,
    outcome: str | None = None,
    output: str | os.PathLike,
    formula: str | None = None,
    predictor: str | None = None,
    group_predictor: str | None = None,
    pooling: str = "partial",
    varying: str = "intercept",
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    seed: int = 8927,
    target_accept: float = 0.9,
    missing: str = "error",
    family: str | None = None,
    show_code: bool = False,
    force: bool = False,
    results_json: str | os.PathLike | None = None,
) -> ReportJob:
    """Check a data report: the file, its columns and the models, before any kernel starts.

    The CSV is loaded with :func:`hbm_widgets.load_grouped_csv` and the three models the
    report fits are checked against it (:func:`hbm_widgets.check_compatible`), so that a bad
    file or an impossible model fails here with one clear message, without loading PyMC.
    ``family`` names the outcome's family (``"gaussian"`` fits a normal model whatever the
    outcome looks like); None lets the loader refuse an outcome of 0/1 values or counts. A
    ``formula``, or a family other than gaussian, makes the formula report instead
    (:func:`formula_job`).

    Raises
    ------
    ReportInputError, DataValidationError, SpecificationError
    """
    if formula is not None:
        roles = {"--group": group, "--outcome": outcome, "--predictor": predictor}
        given = [option for option, value in roles.items() if value is not None]
        if group_predictor is not None:
            given.append("--group-predictor")
        if given:
            raise ReportInputError(
                f"--formula already names every column; leave out {', '.join(given)}"
            )
    if formula is not None or family not in (None, "gaussian"):
        return formula_job(
            csv,
            formula=formula,
            roles={"outcome": outcome, "group": group, "predictor": predictor, "varying": varying},
            family=family,
            output=output,
            draws=draws,
            tune=tune,
            chains=chains,
            seed=seed,
            target_accept=target_accept,
            missing=missing,
            show_code=show_code,
            force=force,
            results_json=results_json,
        )
    if group is None or outcome is None:
        missing_options = [n for n, v in (("--group", group), ("--outcome", outcome)) if v is None]
        raise ReportInputError(
            f"the following arguments are required: {', '.join(missing_options)} "
            "(or give --formula)"
        )
    csv_path = Path(csv).expanduser()
    # A missing file is the commonest mistake: said before PyMC is loaded (seconds).
    if not csv_path.is_file():
        raise ReportInputError(f"no such file: {csv_path}")
    settings = _checked_settings(draws, tune, chains, seed, target_accept)
    draws, chains = settings["draws"], settings["chains"]
    if varying in ("slope", "both") and predictor is None:
        raise ReportInputError(
            f"varying={varying!r} needs a predictor whose slope can vary; name one with --predictor"
        )
    # The loader and the template take ``family`` only when one is named.
    family_option = {} if family is None else {"family": family}
    parameters = {
        **settings,
        "csv_path": str(csv_path.resolve()),
        "group": group,
        "outcome": outcome,
        "predictor": predictor,
        "group_predictor": group_predictor,
        "missing": missing,
        "pooling": pooling,
        "varying": varying,
        **family_option,
    }
    # The values were checked above; the template's names are checked here, so that the
    # two cannot drift apart unnoticed. Both this and the outputs are checked before the
    # file is read.
    checked = _check_parameters(parameters, TEMPLATE, "the report template", check_types=False)
    output_path = _check_output(output, force=force, notebook=TEMPLATE)
    results_path = _check_results_json(results_json, force=force)
    # The file is read, sized and checked with pandas alone: PyMC is left to the kernel.
    from hbm_widgets.core.data import load_grouped_csv
    from hbm_widgets.core.large_data import check_report_size

    data = load_grouped_csv(
        csv_path,
        group=group,
        outcome=outcome,
        predictor=predictor,
        group_predictor=group_predictor,
        missing=missing,
        **family_option,
    )
    # A file too large for the machine is refused now, with its size and what would fit,
    # rather than by the kernel a minute later.
    check_report_size(data.n_obs, data.n_groups, draws=draws, chains=chains, varying=varying)
    # The specs are checked against the data without building the models, which would load
    # PyMC and ArviZ here (8 s) only for the kernel to load them again.
    from hbm_widgets.core.spec import POOLING_STRATEGIES, check_compatible, pooling_strategy_specs

    if pooling not in POOLING_STRATEGIES:
        raise ReportInputError(
            f"unknown pooling {pooling!r}; expected one of: {', '.join(POOLING_STRATEGIES)}"
        )
    specs = pooling_strategy_specs(varying=varying, group_predictor=group_predictor is not None)
    for spec in specs.values():
        check_compatible(spec, data)
    return ReportJob(
        kind="data",
        label=f"data {csv_path.name}",
        notebook=TEMPLATE,
        parameters=checked,
        output=output_path,
        cwd=output_path.parent,
        show_code=show_code,
        force=force,
        results_json=results_path,
    )


def _checked_settings(draws, tune, chains, seed, target_accept) -> dict[str, Any]:
    if isinstance(target_accept, bool) or not isinstance(target_accept, int | float):
        raise ReportInputError(f"target_accept must be a number, got {target_accept!r}")
    if not 0 < target_accept < 1:
        raise ReportInputError(f"target_accept must be between 0 and 1, got {target_accept!r}")
    return {
        "draws": _whole("draws", draws, 1),
        "tune": _whole("tune", tune, 0),
        "chains": _whole("chains", chains, 1),
        "RANDOM_SEED": _whole("seed", seed, 0),
        "target_accept": float(target_accept),
    }


def formula_job(
    csv: str | os.PathLike,
    *,
    formula: str | None,
    output: str | os.PathLike,
    family: str | None = None,
    roles: Mapping[str, str | None] | None = None,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    seed: int = 8927,
    target_accept: float = 0.9,
    missing: str = "error",
    show_code: bool = False,
    force: bool = False,
    results_json: str | os.PathLike | None = None,
) -> ReportJob:
    """Check a formula report without loading pandas or PyMC (the answer takes a fraction
    of a second): the file is a CSV with a header and rows, the formula's names are columns,
    the outcome suits ``family``, the outputs are new. ``formula=None`` takes the formula
    from ``roles`` (``outcome``, ``group``, ``predictor``, ``varying``), as
    :func:`hbm_widgets.formula_from_roles` writes it in the kernel. The kernel checks the
    whole formula again; its refusals end the command with status 2 too.

    Raises
    ------
    ReportInputError
    """
    csv_path = Path(csv).expanduser()
    if not csv_path.is_file():
        raise ReportInputError(f"no such file: {csv_path}")
    if family is not None and family not in FORMULA_FAMILIES:
        raise ReportInputError(
            f"unknown family {family!r}; expected one of: {', '.join(FORMULA_FAMILIES)}"
        )
    if missing not in ("error", "drop"):
        raise ReportInputError(f"missing must be 'error' or 'drop', got {missing!r}")
    roles = dict(roles or {})
    if formula is None:
        if roles.get("group") is None or roles.get("outcome") is None:
            raise ReportInputError(
                f"family {family!r} needs --formula, or --group and --outcome to make one"
            )
        varying = roles.get("varying") or "intercept"
        if varying != "intercept" and roles.get("predictor") is None:
            raise ReportInputError(
                f"varying={varying!r} needs a predictor whose slope can vary; name one with "
                "--predictor"
            )
        # What formula_from_roles writes, checked here for its column names only.
        shown = " + ".join(filter(None, [roles.get("predictor"), f"(1 | {roles['group']})"]))
        check_formula_file(csv_path, f"{roles['outcome']} ~ {shown}", family)
    else:
        check_formula_file(csv_path, formula, family)
    parameters = {
        **_checked_settings(draws, tune, chains, seed, target_accept),
        "csv_path": str(csv_path.resolve()),
        "formula": formula,
        "family": family,
        "missing": missing,
    }
    if formula is None:
        parameters.update(
            outcome=roles["outcome"],
            group=roles["group"],
            predictor=roles.get("predictor"),
            varying=roles.get("varying") or "intercept",
        )
    checked = _check_parameters(
        parameters, FORMULA_TEMPLATE, "the formula report template", check_types=False
    )
    output_path = _check_output(output, force=force, notebook=FORMULA_TEMPLATE)
    return ReportJob(
        kind="data",
        label=f"data {csv_path.name}",
        notebook=FORMULA_TEMPLATE,
        parameters=checked,
        output=output_path,
        cwd=output_path.parent,
        show_code=show_code,
        force=force,
        results_json=_check_results_json(results_json, force=force),
    )


_CHAPTER_KEYS = {
    "chapter",
    "parameters",
    "parameter_files",
    "output",
    "results_json",
    "show_code",
    "force",
}
_DATA_KEYS = {
    "data",
    "formula",
    "group",
    "outcome",
    "predictor",
    "group_predictor",
    "pooling",
    "varying",
    "draws",
    "tune",
    "chains",
    "seed",
    "target_accept",
    "missing",
    "family",
    "output",
    "results_json",
    "show_code",
    "force",
}


def batch_jobs(path: str | os.PathLike, *, force: bool = False) -> list[ReportJob]:
    """Read and check every job of a batch file before any runs.

    The YAML file holds ``jobs:``, a list (or is itself the list). Each job is either a
    chapter (``chapter``, ``parameters``, ``output``) or a data report (``data`` for the
    CSV file and the options of ``hbm-report data`` with underscores: ``group``,
    ``outcome``, ``predictor``, ``group_predictor``, ``pooling``, ``varying``, ``draws``,
    ``tune``, ``chains``, ``seed``, ``target_accept``, ``missing``, ``family``, ``formula``,
    ``output``); either may
    set ``show_code``, ``force`` and ``results_json``. Relative paths are taken from the YAML
    file's folder.

    Raises
    ------
    ReportInputError
        Naming the job (``job 2``) and what is wrong with it.
    """
    path = Path(path)
    if not path.is_file():
        raise ReportInputError(f"batch file {path} does not exist")
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ReportInputError(f"batch file {path} is not valid YAML: {exc}") from None
    if isinstance(loaded, dict) and set(loaded) == {"jobs"}:
        loaded = loaded["jobs"]
    if not isinstance(loaded, list) or not loaded:
        raise ReportInputError(f"batch file {path} must hold a non-empty list 'jobs:' of reports")
    base = path.resolve().parent

    def local(value) -> Path:
        candidate = Path(str(value)).expanduser()
        return candidate if candidate.is_absolute() else base / candidate

    jobs: list[ReportJob] = []
    for number, entry in enumerate(loaded, start=1):
        where = f"job {number} of {path.name}"
        try:
            if not isinstance(entry, dict):
                raise ReportInputError(f"must be a mapping, got {entry!r}")
            if "output" not in entry:
                raise ReportInputError("has no 'output'")
            if ("chapter" in entry) == ("data" in entry):
                raise ReportInputError("must name either a 'chapter' or a 'data' file")
            allowed = _CHAPTER_KEYS if "chapter" in entry else _DATA_KEYS
            unknown = sorted(set(entry) - allowed)
            if unknown:
                expected = ", ".join(sorted(allowed))
                raise ReportInputError(
                    f"has unknown key {unknown[0]!r}; expected some of: {expected}"
                )
            options = {
                "output": local(entry["output"]),
                "results_json": local(entry["results_json"]) if "results_json" in entry else None,
                "show_code": bool(entry.get("show_code", False)),
                "force": bool(entry.get("force", False)) or force,
            }
            if "chapter" in entry:
                parameters = entry.get("parameters") or {}
                if not isinstance(parameters, dict):
                    raise ReportInputError("'parameters' must be a mapping of names to values")
                files = entry.get("parameter_files") or []
                if isinstance(files, str):
                    files = [files]
                chapter = str(entry["chapter"])
                if chapter.endswith(".ipynb"):
                    chapter = str(local(chapter))
                job = chapter_job(
                    chapter,
                    {str(k): v for k, v in parameters.items()},
                    parameter_files=[local(f) for f in files],
                    **options,
                )
            else:
                settings = {k: v for k, v in entry.items() if k in _DATA_KEYS - {"data"}}
                settings.update(options)
                job = data_job(local(entry["data"]), **settings)
        except WorkbookInputError as exc:
            raise ReportInputError(f"{where}: {_one_line(exc)}") from None
        jobs.append(job)
    _refuse_shared_files(jobs, path.name)
    return jobs


def _refuse_shared_files(jobs: Sequence[ReportJob], batch_name: str) -> None:
    """Refuse two jobs writing one file, however its path is spelled (links, ``..``)."""
    writers: dict[str, tuple[int, str, Path]] = {}
    for number, job in enumerate(jobs, start=1):
        for what, target in job.written.items():
            real = os.path.realpath(target)
            if real in writers and writers[real][0] != number:
                first, first_what, first_path = writers[real]
                raise ReportInputError(
                    f"jobs {first} and {number} of {batch_name} both write {real} "
                    f"(job {first}'s {first_what} {first_path}, job {number}'s {what} {target})"
                )
            writers.setdefault(real, (number, what, target))
