"""``hbm-report`` under hostile input: outputs onto the notebooks it reads, signals mid-run,
one file reached by two spellings, parameters out of their declared range.

Every refusal ends with exit status 2 and one line on stderr, and leaves every file as it
was; a stopped run leaves no file, no temporary folder and no kernel behind.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pytest

from hbm_widgets.report import checks, running
from hbm_widgets.report.command import main
from hbm_widgets.report.jobs import TEMPLATE, chapter_job, data_job
from tests.test_report import one_error_line, simulate_scores, write_notebook

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SCRIPT = Path(sys.executable).parent / "hbm-report"
INTERRUPTED = "hbm-report: error: interrupted; no report was written"


def snapshot(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def parameters_cell(path: Path) -> str:
    notebook = nbformat.read(path, as_version=4)
    (cell,) = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    return cell.source


# --------------------------------------------------------------------------------------------
# 1 and 5: no output may be a notebook the command reads


@pytest.fixture
def chapters_copy(tmp_path, monkeypatch):
    """A copy of the chapters, which the command takes for its notebooks folder."""
    copy = tmp_path / "notebooks"
    copy.mkdir()
    for chapter in NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"):
        shutil.copy2(chapter, copy / chapter.name)
    (copy / "sub").mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "linked.ipynb").symlink_to(copy / "05-radon-deeper.ipynb")
    simulate_scores().to_csv(tmp_path / "scores.csv", index=False)
    monkeypatch.setenv(checks.NOTEBOOKS_ENV, str(copy))
    return tmp_path


def _data_to(folder: Path, output: Path) -> list[str]:
    csv = str(folder / "scores.csv")
    return ["data", csv, "--group", "school", "--outcome", "score", "-o", str(output), "--force"]


OUTPUTS_ONTO_NOTEBOOKS = [
    (
        lambda f: ["01", "-o", str(f / "notebooks" / "01-bayes-rule.html"), "--force"],
        r"cannot write .*/notebooks/01-bayes-rule\.ipynb: it is the notebook being run",
    ),
    (
        lambda f: [
            "01",
            "-o",
            str(f / "notebooks/sub/../03-shrinkage-and-pooling.html"),
            "--force",
        ],
        r"cannot write .*/sub/\.\./03-shrinkage-and-pooling\.ipynb: it is chapter "
        r"03-shrinkage-and-pooling \(.*/notebooks/03-shrinkage-and-pooling\.ipynb\)",
    ),
    (
        lambda f: ["02", "-o", str(f / "out" / "linked.html"), "--force"],
        r"cannot write .*/out/linked\.ipynb: it is chapter 05-radon-deeper",
    ),
    (
        lambda f: _data_to(f, f / "notebooks" / "11-hierarchical-glm.html"),
        r"cannot write .*/11-hierarchical-glm\.ipynb: it is chapter 11-hierarchical-glm",
    ),
    (
        lambda f: _data_to(f, TEMPLATE.with_suffix(".html")),
        r"cannot write .*grouped-data-report\.ipynb: it is the notebook being run",
    ),
    (
        lambda f: ["01", "-o", str(TEMPLATE.with_suffix(".html")), "--force"],
        r"cannot write .*grouped-data-report\.ipynb: it is the data report's template",
    ),
    (
        lambda f: ["01", "-o", str(NOTEBOOKS / "04-radon-pooling.html"), "--force"],
        r"cannot write .*/04-radon-pooling\.ipynb: it is chapter 04-radon-pooling",
    ),
]


@pytest.mark.parametrize(
    ("argv", "message"),
    OUTPUTS_ONTO_NOTEBOOKS,
    ids=["itself", "another-chapter-by-dotdot", "chapter-by-symlink", "data-onto-chapter",
         "data-onto-template", "chapter-onto-template", "the-workbooks-own-chapter"],
)  # fmt: skip
def test_no_output_replaces_a_notebook_the_command_reads(chapters_copy, capsys, argv, message):
    before = snapshot(chapters_copy)
    template_folder = snapshot(TEMPLATE.parent)
    workbook_chapters = {p: p.stat().st_mtime_ns for p in NOTEBOOKS.iterdir()}
    with pytest.MonkeyPatch.context() as patch:
        # The first refusal on the data path comes before PyMC is loaded.
        patch.setitem(sys.modules, "pymc", None)
        assert main(argv(chapters_copy)) == 2
    line = one_error_line(capsys)
    assert re.search(message, line), line
    assert line.endswith("write the report somewhere else")
    assert snapshot(chapters_copy) == before
    assert snapshot(TEMPLATE.parent) == template_folder
    assert {p: p.stat().st_mtime_ns for p in NOTEBOOKS.iterdir()} == workbook_chapters


def test_a_chapter_copy_is_refused_when_run_through_the_console_script(chapters_copy):
    chapter = chapters_copy / "notebooks" / "01-bayes-rule.ipynb"
    original = chapter.read_bytes()
    argv = ["01", "-o", str(chapter.with_suffix(".html")), "--force"]
    done = subprocess.run([str(SCRIPT), *argv], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr == (
        f"hbm-report: error: cannot write {chapter}: it is the notebook being run ({chapter}); "
        "write the report somewhere else\n"
    )
    assert chapter.read_bytes() == original
    assert not chapter.with_suffix(".html").exists()


# --------------------------------------------------------------------------------------------
# 2: Ctrl-C and SIGTERM mid-run


def sleeping_notebook(path: Path) -> Path:
    """A notebook whose kernel writes its pid and its parent's, then sleeps."""
    parameters = nbformat.v4.new_code_cell('RANDOM_SEED = 1\npid_file = "pid.txt"\nseconds = 600')
    parameters.metadata["tags"] = ["parameters"]
    body = nbformat.v4.new_code_cell(
        "import os\nimport time\n\n"
        "with open(pid_file + '.tmp', 'w') as handle:\n"
        "    handle.write(f'{os.getpid()} {os.getppid()}')\n"
        "os.replace(pid_file + '.tmp', pid_file)\n"
        "time.sleep(seconds)"
    )
    return write_notebook(nbformat.v4.new_notebook(cells=[parameters, body]), path)


