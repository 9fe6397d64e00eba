"""Latency profiles: how long each transitional state lasts, in seconds.

A profile is a JSON object `{"durations": {"<key>": seconds, ...}}`; keys missing from a
file fall back to the default profile. See docs/emulator.md for the keys.
"""

from __future__ import annotations

import json
from pathlib import Path

PROFILES_DIR = Path(__file__).resolve().parent.parent / "profiles"
# Keys that are not a transitional state: `"all"` leaves them alone (a test asking for instant
# resources with `"all": 0` still wants AWS's remembered idempotency tokens).
NOT_STATES = frozenset({"idempotency_token_ttl"})


def load(path: str | None) -> dict[str, float]:
    base = json.loads((PROFILES_DIR / "default.json").read_text())["durations"]
    if path:
        data = json.loads(Path(path).read_text())
        base = merge(base, data)
    return base


def merge(base: dict[str, float], data: dict) -> dict[str, float]:
    out = dict(base)
    durations = data.get("durations", {})
    if "all" in data:
        out = {k: (v if k in NOT_STATES else float(data["all"])) for k, v in out.items()}
    for k, v in durations.items():
        if k not in out:
            raise ValueError(f"unknown profile key {k!r}; known: {sorted(out)}")
        out[k] = float(v)
    return out
