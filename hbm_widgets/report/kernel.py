"""The kernel manager ``hbm-report`` runs notebooks with: jupyter_client's, polling its sockets.

nbclient waits for a kernel's replies with ``get_msg(timeout=None)``, a single wait on the
socket's file descriptor. Now and then (often after a cell that creates ipywidgets, and more
often on a busy machine) that wake-up is missed: the kernel has replied and is idle, the
client still waits, and the run hangs for ever (reported as jupyter/nbclient#312). Waiting
in slices of a second instead costs nothing and cannot miss a reply for longer than a slice,
since each slice ends with a real check of the socket.
"""

from __future__ import annotations

from queue import Empty

from jupyter_client import AsyncKernelManager
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from jupyter_client.ioloop import AsyncIOLoopKernelManager
from traitlets import DottedObjectName, Type

__all__ = ["PollingKernelClient", "PollingKernelManager", "PollingServerKernelManager"]

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


class PollingKernelManager(AsyncKernelManager):
    """The asynchronous kernel manager, handing out :class:`PollingKernelClient` clients."""

    client_class = DottedObjectName("hbm_widgets.report.kernel.PollingKernelClient")
    client_factory = Type(PollingKernelClient, klass=AsyncKernelClient)


class PollingServerKernelManager(PollingKernelManager, AsyncIOLoopKernelManager):
    """The same polling clients for a server's kernels (Voila's, for ``make app``): Voila
    runs the explorers page through nbclient, and the page creates many widgets."""
