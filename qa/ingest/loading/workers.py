"""Reading files in worker processes: a memory and a time limit per file, several files at once.

A file is parsed in a process of its own (started with ``spawn``, so it holds
none of the caller's models), whose address space is capped at
``Limits.worker_memory`` and whose work on one file is stopped after
``Limits.worker_seconds`` (counted again from each page of a PDF or image it
finishes, so that a long scan read by OCR gets that much a page). A worker that overruns or dies is replaced and the
file becomes a :class:`qa.ingest.loading.Skipped` naming the reason; the caller
(``qa index``, the chat page's server) never parses a file itself and never
goes down with one.

Process management is Pebble's (``pebble.ProcessPool``, LGPL-3.0): per-task
timeouts that kill the worker, and dead workers reported and replaced.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import multiprocessing
import os
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, TimeoutError, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from qa.ingest.loading import Document, LoadError, Skipped, load_file
from qa.ingest.loading.limits import LimitExceeded, Limits, size_words

WATCH_SECONDS = 0.25  # how often running files are checked for progress and time
_POOLS: dict[tuple[Limits, int], Any] = {}
_POOLS_LOCK = threading.Lock()


def default_workers() -> int:
    """Worker processes used by default: one per CPU core this process may run on, at most 8."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(8, cores))


def _start_worker(memory: int) -> None:
    """Pebble initializer: cap this worker's address space at ``memory`` bytes."""
    import resource

    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    try:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    except (ValueError, OSError):  # a lower hard limit is already set: keep it
        pass


def pool(limits: Limits | None = None, workers: int | None = None):
    """The process pool for ``limits`` and ``workers`` (started on first use, shared, closed at exit).

    Raises:
        ImportError: the ``pebble`` package is missing.
    """
    from pebble import ProcessPool

    limits, workers = limits or Limits(), workers or default_workers()
    with _POOLS_LOCK:
        key = (limits, workers)
        if key not in _POOLS:
            _POOLS[key] = ProcessPool(max_workers=workers, initializer=_start_worker,
                                      initargs=(limits.worker_memory,),
                                      context=multiprocessing.get_context("spawn"))
        return _POOLS[key]


@atexit.register
def close_pools() -> None:
    """Stop every worker process started by :func:`pool`."""
    with _POOLS_LOCK:
        for p in _POOLS.values():
            p.stop()
            p.join()
        _POOLS.clear()


def _read(path: str, limits: Limits, progress: str) -> Document | Skipped:
    """In a worker: one file read with :func:`qa.ingest.loading.load_file`, or the reason it was not. Each
    page read is written to the file ``progress`` as ``"page pages"`` (see :class:`_Task`)."""

    def page_read(page: int, pages: int) -> None:
        Path(progress).write_text(f"{page} {pages}", encoding="ascii")

    try:
        return load_file(path, limits, on_page=page_read)
    except LoadError as e:
        return Skipped(path, str(e))


class _Task:
    """One file in a worker, watched from the caller's side: its time limit counts from when it
    started or last finished a page (a long scan gets ``worker_seconds`` a page), and its pages read
    so far are reported to ``on_page``."""

    def __init__(self, path: Path, executor, limits: Limits, folder: str):
        self.path, self.limits = path, limits
        self.progress = os.path.join(folder, f"{id(self)}.progress")
        # absolute: a worker started earlier may have another working folder
        self.future = executor.schedule(_read, args=(str(path.absolute()), limits, self.progress))
        self.clock: float | None = None  # when it started, or last finished a page
        self.page = (0, 0)
        self.stalled = False

    def watch(self, now: float, on_page: Callable[[Path, int, int], None] | None) -> None:
        """Restart the clock on a new page (telling ``on_page``); stop a task past its time."""
        if self.future.done() or not self.future.running():
            return
        page = self._page_read()
        if self.clock is None or page != self.page:
            self.clock, self.page = now, page
            if on_page and page[1]:
                on_page(self.path, *page)
        elif now - self.clock > self.limits.worker_seconds:
            self.stalled = True
            self.future.cancel()  # Pebble stops the worker and starts another

    def _page_read(self) -> tuple[int, int]:
        try:
            page, pages = Path(self.progress).read_text(encoding="ascii").split()
            return int(page), int(pages)
        except (OSError, ValueError):
            return self.page

    def _stall_reason(self) -> str:
        """Why a task was stopped: the whole file, or the page after the last it finished, took too long."""
        page, pages = self.page
        if not pages:
            return _failure(TimeoutError(), self.limits)
        return (f"took longer than {self.limits.worker_seconds} s on page {page + 1} of {pages} "
                "(the worker_seconds limit)")

    def outcome(self) -> Document | Skipped:
        """The document, or the reason it was skipped (its source named as the caller named it)."""
        if self.stalled:
            out: Document | Skipped = Skipped("", self._stall_reason())
        else:
            out = _result(self.future, str(self.path), self.limits)
        out.source = str(self.path)
        with contextlib.suppress(OSError):
            os.unlink(self.progress)
        return out


