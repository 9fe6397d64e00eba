"""`python -m shinyemu [--port P] [--profile FILE] [--faults FILE]`.

Prints `endpoint: http://127.0.0.1:P` as the first line of stdout, then serves until
SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="shinyemu", description="shinyctl's local AWS emulator")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--profile", help="latency profile JSON (default: profiles/default.json)")
    parser.add_argument("--faults", help="faults JSON (default: no faults)")
    args = parser.parse_args(argv)

    os.environ.setdefault("MOTO_ALLOW_NONEXISTENT_REGION", "true")
    # AWS-managed IAM policies (AmazonEKSClusterPolicy, ...) exist in every account.
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    from .server import Emulator

    emu = Emulator(args.port, args.profile, args.faults)
    print(f"endpoint: {emu.endpoint}", flush=True)

    stop = threading.Event()

    def on_signal(signum, _frame):
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    emu.start()
    while not stop.wait(0.5):
        pass
    emu.stop()
    print("emulator stopped", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
