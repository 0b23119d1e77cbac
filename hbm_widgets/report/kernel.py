"""The kernel manager ``hbm-report`` runs notebooks with: jupyter_client's, polling its sockets.

nbclient waits for a kernel's replies with ``get_msg(timeout=None)``, a single wait on the
socket's file descriptor. Now and then (often after a cell that creates ipywidgets, and more
often on a busy machine) that wake-up is missed: the kernel has replied and is idle, the
client still waits, and the run hangs for ever (reported as jupyter/nbclient#312). Waiting
in slices of a second instead costs nothing and cannot miss a reply for longer than a slice,
since each slice ends with a real check of the socket.

:class:`ReportKernelManager` also records each kernel it launches, so that a run stopped by
Ctrl-C or SIGTERM (:func:`execute_stoppably`) can kill the kernel and all it started.

Kernels started by these managers talk to their client over Unix sockets in a private
folder, not TCP ports. jupyter_client picks five free ports, closes them and hands them to
the kernel to bind; when several kernels start at once (a batch on two workers, the tests
on several) another process can take a port in between, and the kernel dies at start-up
with "Address already in use". A socket file in a folder of our own cannot be taken.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from queue import Empty
from typing import Any

from jupyter_client import AsyncKernelManager
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from jupyter_client.ioloop import AsyncIOLoopKernelManager
from traitlets import DottedObjectName, Type

__all__ = [
    "PollingKernelClient",
    "PollingKernelManager",
    "PollingServerKernelManager",
    "ReportKernelManager",
    "execute_stoppably",
    "kill_kernels",
]

POLL_SECONDS = 1.0


class PollingChannel(AsyncZMQSocketChannel):
    """A channel whose endless wait is a loop of one-second waits."""

    async def get_msg(self, timeout: float | None = None):
        if timeout is not None:
            return await super().get_msg(timeout)
        while True:
            try:
                return await super().get_msg(POLL_SECONDS)
            except Empty:
                continue


class PollingKernelClient(AsyncKernelClient):
    """The asynchronous kernel client with polling shell and IOPub channels."""

    shell_channel_class = Type(PollingChannel)
    iopub_channel_class = Type(PollingChannel)


# A Unix socket's path holds at most 107 bytes on Linux (103 on macOS); the longest here is
# the folder, "/k-" and a one-digit socket number.
MAX_SOCKET_PATH = 100


class PollingKernelManager(AsyncKernelManager):
    """The asynchronous kernel manager, handing out :class:`PollingKernelClient` clients,
    whose kernels listen on Unix sockets in a private temporary folder (see above)."""

    client_class = DottedObjectName("hbm_widgets.report.kernel.PollingKernelClient")
    client_factory = Type(PollingKernelClient, klass=AsyncKernelClient)
    socket_folder: str | None = None

    async def _async_pre_start_kernel(self, **kw):
        if self.socket_folder is None and not self.connection_file and os.name == "posix":
            self._use_private_sockets()
        return await super()._async_pre_start_kernel(**kw)

    def _use_private_sockets(self) -> None:
        folder = tempfile.mkdtemp(prefix="hbm-kernel-")  # readable by this user alone
        if len(folder) + len("/k-9") > MAX_SOCKET_PATH:
            os.rmdir(folder)  # a very long TMPDIR: TCP ports, as jupyter_client's default
            return
        self.socket_folder = folder
        self.transport = "ipc"
        self.ip = os.path.join(folder, "k")  # the sockets are k-1 ... k-5
        self.connection_file = os.path.join(folder, "kernel.json")

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            self.remove_socket_folder()

    cleanup_resources = _async_cleanup_resources

    def remove_socket_folder(self) -> None:
        """Remove the folder of the kernel's sockets and connection file, if it has one."""
        if self.socket_folder is not None:
            shutil.rmtree(self.socket_folder, ignore_errors=True)
            self.socket_folder = None


class PollingServerKernelManager(PollingKernelManager, AsyncIOLoopKernelManager):
    """The same polling clients for a server's kernels (Voila's, for ``make app``): Voila
    runs the explorers page through nbclient, and the page creates many widgets. The
    server names each kernel's connection file, so its kernels keep the server's TCP ports."""


# (pid, process group, manager) of every kernel this process started, so that a run that
# is stopped can kill its kernel, and whatever the kernel started, at once (see running.py).
STARTED_KERNELS: list[tuple[int, int | None, ReportKernelManager]] = []


class ReportKernelManager(PollingKernelManager):
    """The polling kernel manager, recording each kernel's process as it is launched."""

    async def _async_launch_kernel(self, kernel_cmd, **kw) -> None:
        await super()._async_launch_kernel(kernel_cmd, **kw)
        provisioner = self.provisioner
        pid = getattr(provisioner, "pid", None)
        if pid is not None:
            STARTED_KERNELS.append((pid, getattr(provisioner, "pgid", None), self))


def kill_kernels(since: int = 0) -> None:
    """Kill the kernels started since ``STARTED_KERNELS[since]``, and their process groups.

    jupyter_client starts each kernel in a session of its own, so its process group holds
    the kernel and whatever it started (worker processes of a study), and nothing else.
    """
    for pid, group, manager in STARTED_KERNELS[since:]:
        try:
            if group is not None and group == pid:
                os.killpg(group, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass  # already gone
        # Reaped here, or it would stay a zombie should this process exit at once.
        process = getattr(manager.provisioner, "process", None)
        if process is not None:
            try:
                process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                pass


def remove_connection_files(since: int = 0) -> None:
    """Remove the connection files and sockets of killed kernels (a polite shutdown would)."""
    for _, _, manager in STARTED_KERNELS[since:]:
        manager.cleanup_connection_file()
        manager.remove_socket_folder()


def execute_stoppably(execute, *args, **kwargs):
    """``execute(*args, **kwargs)`` in a thread, so that Ctrl-C or SIGTERM stop it cleanly.

    papermill's client takes those signals only to shut its kernel down politely: the
    kernel, interrupted mid-cell, prints a traceback, and the run goes on to fail. Run from
    a thread, the client leaves the signals to this (main) thread, which kills the kernel
    and everything it started, waits for the thread to finish writing, and re-raises.
    """
    first_kernel = len(STARTED_KERNELS)
    outcome: dict[str, Any] = {}

    def target():
        try:
            outcome["value"] = execute(*args, **kwargs)
        except BaseException as exc:  # handed over to the main thread
            outcome["error"] = exc

    worker = threading.Thread(target=target, name="hbm-report-execute", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.25)
    except KeyboardInterrupt:
        # Quiet from here on: papermill would report the kernel's death it is about to see.
        logging.getLogger("papermill").setLevel(logging.CRITICAL + 1)
        kill_kernels(first_kernel)
        worker.join(30)  # its last write of the executed notebook, before the clean-up
        remove_connection_files(first_kernel)
        raise
    finally:
        del STARTED_KERNELS[first_kernel:]
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