def _failure(err: BaseException, limits: Limits) -> str:
    """The one-line reason a worker gave no result: it ran out of time, or died."""
    from pebble import ProcessExpired

    if isinstance(err, TimeoutError):
        return f"took longer than {limits.worker_seconds} s to read (the worker_seconds limit)"
    if isinstance(err, ProcessExpired):
        if err.exitcode in (-9, -6, -11):  # killed, aborted or crashed: most often memory running out
            return (f"the process reading it died (signal {-err.exitcode}); it may need more than "
                    f"{size_words(limits.worker_memory)} of memory (the worker_memory limit)")
        return f"the process reading it died (exit code {err.exitcode})"
    if isinstance(err, MemoryError):
        return str(LimitExceeded(f"needs more than {size_words(limits.worker_memory)} of memory "
                                 "(the worker_memory limit)"))
    return f"could not be read ({type(err).__name__})"


class WorkersUnavailable(RuntimeError):
    """Worker processes could not start (most often: a script that indexes lacks its main guard)."""


_START_HELP = ("worker processes that read files could not start; a Python script that indexes documents "
               "must run its code under `if __name__ == '__main__':` (multiprocessing's spawn rule)")


def _forget_broken() -> None:
    """Drop pools whose workers could not start, so that the next call starts afresh."""
    with _POOLS_LOCK:
        for key, p in list(_POOLS.items()):
            if not p.active:
                del _POOLS[key]


def _result(future: Future, path: str, limits: Limits) -> Document | Skipped:
    """What a worker's ``future`` holds for ``path``: a document or a named skip.

    Raises:
        WorkersUnavailable: the pool's workers cannot start at all.
    """
    try:
        return future.result()
    except BrokenProcessPool as e:
        _forget_broken()
        raise WorkersUnavailable(_START_HELP) from e
    except Exception as e:  # noqa: BLE001 - timeouts, dead workers, unpicklable results: all named skips
        return Skipped(path, _failure(e, limits))


def load_in_workers(paths: Iterable[str | Path], limits: Limits | None = None, workers: int | None = None,
                    on_start: Callable[[Path], None] | None = None,
                    on_page: Callable[[Path, int, int], None] | None = None,
                    ) -> Iterator[tuple[Path, Document | Skipped]]:
    """Read ``paths`` in worker processes, several at once; yields ``(path, Document or Skipped)`` in
    the order of ``paths``. At most two files per worker are in flight, so memory stays bounded
    however many paths there are. ``on_start(path)`` is called as each file is handed to a worker,
    ``on_page(path, page, pages)`` as a worker finishes a page of a PDF or an image (OCR'd pages take
    seconds each). A file gets ``limits.worker_seconds`` to be read, counted again from each page it
    finishes.

    Raises:
        WorkersUnavailable: worker processes cannot start.
    """
    limits = limits or Limits()
    workers = workers or default_workers()
    executor = pool(limits, workers)
    pending: deque[_Task] = deque()
    with tempfile.TemporaryDirectory(prefix="qa-progress-") as folder:
        for path in map(Path, paths):
            if on_start:
                on_start(path)
            pending.append(_Task(path, executor, limits, folder))
            if len(pending) >= 2 * workers:
                yield _next_done(pending, on_page)
        while pending:
            yield _next_done(pending, on_page)


def _next_done(pending: deque[_Task], on_page: Callable[[Path, int, int], None] | None
               ) -> tuple[Path, Document | Skipped]:
    """Wait for the oldest task, watching all of them meanwhile; ``(path, outcome)`` of the oldest."""
    first = pending[0]
    while not first.future.done():
        wait([t.future for t in pending], timeout=WATCH_SECONDS, return_when=FIRST_COMPLETED)
        now = time.monotonic()
        for task in pending:
            task.watch(now, on_page)
    pending.popleft()
    return first.path, first.outcome()


def load_one(path: str | Path, limits: Limits | None = None) -> Document:
    """Read one file in a worker process.

    Raises:
        LoadError: the file could not be read within ``limits`` (the message says why).
        WorkersUnavailable: worker processes cannot start.
    """
    _, out = next(load_in_workers([path], limits))
    if isinstance(out, Skipped):
        raise LoadError(out.reason)
    return out


def run_in_worker(function: Callable[..., Any], *args: Any, limits: Limits | None = None) -> Any:
    """Call ``function(*args)`` (a module-level function, its arguments picklable) in a worker process,
    under ``limits``' memory and time; for work on untrusted files other than loading them (rendering
    a PDF page for the chat page, say).

    Raises:
        LoadError: the worker ran out of time or died; whatever ``function`` raises, as raised.
        WorkersUnavailable: worker processes cannot start.
    """
    limits = limits or Limits()
    future = pool(limits).schedule(function, args=args, timeout=limits.worker_seconds)
    try:
        return future.result()
    except LoadError:
        raise
    except BrokenProcessPool as e:
        _forget_broken()
        raise WorkersUnavailable(_START_HELP) from e
    except Exception as e:
        from pebble import ProcessExpired

        if isinstance(e, (TimeoutError, MemoryError, ProcessExpired)):
            raise LoadError(_failure(e, limits)) from e
        raise
