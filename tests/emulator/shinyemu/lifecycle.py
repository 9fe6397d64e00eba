"""Lifecycles with time: transitional states computed lazily from a latency profile.

Each tracked moto model class gets its status attribute replaced by a property. When
moto first sets it (in the constructor) the object gets a creation phase, e.g.
CREATING for `eks_cluster_create` seconds; reading the status walks the phase's steps
against the clock and ends in whatever moto set (ACTIVE, available, ...). Deletes keep
the object visible in a deleting state ("ghost") and `reap()` removes it from moto's
backend once the deletion time has passed.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from . import hooks

_lock = threading.Lock()
_ghosts: list[tuple[float, object]] = []  # (gone_at, remove())


@dataclass
class Phase:
    start: float
    steps: list  # [(state, seconds), ...]
    final: str | None = None  # None: whatever moto set last

    def state(self, now: float) -> str | None:
        elapsed = now - self.start
        for state, secs in self.steps:
            if elapsed < secs:
                return state
            elapsed -= secs
        return self.final

    def done(self, now: float) -> bool:
        return now - self.start >= sum(s for _, s in self.steps)


def duration(key: str) -> float:
    ctx = hooks.current()
    if ctx is None:
        return 0.0
    return ctx.state.duration(key, ctx.account)


def set_phase(obj, steps: list, final: str | None = None) -> None:
    obj.__dict__["_emu_phase"] = Phase(time.time(), [(s, float(d)) for s, d in steps], final)


def phase_of(obj) -> Phase | None:
    return obj.__dict__.get("_emu_phase")


def in_transition(obj) -> bool:
    ph = phase_of(obj)
    return ph is not None and not ph.done(time.time())


def track(cls, attr: str, create_steps, final: str | None = None) -> None:
    """Makes `cls.<attr>` a lifecycle-aware property; `create_steps` is [(state, profile key)]."""
    orig = cls.__dict__.get(attr)
    raw_key = f"_emu_raw_{attr}"
    if isinstance(orig, property):
        raw_get, raw_set = orig.fget, orig.fset
    else:
        def raw_get(self):
            return self.__dict__.get(raw_key)

        def raw_set(self, value):
            self.__dict__[raw_key] = value

    def getter(self):
        ph = self.__dict__.get("_emu_phase")
        if ph is not None:
            s = ph.state(time.time())
            if s is not None:
                return s
        return raw_get(self)

    def setter(self, value):
        if "_emu_phase" not in self.__dict__ and "_emu_seen" not in self.__dict__:
            self.__dict__["_emu_seen"] = True
            steps = [(state, duration(key)) for state, key in create_steps]
            if any(d > 0 for _, d in steps):
                set_phase(self, steps, final)
        raw_set(self, value)

    setattr(cls, attr, property(getter, setter))


def keep_while_deleting(obj, steps: list, remove, final: str | None = None) -> None:
    """After moto deleted `obj`, keep it visible in `steps` (e.g. [("DELETING", 5.0)]),
    then call `remove()` (which takes it out of moto's backend)."""
    total = sum(d for _, d in steps)
    # Until `remove()` runs (at the first reap after the deletion's time) the object stays in its
    # last deleting state: AWS never shows a resource it is deleting in its old state again, and
    # a describe served between the phase's end and that reap would (seen as `deleting` →
    # `available` → gone on a loaded machine).
    if final is None and steps:
        final = steps[-1][0]
    set_phase(obj, steps, final)
    if total <= 0:
        remove()
        return
    with _lock:
        _ghosts.append((time.time() + total, remove))


def reap() -> None:
    now = time.time()
    with _lock:
        due = [g for g in _ghosts if g[0] <= now]
        if not due:
            return
        _ghosts[:] = [g for g in _ghosts if g[0] > now]
    for _, remove in due:
        try:
            remove()
        except (KeyError, ValueError):
            pass


def install() -> None:
    from moto.ec2.models.nat_gateways import NatGateway
    from moto.efs.models import FileSystem, MountTarget
    from moto.eks.models import Cluster, FargateProfile, Nodegroup
    from moto.elasticache.models import ReplicationGroup
    from moto.elbv2.models import FakeLoadBalancer
    from moto.rds.models import DBCluster, DBInstance

    if getattr(Cluster, "_emu_installed", False):
        return
    Cluster._emu_installed = True
    track(Cluster, "status", [("CREATING", "eks_cluster_create")])
    track(Nodegroup, "status", [("CREATING", "eks_nodegroup_create")])
    track(FargateProfile, "status", [("CREATING", "eks_fargate_profile_create")])
    track(DBInstance, "status", [("creating", "rds_instance_create"), ("backing-up", "rds_instance_backup")])
    track(DBCluster, "status", [("creating", "rds_cluster_create")])
    track(ReplicationGroup, "status", [("creating", "elasticache_replication_group_create")])
    track(NatGateway, "state", [("pending", "nat_gateway_create")])
    track(FakeLoadBalancer, "state", [("provisioning", "load_balancer_create")], final="active")
    track(FileSystem, "life_cycle_state", [("creating", "efs_file_system_create")])
    track(MountTarget, "life_cycle_state", [("creating", "efs_mount_target_create")])
    # moto's EFS builds its answers from the instance __dict__, which no longer holds the state.
    for cls in (FileSystem, MountTarget):
        _expose(cls, "life_cycle_state", "LifeCycleState")
    from . import lifecycle_deletes  # noqa: F401  (registers the delete handlers)


def _expose(cls, attr: str, key: str) -> None:
    orig = cls.info_json

    def info_json(self):
        out = orig(self)
        out[key] = getattr(self, attr)
        return out

    cls.info_json = info_json