def _running(pid: int) -> bool:
    """Whether the process exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def _wait_for(paths: list[Path], process: subprocess.Popen, seconds: float = 240) -> None:
    deadline = time.monotonic() + seconds
    while not all(p.exists() for p in paths):
        if process.poll() is not None:
            pytest.fail(f"the command ended early: {process.communicate()}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("the notebook never started its sleeping cell")
        time.sleep(0.2)


@pytest.fixture
def signal_folder(tmp_path):
    """A folder with the sleeping notebook, an output folder and a private temp folder."""
    sleeping_notebook(tmp_path / "sleeper.ipynb")
    (tmp_path / "out").mkdir()
    (tmp_path / "tmp").mkdir()
    return tmp_path


def _default_interrupt() -> None:
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(folder: Path, argv: list[str]) -> subprocess.Popen:
    # The command's temporary folders go to its own temp dir, where they can be counted.
    env = {**os.environ, "TMPDIR": str(folder / "tmp")}
    return subprocess.Popen(
        [str(SCRIPT), *argv],
        env=env,
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
        # and, as a shell starts one, with Ctrl-C's default action, whatever this test
        # process inherited (a child started with SIGINT ignored keeps ignoring it).
        preexec_fn=_default_interrupt,
    )


def _assert_nothing_left(folder: Path, pid_files: list[Path]) -> None:
    assert sorted(p.name for p in (folder / "out").iterdir()) == []
    # tempfile.gettempdir() of the command: no hbm-report-* folder, no kernel connection file.
    assert sorted(p.name for p in (folder / "tmp").iterdir()) == []
    pids = [int(n) for f in pid_files for n in f.read_text().split()]
    deadline = time.monotonic() + 10
    while any(_running(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [pid for pid in pids if _running(pid)] == [], "a kernel or a worker outlived the run"


@pytest.mark.parametrize(
    ("signum", "status", "progress"),
    [(signal.SIGINT, 130, False), (signal.SIGTERM, 143, False), (signal.SIGINT, 130, True)],
    ids=["ctrl-c", "sigterm", "ctrl-c-with-progress-bar"],
)
def test_a_stopped_run_leaves_no_file_folder_or_kernel(signal_folder, signum, status, progress):
    pid_file = signal_folder / "pid.txt"
    argv = [str(signal_folder / "sleeper.ipynb"), "-p", "pid_file", str(pid_file)]
    argv += ["-o", str(signal_folder / "out" / "report.html")]
    argv += [] if progress else ["--no-progress"]
    process = _start(signal_folder, argv)
    _wait_for([pid_file], process)
    kernel = int(pid_file.read_text().split()[0])
    assert _running(kernel)
    # Ctrl-C reaches the terminal's whole foreground group; SIGTERM the command alone.
    if signum == signal.SIGINT:
        os.killpg(process.pid, signum)
    else:
        process.send_signal(signum)
    out, err = process.communicate(timeout=120)
    assert process.returncode == status, err
    if progress:
        # The progress bar's line is ended first, and nothing but it comes before.
        assert err.endswith(f"\n{INTERRUPTED}\n") and "Traceback" not in err
        assert all(line.startswith("Executing") for line in err.splitlines()[:-1] if line)
    else:
        assert err == f"{INTERRUPTED}\n"
    assert out == ""
    _assert_nothing_left(signal_folder, [pid_file])


@pytest.mark.parametrize(
    ("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"]
)
def test_a_stopped_batch_stops_its_workers_and_their_kernels(signal_folder, signum, status):
    pid_files = [signal_folder / f"pid-{k}.txt" for k in range(3)]
    jobs = [
        {"chapter": "sleeper.ipynb", "parameters": {"pid_file": str(p)}, "output": f"out/{k}.html"}
        for k, p in enumerate(pid_files)
    ]
    (signal_folder / "jobs.yaml").write_text(json.dumps({"jobs": jobs}))
    process = _start(signal_folder, ["batch", str(signal_folder / "jobs.yaml"), "-j", "2"])
    _wait_for(pid_files[:2], process)  # two running, the third waiting
    if signum == signal.SIGINT:
        os.killpg(process.pid, signum)
    else:
        process.send_signal(signum)
    out, err = process.communicate(timeout=180)
    assert process.returncode == status, err
    assert err == f"{INTERRUPTED}\n"
    assert out == ""
    assert not pid_files[2].exists(), "the waiting job was started after the signal"
    # Each pid file holds a kernel and its parent, the batch's worker process.
    _assert_nothing_left(signal_folder, pid_files[:2])


# --------------------------------------------------------------------------------------------
# 3 and 5: one file, two spellings, in a batch


def test_a_batch_writing_one_file_twice_is_refused_up_front(tmp_path, capsys):
    (tmp_path / "r").mkdir()
    (tmp_path / "also-r").symlink_to(tmp_path / "r")
    simulate_scores().to_csv(tmp_path / "scores.csv", index=False)
    data = {"data": "scores.csv", "group": "school", "outcome": "score"}
    cases = [
        ([{"chapter": "01", "output": "r/a.html"}, {"chapter": "02", "output": "r/../r/a.html"}],
         r"jobs 1 and 2 of jobs\.yaml both write .*/r/a\.html \(job 1's report .*/r/a\.html, "
         r"job 2's report .*/r/\.\./r/a\.html\)"),
        ([{"chapter": "01", "output": "r/b.html"}, {**data, "output": "also-r/b.html"}],
         r"jobs 1 and 2 of jobs\.yaml both write .*/r/b\.html .*job 2's report .*also-r/b\.html"),
        ([{"chapter": "01", "output": "r/c.html"}, {"chapter": "03", "output": "r/d.html"},
          {**data, "output": "r/f.html", "results_json": "r/../r/c.json"},
          {**data, "output": "r/e.html", "results_json": "also-r/c.json"}],
         r"jobs 3 and 4 of jobs\.yaml both write .*/r/c\.json \(job 3's results file"),
    ]  # fmt: skip
    for jobs, message in cases:
        (tmp_path / "jobs.yaml").write_text(json.dumps({"jobs": jobs}))
        assert main(["batch", str(tmp_path / "jobs.yaml")]) == 2
        line = one_error_line(capsys)
        assert re.search(message, line), line
        assert sorted(p.name for p in (tmp_path / "r").iterdir()) == []


# --------------------------------------------------------------------------------------------
# 4: chapter parameters


def _assigned_names(source: str) -> list[str]:
    """The names a parameters cell assigns, read line by line (not the way the command does)."""
    return re.findall(r"^([A-Za-z_]\w*)\s*=", source, re.M)


CHAPTERS = sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))


@pytest.mark.parametrize("slug", CHAPTERS)
def test_every_parameter_of_every_chapter_is_found(slug):
    declared = checks._declared_parameters(NOTEBOOKS / f"{slug}.ipynb")
    assert list(declared) == _assigned_names(parameters_cell(NOTEBOOKS / f"{slug}.ipynb"))
    assert all(p.default is not checks._NO_LITERAL for p in declared.values())


def test_designs_and_lists_are_given_as_python_or_yaml(tmp_path, capsys):
    designs = '{"N=200, J=10": [200, 10], "N=40, J=4": [40, 4]}'
    job = chapter_job(
        "08",
        {
            "designs": checks.resolve_value(designs),
            "priors": checks.resolve_value("[good, flat]"),  # YAML flow
            "n_jobs": checks.resolve_value("1"),
        },
        output=tmp_path / "r.html",
    )
    assert job.parameters == {
        "designs": {"N=200, J=10": [200, 10], "N=40, J=4": [40, 4]},
        "priors": ["good", "flat"],
        "n_jobs": 1,
    }
    assert checks.resolve_value("{a: [1, 2.5], b: None}") == {"a": [1, 2.5], "b": "None"}
    assert checks.resolve_value("{'a': None}") == {"a": None}
    argv = ["08", "-p", "designs", '{"N=200": [200, 10}', "-o", str(tmp_path / "r.html")]
    assert main(argv) == 2
    assert one_error_line(capsys) == (
        "hbm-report: error: the value of 'designs', '{\"N=200\": [200, 10}', is not a mapping "
        "that can be read (expected ',' or ']', but got '}'); write it as in Python or YAML, "
        'e.g. [1, 2] or {"a": [1, 2]}, quoted for the shell'
    )
    argv[3] = '{"N=200": [200, "ten"]}'
    assert main(argv) == 2
    assert one_error_line(capsys) == (
        "hbm-report: error: parameter \"designs['N=200']\" must hold numbers like its default "
        "[200, 10], got 'ten' in [200, 'ten']"
    )
    assert list(tmp_path.iterdir()) == []


def test_reading_the_parameters_prints_nothing_and_loads_no_papermill(tmp_path):
    code = textwrap.dedent(
        f"""
        import sys
        from hbm_widgets.report.command import main
        status = main(["01", "-p", "share_prior_a", "3", "-p", "n", "12",
                       "-o", {str(tmp_path / "no" / "r.html")!r}])
        heavy = [m for m in ("papermill", "nbformat", "pymc", "jupyter_client") if m in sys.modules]
        print(status, heavy)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout == "2 []\n"
    folder = tmp_path / "no"
    assert done.stderr == (
        f"hbm-report: error: cannot write {folder / 'r.html'}: the folder {folder} does not exist\n"
    )


