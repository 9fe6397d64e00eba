"""EC2 instances with time: `pending` then `running` after RunInstances, `shutting-down` then
`terminated` after TerminateInstances. moto has neither: its instances are `running` the moment
they are launched and `terminated` the moment they are terminated.

AWS: RunInstances answers the instance `pending` (code 0) and it becomes `running` (16) later; the
botocore waiter `InstanceRunning` (ec2 waiters-2.json) polls DescribeInstances every 15 s for it.
TerminateInstances answers `shutting-down` (32), then `terminated` (48); a terminated instance
stays visible to DescribeInstances for about an hour (EC2 User Guide, "Terminate Amazon EC2
instances"), as moto keeps it. The durations are the profile's `ec2_instance_create` and
`ec2_instance_delete` (published `terraform apply` logs of `aws_instance`: "Creation complete
after" 12-42 s, "Destruction complete after" 20-31 s; the default profile divides by 60).
"""

from __future__ import annotations

import time

from .lifecycle import duration, phase_of, set_phase

# EC2 API reference, InstanceState: the low byte of the code per state name.
CODES = {"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48, "stopping": 64, "stopped": 80}


def _phase_state(state) -> str | None:
    ph = phase_of(state)
    return ph.state(time.time()) if ph is not None else None


def install() -> None:
    from moto.ec2.models.instances import Instance, InstanceState

    if getattr(InstanceState, "_emu_installed", False):
        return
    InstanceState._emu_installed = True

    def get_name(self):
        return _phase_state(self) or self.__dict__.get("_emu_name")

    def set_name(self, value):
        self.__dict__["_emu_name"] = value

    def get_code(self):
        shown = _phase_state(self)
        return CODES[shown] if shown is not None else self.__dict__.get("_emu_code")

    def set_code(self, value):
        self.__dict__["_emu_code"] = value

    InstanceState.name = property(get_name, set_name)
    InstanceState.code = property(get_code, set_code)

    launch = Instance.__init__

    def launched(self, *args, **kwargs):
        launch(self, *args, **kwargs)
        # The interface RunInstances makes itself (no NetworkInterfaces asked for) goes with the
        # instance: "network interfaces that are automatically created and attached to instances
        # are deleted on instance termination" (EC2 User Guide, "Elastic network interfaces",
        # Delete on termination). moto keeps it, which blocked DeleteSubnet and
        # DeleteSecurityGroup after the instance was gone.
        if not kwargs.get("nics"):
            for nic in self.nics.values():
                nic.delete_on_termination = True
        seconds = duration("ec2_instance_create")
        if seconds > 0:
            set_phase(self._state, [("pending", seconds)])

    terminate = Instance.terminate

    def terminated(self):
        previous = terminate(self)
        seconds = duration("ec2_instance_delete")
        # Terminating a terminated instance changes nothing (it answers terminated -> terminated).
        if seconds > 0 and previous.name != "terminated":
            set_phase(self._state, [("shutting-down", seconds)])
        return previous

    Instance.__init__ = launched
    Instance.terminate = terminated
