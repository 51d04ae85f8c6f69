"""A kernel client that is ready as soon as the kernel answers, not 0.1-0.3 s later, and its manager.

jupyter_client's `wait_for_ready` ends by reading IOPub until it has been silent for 0.2 s, a
fixed cost on every kernel start (about a tenth of grading an untouched stub). nbclient matches
every output to the request that caused it, so a stray status message from the handshake is
harmless: this client drains what has already arrived and returns. And its sockets connect before
the kernel has bound its own: ZeroMQ then retries every 100 ms, so the first kernel_info request
waited up to 0.1 s for a kernel that was ready; this client retries every 10 ms.
"""

from __future__ import annotations

import time
from queue import Empty

import zmq
from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.utils import ensure_async
from traitlets import DottedObjectName, Type, default


class QuickKernelClient(AsyncKernelClient):
    """AsyncKernelClient whose readiness check waits for the kernel, never for silence."""

    @default("context")
    def _quick_context(self):
        context = super()._context_default()
        # the client connects before the kernel has bound its sockets: retry after 10 ms, not ZeroMQ's 100
        context.setsockopt(zmq.RECONNECT_IVL, 10)
        return context

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.time() + (float("inf") if timeout is None else timeout)
        while True:  # as jupyter_client: a kernel_info reply, and IOPub connected
            self.kernel_info()
            try:
                msg = await ensure_async(self.shell_channel.get_msg(timeout=1))
            except Empty:
                msg = None
            if msg is not None and msg["msg_type"] == "kernel_info_reply":
                try:
                    await ensure_async(self.iopub_channel.get_msg(timeout=0.2))
                except Empty:
                    pass
                else:
                    self._handle_kernel_info_reply(msg)
                    break
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.time() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")
        while True:  # drain, without waiting for more
            try:
                await ensure_async(self.iopub_channel.get_msg(timeout=0))
            except Empty:
                break

    _async_wait_for_ready = wait_for_ready  # AsyncKernelClient binds the base class's under both names


class QuickKernelManager(AsyncKernelManager):
    """AsyncKernelManager with the quick client, polling a killed kernel every 10 ms (not 100 ms)."""

    client_class = DottedObjectName("autograder.engine.quickclient.QuickKernelClient")
    client_factory = Type(klass=QuickKernelClient)

    async def _async_wait(self, pollinterval: float = 0.1) -> None:
        await super()._async_wait(pollinterval=0.01)  # a killed kernel is gone within milliseconds
