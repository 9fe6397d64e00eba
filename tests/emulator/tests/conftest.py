"""One emulator per test session, started exactly as users start it (`python -m shinyemu`),
on a free port on 127.0.0.1. Tests isolate themselves with unique account ids."""

from __future__ import annotations

import itertools
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
import requests
from botocore.config import Config

HERE = Path(__file__).resolve().parent
EMULATOR_DIR = HERE.parent
# Every transitional state lasts a fraction of a second, so tests see the states without long sleeps.
TEST_PROFILE = HERE / "profile_test.json"
STEP = 0.6  # the duration of each state in TEST_PROFILE

_accounts = itertools.count(random.Random().randrange(10**11, 9 * 10**11, 10**6), 10)


class Emu:
    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def client(self, service: str, account: str, region: str = "us-east-1", attempts: int = 1):
        """A boto3 client for `account`; `attempts` is the total number of tries per call."""
        cfg = Config(retries={"total_max_attempts": attempts, "mode": "standard"}, connect_timeout=5,
                     read_timeout=30)
        cl = boto3.client(service, endpoint_url=self.endpoint, region_name=region,
                          aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret", config=cfg)

        def add_account(request, **_):
            request.headers["x-moto-account-id"] = account

        cl.meta.events.register("before-sign.*.*", add_account)
        return cl

    def calls(self, account: str, **filters) -> list[dict]:
        r = requests.get(f"{self.endpoint}/_emulator/calls", params={"account": account, **filters}, timeout=10)
        r.raise_for_status()
        return r.json()["calls"]

    def set_profile(self, account: str, profile: dict) -> None:
        r = requests.put(f"{self.endpoint}/_emulator/profile", params={"account": account},
                         data=json.dumps(profile), timeout=10)
        r.raise_for_status()

    def set_faults(self, faults: dict) -> None:
        r = requests.put(f"{self.endpoint}/_emulator/faults", data=json.dumps(faults), timeout=10)
        r.raise_for_status()


@pytest.fixture(scope="session")
def emu():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(EMULATOR_DIR) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.Popen(
        [sys.executable, "-m", "shinyemu", "--port", "0", "--profile", str(TEST_PROFILE)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True,
    )
    try:
        first = proc.stdout.readline().strip()
        assert first.startswith("endpoint: http://127.0.0.1:"), first
        yield Emu(first.split(" ", 1)[1])
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def account(emu) -> str:
    """A fresh 12-digit account for this test (moto's x-moto-account-id isolation)."""
    return f"{next(_accounts):012d}"


@pytest.fixture
def zero_account(emu, account) -> str:
    """A fresh account whose resources are ready at once (the zero profile)."""
    emu.set_profile(account, json.loads((EMULATOR_DIR / "profiles" / "zero.json").read_text()))
    return account


def wait_for(fn, expected, timeout=10.0, interval=0.1):
    """Polls fn() until it returns `expected`; returns the sequence of distinct values seen."""
    seen = []
    deadline = time.time() + timeout
    while True:
        value = fn()
        if not seen or seen[-1] != value:
            seen.append(value)
        if value == expected or time.time() > deadline:
            return seen
        time.sleep(interval)
