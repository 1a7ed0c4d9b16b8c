"""Rendering and signing on one thread of their own, so that they cost the same wherever they
are called from.

CPython 3.11 keeps Python frames in 16 KB chunks: a call that does not fit in the current
chunk maps a new one, and the return that leaves it unmaps it again. WeasyPrint's layout and
asn1crypto's encoders recurse deeply; when their hot calls straddle a chunk boundary, every
call and return across it costs an mmap/munmap pair and fresh page faults. Where the boundary
falls depends on how deep the caller already is. Measured on a one-page slip: 1,600 of these
pairs per render inside a Celery prefork child, the render 15% slower than the same render in a
shallow script; about 280 per render on this thread, as fast as the script.

Each process gets one such thread, made lazily (so a forked worker child makes its own). Calls
from several threads take turns on it. A caller interrupted while it waits (Celery's soft time
limit) gets its exception at once; the work already started finishes on the thread, and the
next call waits for it (the hard time limit still ends a worker child that hangs).
"""

import os
import threading
from concurrent.futures import ThreadPoolExecutor

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_owner_pid: int | None = None


def _thread() -> ThreadPoolExecutor:
    global _executor, _owner_pid
    with _lock:
        if _executor is None or _owner_pid != os.getpid():
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="documents")
            _owner_pid = os.getpid()
        return _executor


def run(function, /, *args, **kwargs):
    """`function(*args, **kwargs)` on the documents thread; its result or its exception.
    It must not touch the database: the thread has no part in the caller's transaction."""
    if threading.current_thread().name.startswith("documents_"):
        return function(*args, **kwargs)  # already there (a nested call)
    return _thread().submit(function, *args, **kwargs).result()