def test_sigma_below_zero_is_refused_before_a_kernel_starts(tmp_path):
    argv = ["01", "-p", "sigma", "-3", "-o", str(tmp_path / "r.html")]
    done = subprocess.run([str(SCRIPT), *argv], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr == "hbm-report: error: parameter 'sigma' must be a number > 0, got -3.0\n"
    assert list(tmp_path.iterdir()) == []


# A value outside each chapter's allowed range, and the line that refuses it.
OUT_OF_RANGE = {
    "01-bayes-rule": ("prior_sd", "0", "must be a number > 0, got 0.0"),
    "02-monte-carlo-and-mcmc": ("tuning_sds", "[0.5, -1]", "must hold only values > 0, got -1"),
    "03-shrinkage-and-pooling": ("chains", "0", "must be a whole number >= 1, got 0"),
    "04-radon-pooling": ("hdi_prob", "1.5", "must be a number with 0 < hdi_prob < 1, got 1.5"),
    "05-radon-deeper": ("cv_folds", "1", "must be a whole number >= 2, got 1"),
    "06-gcse-ml-vs-bayes": ("tune", "-1", "must be a whole number >= 0, got -1"),
    "07-priors-and-fake-data": ("cafe_rho", "-1", "must be a number with -1 < cafe_rho < 1"),
    "08-monte-carlo-study": ("designs", "{a: [200, 0]}", "must hold only values >= 1, got 0"),
    "09-mcmc-diagnostics": ("known_sd", "-15", "must be a number > 0, got -15.0"),
    "10-crossed-and-nested-effects": (
        "target_accept",
        "0",
        "must be a number with 0 < target_accept",
    ),
    "11-hierarchical-glm": ("draws", "0", "must be a whole number >= 1, got 0"),
}


@pytest.mark.parametrize("slug", CHAPTERS)
def test_each_chapter_refuses_a_value_outside_its_range(tmp_path, capsys, slug):
    name, value, message = OUT_OF_RANGE[slug]
    assert main([slug[:2], "-p", name, value, "-o", str(tmp_path / "r.html")]) == 2
    line = one_error_line(capsys)
    assert line.startswith(f"hbm-report: error: parameter {name!r} {message}"), line
    assert list(tmp_path.iterdir()) == []


def _outside(condition: checks.Condition):
    """A number just outside a condition's first failing side."""
    op, bound = condition.tests[0]
    return {">": bound, ">=": bound - 1, "<": bound, "<=": bound + 1}[op]


# Numeric parameters any value of which a chapter can use (means, shifts, thresholds, starts).
FREE = {"true_mean", "prior_mean", "threshold", "cafe_a", "cafe_b", "outlier_shift", "mh_starts"}


@pytest.mark.parametrize("slug", CHAPTERS)
def test_every_numeric_parameter_declares_its_range_and_keeps_to_it(tmp_path, slug):
    notebook = NOTEBOOKS / f"{slug}.ipynb"
    declared = checks._declared_parameters(notebook)
    for parameter in declared.values():
        numbers = checks._numbers(parameter.default)
        if parameter.name in FREE or isinstance(parameter.default, bool | str):
            assert parameter.condition is None
            continue
        if not numbers and parameter.name != "n_jobs":
            continue  # names of priors, folders, a scheduler's address
        assert parameter.condition is not None, f"{slug}: {parameter.name} has no range"
        # The default is allowed, and a value just outside is refused, naming the parameter.
        assert checks._check_parameters({parameter.name: parameter.default}, notebook, slug)
        bad = _outside(parameter.condition)
        if isinstance(parameter.default, int):
            bad = int(bad)
        if parameter.condition.each:
            bad = (
                {k: [bad] for k in parameter.default}
                if isinstance(parameter.default, dict)
                else [*parameter.default, bad]
            )
        with pytest.raises(checks.ReportInputError, match=rf"parameter '{parameter.name}' must"):
            checks._check_parameters({parameter.name: bad}, notebook, slug)


@pytest.mark.parametrize("slug", CHAPTERS)
def test_the_chapter_tests_settings_are_accepted(tmp_path, slug):
    module = importlib.import_module(f"tests.chapters.test_{slug.replace('-', '_')}")
    job = chapter_job(slug, module.FAST, output=tmp_path / "r.html")
    assert job.parameters.keys() == module.FAST.keys()


# --------------------------------------------------------------------------------------------
# --family, and the kernel's progress lines


def test_family_is_offered_and_passed_on_only_when_named(tmp_path, capsys):
    simulate_scores().to_csv(tmp_path / "scores.csv", index=False)
    job = data_job(
        tmp_path / "scores.csv", group="school", outcome="score", output=tmp_path / "r.html"
    )
    assert "family" not in job.parameters
    argv = [*_data_to(tmp_path, tmp_path / "r.html"), "--family", "gamma"]
    assert main(argv) == 2
    line = one_error_line(capsys)
    assert line.endswith(
        "argument --family: invalid choice: 'gamma' (choose from 'gaussian', 't', "
        "'bernoulli', 'binomial', 'poisson', 'negativebinomial')"
    )
    with pytest.raises(SystemExit):
        main(["data", "--help"])
    assert "--family {gaussian,t,bernoulli,binomial,poisson,negativebinomial}" in (
        capsys.readouterr().out
    )
    assert list(tmp_path.iterdir()) == [tmp_path / "scores.csv"]


def environment_notebook(path: Path) -> Path:
    parameters = nbformat.v4.new_code_cell("RANDOM_SEED = 1\nresults_path = None")
    parameters.metadata["tags"] = ["parameters"]
    body = nbformat.v4.new_code_cell(
        "import json, os\n"
        "with open(results_path, 'w') as handle:\n"
        "    json.dump({'progress': os.environ.get('HBM_REPORT_PROGRESS')}, handle)"
    )
    return write_notebook(nbformat.v4.new_notebook(cells=[parameters, body]), path)


def test_the_kernel_is_told_to_print_progress_only_with_the_progress_bar(tmp_path, monkeypatch):
    environment_notebook(tmp_path / "env.ipynb")
    monkeypatch.delenv(running.PROGRESS_ENV, raising=False)
    seen = {}
    for progress in (True, False):
        job = chapter_job(tmp_path / "env.ipynb", output=tmp_path / f"{progress}.html")
        seen[progress] = running.run_report(job, progress_bar=progress).results["progress"]
        assert running.PROGRESS_ENV not in os.environ
    assert seen == {True: "1", False: None}


def test_a_batch_stopped_after_one_report_keeps_it_and_says_so(signal_folder):
    quick, slow = signal_folder / "pid-quick.txt", signal_folder / "pid-slow.txt"
    jobs = [
        {"chapter": "sleeper.ipynb", "parameters": {"pid_file": str(quick), "seconds": 0},
         "output": "out/quick.html"},
        {"chapter": "sleeper.ipynb", "parameters": {"pid_file": str(slow)},
         "output": "out/slow.html"},
    ]  # fmt: skip
    (signal_folder / "jobs.yaml").write_text(json.dumps({"jobs": jobs}))
    process = _start(signal_folder, ["batch", str(signal_folder / "jobs.yaml"), "-j", "2"])
    _wait_for([slow, signal_folder / "out" / "quick.html"], process)
    time.sleep(2)  # for its worker to hand the result back
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=180)
    assert process.returncode == 143, err
    assert err == (
        "hbm-report: error: interrupted; no other report was written (1 finished, listed above)\n"
    )
    assert re.fullmatch(r"\[job 1/2\] .*/out/quick\.html \(notebook quick\.ipynb\): .*\n", out)
    assert sorted(p.name for p in (signal_folder / "out").iterdir()) == [
        "quick.html",
        "quick.ipynb",
    ]
    assert sorted(p.name for p in (signal_folder / "tmp").iterdir()) == []
    assert not _running(int(slow.read_text().split()[0]))


