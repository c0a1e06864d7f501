"""Locally, EventBridge Scheduler's every-minute push_retry run: the handler every 10 s, in a thread.

Each run gets a scheduled event whose `time` is now, as in AWS; a failed run is logged and the
next one tries again (what is due stays due).
"""

from __future__ import annotations

import importlib
import logging
import threading
from datetime import UTC, datetime

from dev.apigw import LocalContext

log = logging.getLogger("dev.push_retry")
HANDLER = "functions.push_retry.handler"
INTERVAL_SECONDS = 10.0


class PushRetryTimer:
    def __init__(self, interval: float = INTERVAL_SECONDS) -> None:
        self.interval = interval
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> dict[str, object]:
        event = {"source": "fleetbridge.scheduler", "detail-type": "push_retry", "time": datetime.now(UTC).isoformat()}
        handler = importlib.import_module(HANDLER)  # after the dev environment is loaded
        return dict(handler.lambda_handler(event, LocalContext(function_name="fleetbridge-push-retry")))

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="dev-push-retry", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(15)

    def _run(self) -> None:
        while not self._stopping.wait(self.interval):
            try:
                self.run_once()
            except Exception:  # as a failed scheduled invocation: logged, and the next run retries
                log.exception("push_retry run failed")
