"""A child process that must not outlive its parent.

The projection groups run under their supervisor's lease (service/read/projections/lease.py): once
the supervisor is gone (killed with -9, say) its lease is free, and a child still applying the
log would be a second writer beside whatever takes the lease next. `rekap serve` restarts its
supervisor, so that is exactly what follows.

On Linux the kernel delivers a signal to the child when its parent dies (prctl
PR_SET_PDEATHSIG): at once, whatever the child is doing, even blocked in a call to the store,
with no thread of ours to keep alive. Elsewhere a daemon thread polls the parent's pid. Either
way the check after arming it covers a parent that died before the child got there.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import signal
import sys
import threading

log = logging.getLogger("rekap.lifetime")

PR_SET_PDEATHSIG = 1
POLL_SECONDS = 1.0


def die_with_parent(parent_pid: int, signum: int = signal.SIGKILL) -> None:
    """Get `signum` when the parent process `parent_pid` dies; exit now if it already has."""
    if not _arm_pdeathsig(signum):
        threading.Thread(
            target=_watch_parent, args=(parent_pid, signum), daemon=True, name="parent watch"
        ).start()
    if os.getppid() != parent_pid:
        log.error("parent process %s is gone; exiting", parent_pid)
        os._exit(1)


def _arm_pdeathsig(signum: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) == 0
    except OSError:
        return False


def _watch_parent(parent_pid: int, signum: int) -> None:
    while os.getppid() == parent_pid:
        threading.Event().wait(POLL_SECONDS)
    log.error("parent process %s is gone; exiting", parent_pid)
    os.kill(os.getpid(), signum)


def stop_on_signals(stop: threading.Event, *signums: signal.Signals) -> None:
    """Set `stop` when one of `signums` (SIGTERM and SIGINT by default) arrives.

    Never from the handler itself: Python runs a handler in the main thread between two
    bytecodes, perhaps while that thread holds the event's own lock (inside `stop.wait`), and
    `Event.set` would then wait for that lock for ever. A short thread of its own sets it.
    """

    def handler(signum: int, frame: object) -> None:
        threading.Thread(target=stop.set, name="stop signal", daemon=True).start()

    for signum in signums or (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, handler)
