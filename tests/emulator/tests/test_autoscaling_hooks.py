"""EC2 Auto Scaling lifecycle hooks (`autoscaling_hooks.py`): an instance a group with a
terminating hook scales in is deregistered (draining), then waits in Terminating:Wait until its
action is completed or the heartbeat timeout passes, then Terminating:Proceed and gone; the calls'
refusals; heartbeats; a hook's delete completing its actions; ForceDelete; an instance refresh held
by the hook (test profile: 0.6 s per state, `lifecycle_hook_scale` and `target_health_scale` 0.01)."""

import pytest
import requests
from botocore.exceptions import ClientError
from conftest import wait_for
from test_autoscaling import group, lifecycles, setup

TERMINATING = "autoscaling:EC2_INSTANCE_TERMINATING"
HOOK = "demo-app-drain"


def code(err) -> str:
    return err.value.response["Error"]["Code"]


def message(err) -> str:
    return err.value.response["Error"]["Message"]


def states(asg) -> dict:
    g = group(asg)
    return {i["InstanceId"]: i["LifecycleState"] for i in g["Instances"]} if g else {}


def hook(asg, heartbeat=3600, result="CONTINUE", name=HOOK):
    asg.put_lifecycle_hook(AutoScalingGroupName="demo-app", LifecycleHookName=name,
                           LifecycleTransition=TERMINATING, HeartbeatTimeout=heartbeat, DefaultResult=result)


def scaled_in(emu, account, heartbeat=3600, result="CONTINUE", target_group=False, desired=2):
    """A group of `desired` in service with a terminating hook, scaled in by one: the instance
    chosen to leave."""
    ec2, asg, template, tg = setup(emu, account, desired=desired, target_group=target_group)
    wait_for(lambda: lifecycles(asg), ["InService"] * desired)
    hook(asg, heartbeat, result)
    before = set(states(asg))
    asg.update_auto_scaling_group(AutoScalingGroupName="demo-app", DesiredCapacity=desired - 1)
    leaving = [i for i, s in states(asg).items() if s.startswith("Terminating")]
    assert len(leaving) == 1 and set(states(asg)) == before, states(asg)
    return ec2, asg, tg, leaving[0]


def test_a_scaled_in_instance_drains_then_waits_for_its_action(emu, account):
    ec2, asg, tg, leaving = scaled_in(emu, account, target_group=True)
    elb = emu.client("elbv2", account)

    def target(instance):
        found = [d["TargetHealth"]["State"] for d in
                 elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
                 if d["Target"]["Id"] == instance]
        return found[0] if found else None

    # Deregistered first (the deregistration delay, 300 s × 0.01), in Terminating meanwhile.
    assert states(asg)[leaving] == "Terminating"
    assert target(leaving) == "draining"
    seen = wait_for(lambda: states(asg)[leaving], "Terminating:Wait")
    assert seen == ["Terminating", "Terminating:Wait"], seen
    # Still running in EC2, still in the group, and held: the heartbeat timeout is 36 s here.
    ec2_state = ec2.describe_instances(InstanceIds=[leaving])["Reservations"][0]["Instances"][0]["State"]["Name"]
    assert ec2_state == "running"
    assert group(asg)["DesiredCapacity"] == 1 and len(group(asg)["Instances"]) == 2

    asg.complete_lifecycle_action(AutoScalingGroupName="demo-app", LifecycleHookName=HOOK,
                                  InstanceId=leaving, LifecycleActionResult="CONTINUE")
    assert states(asg)[leaving] == "Terminating:Proceed"
    seen = wait_for(lambda: leaving in states(asg), False)
    assert seen[-1] is False, seen
    assert len(group(asg)["Instances"]) == 1
    ec2_state = ec2.describe_instances(InstanceIds=[leaving])["Reservations"][0]["Instances"][0]["State"]["Name"]
    assert ec2_state in ("shutting-down", "terminated")
    # Its action is done: completing it again finds none.
    with pytest.raises(ClientError) as again:
        asg.complete_lifecycle_action(AutoScalingGroupName="demo-app", LifecycleHookName=HOOK,
                                      InstanceId=leaving, LifecycleActionResult="CONTINUE")
    assert code(again) == "ValidationError"
    assert message(again) == f"No active Lifecycle Action found with instance ID {leaving}"


