"""The call log: every API call the emulator answered, readable at /_emulator/calls."""

from __future__ import annotations

import threading
import time


class CallLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: list[dict] = []

    def record(self, service, operation, account, region, status, error_code=None, fault=None,
               started=None):
        now = time.time()
        entry = {
            "service": service,
            "operation": operation,
            "account": account,
            "region": region,
            "time": now,
            # When the request arrived: time - started is how long the emulator took to answer.
            "started": now if started is None else started,
            "status": status,
            "result": "ok" if status < 400 and not fault else "error",
            "error_code": error_code,
            "fault": fault,
        }
        with self._lock:
            self._calls.append(entry)

    def list(self, account=None, service=None, operation=None) -> list[dict]:
        with self._lock:
            calls = list(self._calls)
        return [
            c
            for c in calls
            if (account is None or c["account"] == account)
            and (service is None or c["service"] == service)
            and (operation is None or c["operation"] == operation)
        ]

    def clear(self, account=None) -> int:
        with self._lock:
            before = len(self._calls)
            if account is None:
                self._calls = []
            else:
                self._calls = [c for c in self._calls if c["account"] != account]
            return before - len(self._calls)
