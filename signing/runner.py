"""Rendering and signing on one thread of their own, so that they cost the same wherever they
are called from.

CPython 3.11 keeps Python frames in 16 KB chunks: a call that does not fit in the current
chunk maps a new one, and the return that leaves it unmaps it again. WeasyPrint's layout and
asn1crypto's encoders recurse deeply; when their hot calls straddle a chunk boundary, every
call and return across it costs an mmap/munmap pair and fresh page faults. Where the boundary
falls depends on how deep the caller already is. Measured on a one-page slip: 1,600 of these
pairs per render inside a Celery prefork child, the render 15% slower than the same render in a
shallow script; about 280 per render on this thread, as fast as the script.

Each process gets one such thread, made on first use (a forked worker child makes its own).
Calls from several threads take turns on it. A caller interrupted while it waits (Celery's soft
time limit) cancels its work if it has not started; work already running cannot be interrupted,
so the caller waits for it before the exception goes on: a render that hangs keeps its own
task waiting until Celery's hard time limit replaces the worker child, instead of making every
later task of that child wait behind it.
"""

import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_thread_ident: int | None = None


def _mark_thread():
    global _thread_ident
    _thread_ident = threading.get_ident()


def _thread() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="documents", initializer=_mark_thread
            )
        return _executor


def _forget_parent_thread():
    """In a forked child the parent's thread does not exist (nor, perhaps, its lock's owner)."""
    global _executor, _lock, _thread_ident
    _executor, _lock, _thread_ident = None, threading.Lock(), None


os.register_at_fork(after_in_child=_forget_parent_thread)


def run(function, /, *args, **kwargs):
    """`function(*args, **kwargs)` on the documents thread; its result or its exception.
    It must not touch the database: the thread has no part in the caller's transaction."""
    if threading.get_ident() == _thread_ident:
        return function(*args, **kwargs)  # already there (a nested call)
    future = _thread().submit(function, *args, **kwargs)
    try:
        return future.result()
    except BaseException:
        if not future.cancel():  # running already: wait for it, then pass the exception on
            with contextlib.suppress(BaseException):  # the first exception is the one to raise
                future.result()
        raise