def test_complete_lifecycle_action_refuses_what_aws_refuses(emu, account):
    _, asg, _, leaving = scaled_in(emu, account)
    wait_for(lambda: states(asg)[leaving], "Terminating:Wait")
    cases = [
        (dict(LifecycleHookName="other-hook", InstanceId=leaving, LifecycleActionResult="CONTINUE"),
         f"No active Lifecycle Action found with instance ID {leaving}"),
        (dict(LifecycleHookName=HOOK, InstanceId="i-00000000000000000", LifecycleActionResult="CONTINUE"),
         "No active Lifecycle Action found with instance ID i-00000000000000000"),
        (dict(LifecycleHookName=HOOK, LifecycleActionToken="00000000-0000-0000-0000-000000000000",
              LifecycleActionResult="CONTINUE"),
         "No active Lifecycle Action found with token 00000000-0000-0000-0000-000000000000"),
        (dict(LifecycleHookName=HOOK, LifecycleActionResult="CONTINUE"), None),
        (dict(LifecycleHookName=HOOK, InstanceId=leaving, LifecycleActionResult="PROCEED"), None),
    ]
    for params, expected in cases:
        with pytest.raises(ClientError) as refused:
            asg.complete_lifecycle_action(AutoScalingGroupName="demo-app", **params)
        assert code(refused) == "ValidationError", params
        if expected:
            assert message(refused) == expected
    with pytest.raises(ClientError) as no_group:
        asg.complete_lifecycle_action(AutoScalingGroupName="nope", LifecycleHookName=HOOK, InstanceId=leaving,
                                      LifecycleActionResult="CONTINUE")
    assert code(no_group) == "ValidationError" and "not found" in message(no_group)
    # Nothing of it moved the instance on.
    assert states(asg)[leaving] == "Terminating:Wait"


def test_the_token_completes_it_too(emu, account):
    _, asg, _, leaving = scaled_in(emu, account)
    wait_for(lambda: states(asg)[leaving], "Terminating:Wait")
    actions = requests.get(f"{emu.endpoint}/_emulator/autoscaling/actions", params={"account": account},
                           timeout=10).json()["actions"]
    assert [a["InstanceId"] for a in actions] == [leaving]
    assert actions[0]["Hooks"] == [HOOK]
    asg.complete_lifecycle_action(AutoScalingGroupName="demo-app", LifecycleHookName=HOOK,
                                  LifecycleActionToken=actions[0]["LifecycleActionToken"],
                                  LifecycleActionResult="ABANDON")
    seen = wait_for(lambda: leaving in states(asg), False)
    assert seen[-1] is False


def test_the_heartbeat_timeout_applies_the_default_result(emu, account):
    # 100 s × 0.01: the default result after 1 s in Terminating:Wait (long enough for the polls
    # to see that state on a loaded machine; at 0.3 s they once missed it).
    _, asg, _, leaving = scaled_in(emu, account, heartbeat=100, result="ABANDON")
    seen = wait_for(lambda: states(asg).get(leaving), None)
    assert "Terminating:Wait" in seen and seen[-1] is None, seen
    assert len(group(asg)["Instances"]) == 1


def test_a_heartbeat_keeps_it_waiting(emu, account):
    # 60 s × 0.01: 0.6 s per heartbeat timeout; heartbeats every 0.2 s hold it for 1.2 s.
    import time

    _, asg, _, leaving = scaled_in(emu, account, heartbeat=60)
    wait_for(lambda: states(asg)[leaving], "Terminating:Wait")
    for _ in range(6):
        time.sleep(0.2)
        asg.record_lifecycle_action_heartbeat(AutoScalingGroupName="demo-app", LifecycleHookName=HOOK,
                                              InstanceId=leaving)
        assert states(asg)[leaving] == "Terminating:Wait"
    seen = wait_for(lambda: states(asg).get(leaving), None)
    assert seen[-1] is None, seen
    with pytest.raises(ClientError) as gone:
        asg.record_lifecycle_action_heartbeat(AutoScalingGroupName="demo-app", LifecycleHookName=HOOK,
                                              InstanceId=leaving)
    assert message(gone) == f"No active Lifecycle Action found with instance ID {leaving}"


def test_deleting_the_hook_continues_its_actions(emu, account):
    _, asg, _, leaving = scaled_in(emu, account)
    wait_for(lambda: states(asg)[leaving], "Terminating:Wait")
    asg.delete_lifecycle_hook(AutoScalingGroupName="demo-app", LifecycleHookName=HOOK)
    seen = wait_for(lambda: states(asg).get(leaving), None)
    assert seen[-1] is None, seen
    assert asg.describe_lifecycle_hooks(AutoScalingGroupName="demo-app")["LifecycleHooks"] == []
    with pytest.raises(ClientError) as missing:
        asg.delete_lifecycle_hook(AutoScalingGroupName="demo-app", LifecycleHookName=HOOK)
    assert code(missing) == "ValidationError" and message(missing).startswith("No Lifecycle Hook found")


