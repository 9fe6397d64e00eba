"""The server's mutable state: profile, faults, call log, its own base URL."""

from __future__ import annotations

import threading

from . import profile as profile_mod
from .calllog import CallLog


class EmulatorState:
    def __init__(self, profile_path: str | None = None, faults=None) -> None:
        from .faults import Faults

        self.profile = profile_mod.load(profile_path)
        self.account_profiles: dict[str, dict[str, float]] = {}
        self.faults = faults or Faults([])
        self.calls = CallLog()
        # Accounts whose requests skip model validation (tests of the emulator itself only).
        self.unvalidated_accounts: set[str] = set()
        self.base_url = "http://127.0.0.1"
        self.lock = threading.RLock()

    def profile_for(self, account: str | None) -> dict[str, float]:
        return self.account_profiles.get(account or "", self.profile)

    def duration(self, key: str, account: str | None = None) -> float:
        return float(self.profile_for(account).get(key, 0.0))