def noisy_notebook(path: Path) -> Path:
    """A notebook whose kernel logs an error of its own (as it does when interrupted at
    shutdown), and exits mid-cell when asked to."""
    parameters = nbformat.v4.new_code_cell("RANDOM_SEED = 1\ndie = 0")
    parameters.metadata["tags"] = ["parameters"]
    body = nbformat.v4.new_code_cell(
        "import os\n\n"
        "from ipykernel.kernelapp import IPKernelApp\n\n"
        "IPKernelApp.instance().log.error('KeyboardInterrupt caught in kernel.')\n"
        "if die:\n"
        "    os._exit(3)"
    )
    return write_notebook(nbformat.v4.new_notebook(cells=[parameters, body]), path)


def test_the_kernels_own_log_stays_off_the_terminal_and_a_death_is_one_line(tmp_path):
    noisy_notebook(tmp_path / "noisy.ipynb")
    (tmp_path / "out").mkdir()
    (tmp_path / "tmp").mkdir()
    argv = [str(tmp_path / "noisy.ipynb"), "--no-progress"]
    quiet = _start(tmp_path, [*argv, "-o", str(tmp_path / "out" / "fine.html")])
    _, err = quiet.communicate(timeout=240)
    assert (quiet.returncode, err) == (0, "")
    died = _start(tmp_path, [*argv, "-p", "die", "1", "-o", str(tmp_path / "out" / "no.html")])
    _, err = died.communicate(timeout=240)
    assert died.returncode == 1
    assert err == (
        "hbm-report: error: chapter noisy: the notebook could not be run (DeadKernelError: "
        "Kernel died); no report was written\n"
    )
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["fine.html", "fine.ipynb"]
    assert sorted(p.name for p in (tmp_path / "tmp").iterdir()) == []
