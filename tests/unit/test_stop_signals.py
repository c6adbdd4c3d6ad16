"""A stop signal must never deadlock the process it stops (`rekap serve`, `rekap projections
run` and its children): it once did, when SIGTERM landed while the main thread held the stop
event's own lock inside `stop.wait`, and `kill` then left the server running for ever."""

from __future__ import annotations

import signal
import threading

from service.lifetime import stop_on_signals


def test_a_stop_signal_landing_while_the_main_thread_holds_the_events_lock_still_stops() -> None:
    stop = threading.Event()
    previous = signal.getsignal(signal.SIGUSR1)
    try:
        stop_on_signals(stop, signal.SIGUSR1)
        with stop._cond:  # as inside stop.wait(0.5), where the main thread spends its time
            signal.raise_signal(signal.SIGUSR1)  # the handler runs now, in this thread
            assert not stop.is_set()
        assert stop.wait(5)
    finally:
        signal.signal(signal.SIGUSR1, previous)
