"""Long-lived helper processes for the kiosk's slow or risky work.

The resident screen's process keeps only what the screen needs. Printing
(Pillow, a CJK font, printer I/O) and syncing (requests, TLS, JSON for a
week's backlog) each run in a process of their own, started with ``spawn``:
the screen's memory stays small, its UI thread never waits on the GIL behind
a render or a batch, and a driver or a network stack that hangs or crashes
cannot take the screen with it. A helper that dies or overruns its time is
replaced on the next call.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

T = TypeVar("T")


class HelperFailed(Exception):
    """The helper could not start, stopped, or did not answer in time."""


@contextlib.contextmanager
def _real_stderr() -> Iterator[None]:
    """Put the process's own stderr back for a moment: multiprocessing hands
    its file descriptor to its helper, and a UI may have swapped in a stream
    that has none."""
    saved = sys.stderr
    sys.stderr = sys.__stderr__
    try:
        yield
    finally:
        sys.stderr = saved


def prepare_child() -> None:
    """First thing in a helper: the same lean start as the kiosk's own, and
    a watch on the parent."""
    # in the helper, before anything imports peewee
    from kiosk.lean import skip_unused_database_drivers

    skip_unused_database_drivers()
    _exit_with_parent()


def _exit_with_parent() -> None:
    """End this helper when the process that started it ends, however it
    ends (SIGKILL included).

    A pool's worker would otherwise live on: it holds both ends of its own
    task queue, so it never sees the end of its input. ``spawn`` hands every
    child a pipe whose far end only the parent holds; it reads as closed the
    moment the parent is gone, and a thread waits on exactly that.
    """
    # only in a helper process, at its start
    import multiprocessing
    import os

    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()  # returns when the parent's end of the pipe closes
        os._exit(0)

    threading.Thread(target=watch, name="helper-parent-watch", daemon=True).start()


class HelperProcess:
    """Spawned worker processes (one unless told); ``call`` runs a function
    in one of them.

    ``call`` blocks its (worker) thread; calls from more threads than there
    are processes queue.
    """

    def __init__(self, name: str, processes: int = 1) -> None:
        self.name = name
        self.processes = processes
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    @property
    def started(self) -> bool:
        return self._pool is not None

    def call(self, timeout: float, function: Callable[..., T], *args: Any) -> T:
        # multiprocessing is imported on the first call, off the UI thread,
        # rather than when the kiosk starts.
        from concurrent.futures import CancelledError
        from concurrent.futures import TimeoutError as FutureTimeout
        from concurrent.futures.process import BrokenProcessPool

        pool = None
        try:
            pool = self._ensure_pool()
            future = pool.submit(function, *args)
        except (OSError, ValueError, RuntimeError) as error:
            # A pool whose process died is refused at submit (BrokenProcessPool
            # is a RuntimeError) once it has noticed: replace it next time.
            if pool is not None:
                self._discard(pool)
            if isinstance(error, BrokenProcessPool):
                raise HelperFailed(
                    f"the {self.name} process stopped unexpectedly"
                ) from None
            raise HelperFailed(
                f"the {self.name} process cannot start: {error}"
            ) from None
        try:
            return future.result(timeout=timeout)
        except FutureTimeout:
            self._discard(pool)
            raise HelperFailed(
                f"the {self.name} process did not finish in time"
            ) from None
        except BrokenProcessPool:
            self._discard(pool)
            raise HelperFailed(
                f"the {self.name} process stopped unexpectedly"
            ) from None
        except CancelledError:  # another call's failure replaced the pool
            raise HelperFailed(f"the {self.name} process was replaced") from None

    def _ensure_pool(self) -> ProcessPoolExecutor:
        # multiprocessing loads with the first job, off the resident's start
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        from multiprocessing import resource_tracker

        with self._lock:
            if self._pool is None:
                with _real_stderr():
                    resource_tracker.ensure_running()
                self._pool = ProcessPoolExecutor(
                    max_workers=self.processes,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=prepare_child,
                )
            return self._pool

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)

    def close(self, wait: bool = False) -> None:
        """Stop the helpers; ``wait`` for a call under way to finish."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=True)
