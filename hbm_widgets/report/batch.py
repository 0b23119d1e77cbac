"""A batch of report jobs, run side by side in worker processes.

Each worker runs one job at a time through :func:`~hbm_widgets.report.running.run_report`.
Ctrl-C or SIGTERM reach the batch's own process, which stops every worker with SIGTERM (a
worker running a report kills its kernel and removes its files) and keeps the reports that
were finished.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed

from hbm_widgets.core.errors import WorkbookInputError
from hbm_widgets.report.checks import _one_line, _whole
from hbm_widgets.report.jobs import ReportJob
from hbm_widgets.report.running import (
    ReportInterrupted,
    ReportResult,
    ReportRunError,
    run_report,
    terminate_interrupts,
)

__all__ = ["run_batch"]


def _batch_worker_start() -> None:
    """Workers leave Ctrl-C to the batch's own process, which stops them with SIGTERM."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _batch_worker(job: ReportJob) -> tuple[ReportResult | None, str, int]:
    with terminate_interrupts():
        try:
            return run_report(job, progress_bar=False), "", 0
        except WorkbookInputError as exc:
            return None, _one_line(exc), 2
        except ReportRunError as exc:
            return None, _one_line(exc), exc.exit_code
        except KeyboardInterrupt as exc:
            # Its kernel and files are gone; the worker must not go on to another job.
            logging.shutdown()
            os._exit(getattr(exc, "exit_code", 128 + signal.SIGINT))


def _stop_workers(workers: Sequence[multiprocessing.process.BaseProcess]) -> None:
    """SIGTERM each worker (one running a report removes its kernel and files), then wait."""
    for worker in workers:
        try:
            os.kill(worker.pid, signal.SIGTERM)
        except (ProcessLookupError, TypeError):
            pass
    for worker in workers:
        worker.join(60)


# The longest path of a Unix socket (sun_path holds 108 bytes with its final NUL).
_SOCKET_PATH_BYTES = 107


def _worker_context() -> multiprocessing.context.BaseContext:
    """How the workers start: forked from a fresh server process that imported this module
    once (not from this process, whose threads and state a fork would copy), or spawned
    (importing the package again in every worker) where the server cannot listen.

    The server listens on a socket in a new folder of the temporary directory
    (``<tmp>/pymp-XXXXXXXX/listener-XXXXXXXX``): a long ``TMPDIR`` makes that path longer than
    a Unix socket's, and the pool would fail to start ("AF_UNIX path too long").
    """
    socket = os.path.join(tempfile.gettempdir(), "pymp-xxxxxxxx", "listener-xxxxxxxx")
    if len(os.fsencode(socket)) > _SOCKET_PATH_BYTES:
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


def run_batch(jobs: Sequence[ReportJob], *, workers: int = 2, stream=None) -> int:
    """Run checked jobs in parallel processes, printing one summary line per job.

    Returns the exit status: 0 when every report was written, else the worst job's status.

    Raises
    ------
    ReportInterrupted
        Ctrl-C or SIGTERM: the workers were stopped, and no unfinished report left a file.
    """
    stream = sys.stdout if stream is None else stream
    workers = _whole("workers", workers, 1)
    status = 0
    finished = 0
    total = len(jobs)
    context = _worker_context()
    children_before = set(multiprocessing.active_children())
    interrupted: KeyboardInterrupt | None = None
    pool = ProcessPoolExecutor(
        max_workers=min(workers, total), mp_context=context, initializer=_batch_worker_start
    )
    futures = {}
    reported = set()
    try:
        futures = {pool.submit(_batch_worker, job): (i, job) for i, job in enumerate(jobs, 1)}
        for future in as_completed(futures):
            reported.add(future)
            number, job = futures[future]
            try:
                result, message, code = future.result()
            except Exception as exc:  # a worker that died (BrokenProcessPool and the like)
                result, message, code = None, f"the worker failed: {_one_line(exc)}", 1
            if result is not None:
                finished += 1
                print(f"[job {number}/{total}] {result.summary_line()}", file=stream, flush=True)
            else:
                print(f"[job {number}/{total}] FAILED {job.output}: {message}", file=stream)
                status = max(status, code)
    except KeyboardInterrupt as exc:
        interrupted = exc
        _stop_workers([p for p in multiprocessing.active_children() if p not in children_before])
        # Reports finished just before the signal are kept: say so.
        for future, (number, _) in futures.items():
            if future in reported or not future.done() or future.cancelled():
                continue
            if future.exception() is None and future.result()[0] is not None:
                finished += 1
                line = future.result()[0].summary_line()
                print(f"[job {number}/{total}] {line}", file=stream, flush=True)
    finally:
        pool.shutdown(wait=interrupted is None, cancel_futures=True)
    if interrupted is not None:
        signum = getattr(interrupted, "signum", signal.SIGINT)
        raise ReportInterrupted(signum, finished=finished) from None
    return status