def test_force_delete_ends_outstanding_actions_and_takes_the_hooks(emu, account):
    ec2, asg, _, leaving = scaled_in(emu, account)
    wait_for(lambda: states(asg)[leaving], "Terminating:Wait")
    asg.delete_auto_scaling_group(AutoScalingGroupName="demo-app", ForceDelete=True)
    assert group(asg)["Status"] == "Delete in progress"
    ec2_state = ec2.describe_instances(InstanceIds=[leaving])["Reservations"][0]["Instances"][0]["State"]["Name"]
    assert ec2_state in ("shutting-down", "terminated")
    wait_for(lambda: group(asg) is None, True)
    with pytest.raises(ClientError) as no_group:
        asg.describe_lifecycle_hooks(AutoScalingGroupName="demo-app")
    assert code(no_group) == "ValidationError" and "not found" in message(no_group)
    # A group made again with the name has no hooks of the old one.
    setup_again = emu.client("autoscaling", account)
    template = ec2.describe_launch_templates()["LaunchTemplates"][0]["LaunchTemplateId"]
    subnet = ec2.describe_subnets(Filters=[{"Name": "cidr-block", "Values": ["10.7.1.0/24"]}])["Subnets"][0]
    setup_again.create_auto_scaling_group(AutoScalingGroupName="demo-app", MinSize=0, MaxSize=1, DesiredCapacity=0,
                                          LaunchTemplate={"LaunchTemplateId": template, "Version": "1"},
                                          VPCZoneIdentifier=subnet["SubnetId"])
    assert setup_again.describe_lifecycle_hooks(AutoScalingGroupName="demo-app")["LifecycleHooks"] == []


def test_put_lifecycle_hook_refuses_what_aws_refuses(emu, account):
    _, asg, _, _ = setup(emu, account, desired=0)

    def put(**params):
        asg.put_lifecycle_hook(**{"AutoScalingGroupName": "demo-app", "LifecycleHookName": HOOK, **params})

    for params in (
        {},  # a new hook needs its transition
        {"LifecycleTransition": "autoscaling:EC2_INSTANCE_STOPPING"},
        {"LifecycleTransition": TERMINATING, "HeartbeatTimeout": 29},
        {"LifecycleTransition": TERMINATING, "HeartbeatTimeout": 7201},
        {"LifecycleTransition": TERMINATING, "DefaultResult": "PROCEED"},
        {"LifecycleTransition": TERMINATING, "AutoScalingGroupName": "nope"},
    ):
        with pytest.raises(ClientError) as refused:
            put(**params)
        assert code(refused) == "ValidationError", params
    assert asg.describe_lifecycle_hooks(AutoScalingGroupName="demo-app")["LifecycleHooks"] == []

    put(LifecycleTransition=TERMINATING, HeartbeatTimeout=30, DefaultResult="CONTINUE")
    put(LifecycleTransition=TERMINATING, HeartbeatTimeout=7200)
    # An update changes what it gives and keeps the rest.
    put(DefaultResult="ABANDON")
    [described] = asg.describe_lifecycle_hooks(AutoScalingGroupName="demo-app")["LifecycleHooks"]
    assert described["LifecycleTransition"] == TERMINATING
    assert described["HeartbeatTimeout"] == 7200
    assert described["DefaultResult"] == "ABANDON"
    assert described["GlobalTimeout"] == 172800
    assert "RoleARN" not in described and "NotificationTargetARN" not in described
    put(HeartbeatTimeout=60)
    [described] = asg.describe_lifecycle_hooks(AutoScalingGroupName="demo-app")["LifecycleHooks"]
    assert described["GlobalTimeout"] == 6000

    for n in range(49):
        put(LifecycleHookName=f"hook-{n}", LifecycleTransition=TERMINATING)
    with pytest.raises(ClientError) as limit:
        put(LifecycleHookName="hook-50", LifecycleTransition=TERMINATING)
    assert code(limit) == "LimitExceeded"
    with pytest.raises(ClientError) as no_group:
        asg.describe_lifecycle_hooks(AutoScalingGroupName="nope")
    assert code(no_group) == "ValidationError"


def test_a_refresh_waits_for_the_instances_a_hook_holds(emu, account):
    ec2, asg, template, _ = setup(emu, account, desired=1)
    wait_for(lambda: lifecycles(asg), ["InService"])
    old = next(iter(states(asg)))
    hook(asg)
    ec2.create_launch_template_version(LaunchTemplateId=template, LaunchTemplateData={
        "ImageId": "ami-12c6146b", "InstanceType": "t3.medium"})
    refresh = asg.start_instance_refresh(
        AutoScalingGroupName="demo-app",
        DesiredConfiguration={"LaunchTemplate": {"LaunchTemplateId": template, "Version": "2"}},
        Preferences={"MinHealthyPercentage": 100, "MaxHealthyPercentage": 200, "SkipMatching": True},
    )["InstanceRefreshId"]

    def status():
        return asg.describe_instance_refreshes(AutoScalingGroupName="demo-app",
                                               InstanceRefreshIds=[refresh])["InstanceRefreshes"][0]["Status"]

    # The replacement launches and serves; the old instance then waits for its action, and so
    # does the refresh.
    wait_for(lambda: states(asg).get(old), "Terminating:Wait", timeout=15)
    assert status() == "InProgress"
    assert sorted(states(asg).values()) == ["InService", "Terminating:Wait"]
    asg.complete_lifecycle_action(AutoScalingGroupName="demo-app", LifecycleHookName=HOOK, InstanceId=old,
                                  LifecycleActionResult="CONTINUE")
    seen = wait_for(status, "Successful", timeout=15)
    assert seen[-1] == "Successful", seen
    assert old not in states(asg) and list(states(asg).values()) == ["InService"]
