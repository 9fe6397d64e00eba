"""What a capacity provider does to its Auto Scaling group (`ecs_capacity.py`): managed scaling's
scale-in with managed termination protection (only instances without tasks go; the rest stay
protected), and managed instance draining (ECS's terminating lifecycle hook holds an instance
leaving the group, DRAINING, until its tasks run elsewhere)."""

import base64
import time

import pytest
from botocore.exceptions import ClientError
from conftest import wait_for
from test_ecs_placement import AGENT, front, instances, task_definition

HOOK = "ecs-managed-draining-termination-hook"


def capacity(emu, account, *, size, protection, scaling, draining=None, max_size=4):
    """A cluster `demo` and provider `cp` over the group `ecs` of t3.medium (4096 MiB each)."""
    ecs, ec2, asg = (emu.client(s, account) for s in ("ecs", "ec2", "autoscaling"))
    ecs.create_cluster(clusterName="demo")
    user_data = base64.b64encode(AGENT.format(cluster="demo", reserved=0).encode()).decode()
    template = ec2.create_launch_template(LaunchTemplateName="ecs", LaunchTemplateData={
        "ImageId": "ami-12c6146b", "InstanceType": "t3.medium", "UserData": user_data})
    zone = ec2.describe_availability_zones()["AvailabilityZones"][0]["ZoneName"]
    asg.create_auto_scaling_group(AutoScalingGroupName="ecs", MinSize=0, MaxSize=max_size, DesiredCapacity=size,
                                  AvailabilityZones=[zone], NewInstancesProtectedFromScaleIn=protection,
                                  LaunchTemplate={"LaunchTemplateId": template["LaunchTemplate"]["LaunchTemplateId"]})
    arn = asg.describe_auto_scaling_groups()["AutoScalingGroups"][0]["AutoScalingGroupARN"]
    provider = {"autoScalingGroupArn": arn,
                "managedScaling": {"status": "ENABLED" if scaling else "DISABLED", "targetCapacity": 100},
                "managedTerminationProtection": "ENABLED" if protection else "DISABLED"}
    if draining is not None:
        provider["managedDraining"] = draining
    ecs.create_capacity_provider(name="cp", autoScalingGroupProvider=provider)
    ecs.put_cluster_capacity_providers(cluster="demo", capacityProviders=["cp"],
                                       defaultCapacityProviderStrategy=[{"capacityProvider": "cp", "weight": 1}])
    return ecs, asg


def group(asg):
    return asg.describe_auto_scaling_groups(AutoScalingGroupNames=["ecs"])["AutoScalingGroups"][0]


def placed(ecs):
    """ec2 instance id -> the number of the service's tasks ECS wants running there."""
    arns = ecs.list_tasks(cluster="demo", serviceName="web")["taskArns"]
    if not arns:
        return {}
    by_ci = {ci["containerInstanceArn"]: ci["ec2InstanceId"] for ci in instances(ecs)}
    out = {}
    for t in ecs.describe_tasks(cluster="demo", tasks=arns)["tasks"]:
        if t["lastStatus"] == "RUNNING":
            ec2 = by_ci.get(t.get("containerInstanceArn"))
            out[ec2] = out.get(ec2, 0) + 1
    return out


def test_managed_scale_in_takes_only_instances_without_tasks(emu, account):
    # A low alarm of 3 s: the tasks are placed before it fires.
    emu.set_profile(account, {"durations": {"ecs_managed_scale_in": 3}})
    ecs, asg = capacity(emu, account, size=3, protection=True, scaling=True)
    wait_for(lambda: len(instances(ecs)), 3)
    # Two tasks of 1500 MiB: both fit one t3.medium (binpack), so one instance is needed.
    ecs.create_service(cluster="demo", serviceName="web", taskDefinition=task_definition(ecs, memory=1500),
                       desiredCount=2, placementStrategy=[{"type": "binpack", "field": "memory"}])
    wait_for(lambda: sum(placed(ecs).values()), 2)
    busy = set(placed(ecs))
    assert len(busy) == 1
    # Every instance in service is protected from scale-in while ECS needs it.
    assert all(i["ProtectedFromScaleIn"] for i in group(asg)["Instances"])
    # The reservation is low (1 of 3 instances in use): after the low alarm ECS lowers the
    # desired capacity to 1, turning protection off on the two empty instances only; they drain
    # (nothing to move) and terminate; the busy one stays, protected.
    seen = wait_for(lambda: group(asg)["DesiredCapacity"], 1)
    assert seen == [3, 1], "not before the scale-in alarm, then at once to what the tasks need"
    wait_for(lambda: [i["InstanceId"] for i in group(asg)["Instances"]], sorted(busy))
    left = group(asg)["Instances"]
    assert [(i["InstanceId"], i["ProtectedFromScaleIn"]) for i in left] == [(busy.pop(), True)]
    assert placed(ecs) == {left[0]["InstanceId"]: 2}, "the tasks never moved"
    wait_for(lambda: len(instances(ecs)), 1)
    # The group's minimum holds the scale-in: none below MinSize even with no task at all.
    asg.update_auto_scaling_group(AutoScalingGroupName="ecs", MinSize=1)
    ecs.update_service(cluster="demo", service="web", desiredCount=0)
    wait_for(lambda: placed(ecs), {})
    wait_for(lambda: group(asg)["DesiredCapacity"], 0, timeout=4)
    assert group(asg)["DesiredCapacity"] == 1


def test_managed_draining_moves_the_tasks_before_the_instance_goes(emu, account):
    ecs, asg = capacity(emu, account, size=2, protection=False, scaling=False)
    elb, tg, _, _ = front(emu, account)
    hooks = asg.describe_lifecycle_hooks(AutoScalingGroupName="ecs")["LifecycleHooks"]
    assert [(h["LifecycleHookName"], h["LifecycleTransition"], h["HeartbeatTimeout"], h["DefaultResult"])
            for h in hooks] == [(HOOK, "autoscaling:EC2_INSTANCE_TERMINATING", 3600, "CONTINUE")], \
        "managed draining is on by default: ECS puts its hook on the group"
    wait_for(lambda: len(instances(ecs)), 2)
    ecs.create_service(cluster="demo", serviceName="web", taskDefinition=task_definition(ecs, memory=1000),
                       desiredCount=2,
                       loadBalancers=[{"targetGroupArn": tg, "containerName": "web", "containerPort": 80}])
    wait_for(lambda: sorted(placed(ecs).values()), [1, 1])
    wait_for(lambda: ecs.describe_services(cluster="demo", services=["web"])["services"][0]["deployments"][0]
             ["rolloutState"], "COMPLETED")

    # The group scales in by one: that instance waits on ECS's hook, DRAINING, while its task
    # is replaced on the other; never fewer than 2 tasks serve (minimumHealthyPercent 100).
    asg.set_desired_capacity(AutoScalingGroupName="ecs", DesiredCapacity=1)
    leaving = next(i for i in group(asg)["Instances"] if i["LifecycleState"].startswith("Terminating"))["InstanceId"]
    staying = next(i for i in group(asg)["Instances"] if i["InstanceId"] != leaving)["InstanceId"]
    states, healthy = [], []

    def progress():
        lifecycle = {i["InstanceId"]: i["LifecycleState"] for i in group(asg)["Instances"]}.get(leaving, "gone")
        ci = {c["ec2InstanceId"]: c["status"] for c in instances(ecs)}.get(leaving, "deregistered")
        states.append((lifecycle, ci, placed(ecs)))
        healthy.append(sum(1 for t in elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
                           if t["TargetHealth"]["State"] == "healthy"))
        return lifecycle, ci

    wait_for(progress, ("gone", "deregistered"))
    assert ("Terminating:Wait", "DRAINING", {leaving: 1, staying: 2}) in states, states
    assert min(healthy) >= 2, healthy
    assert placed(ecs) == {staying: 2}
    stopped = ecs.list_tasks(cluster="demo", serviceName="web", desiredStatus="STOPPED")["taskArns"]
    reasons = [t["stoppedReason"] for t in ecs.describe_tasks(cluster="demo", tasks=stopped)["tasks"]]
    assert len(reasons) == 1 and "DRAINING" in reasons[0], reasons


def test_a_scale_in_drains_at_the_call_and_the_replacement_starts_then(emu, account):
    # ECS acts as the Auto Scaling change returns, not at the account's next call.
    ecs, asg = capacity(emu, account, size=2, protection=False, scaling=False)
    wait_for(lambda: len(instances(ecs)), 2)
    ecs.create_service(cluster="demo", serviceName="web", taskDefinition=task_definition(ecs, memory=1000),
                       desiredCount=2)
    wait_for(lambda: sorted(placed(ecs).values()), [1, 1])
    first = set(ecs.list_tasks(cluster="demo", serviceName="web")["taskArns"])
    before = time.time()
    asg.set_desired_capacity(AutoScalingGroupName="ecs", DesiredCapacity=1)
    after = time.time()
    time.sleep(0.5)  # no call meanwhile
    arns = ecs.list_tasks(cluster="demo", serviceName="web")["taskArns"]
    new = [t for t in ecs.describe_tasks(cluster="demo", tasks=arns)["tasks"] if t["taskArn"] not in first]
    assert len(new) == 1, "the leaving instance's task replaced on the other"
    assert before - 0.05 <= new[0]["startedAt"].timestamp() <= after + 0.05, (before, new[0]["startedAt"], after)


def test_without_managed_draining_an_instance_leaving_takes_its_tasks_with_it(emu, account):
    ecs, asg = capacity(emu, account, size=2, protection=False, scaling=False, draining="DISABLED")
    assert asg.describe_lifecycle_hooks(AutoScalingGroupName="ecs")["LifecycleHooks"] == []
    wait_for(lambda: len(instances(ecs)), 2)
    ecs.create_service(cluster="demo", serviceName="web", taskDefinition=task_definition(ecs, memory=1000),
                       desiredCount=2)
    wait_for(lambda: sorted(placed(ecs).values()), [1, 1])
    arns = set(ecs.list_tasks(cluster="demo", serviceName="web")["taskArns"])
    asg.set_desired_capacity(AutoScalingGroupName="ecs", DesiredCapacity=1)
    stopped = ecs.list_tasks(cluster="demo", serviceName="web", desiredStatus="STOPPED")["taskArns"]
    assert len(stopped) == 1 and stopped[0] in arns
    task = ecs.describe_tasks(cluster="demo", tasks=stopped)["tasks"][0]
    assert (task["lastStatus"], task["stopCode"]) == ("STOPPED", "TerminationNotice")
    assert "terminated" in task["stoppedReason"]
    # The scheduler starts a replacement on the instance left.
    wait_for(lambda: list(placed(ecs).values()), [2])
    provider = ecs.describe_capacity_providers(capacityProviders=["cp"])["capacityProviders"][0]
    assert provider["autoScalingGroupProvider"]["managedDraining"] == "DISABLED"
    ecs.update_capacity_provider(name="cp", autoScalingGroupProvider={"managedDraining": "ENABLED"})
    provider = ecs.describe_capacity_providers(capacityProviders=["cp"])["capacityProviders"][0]
    assert provider["autoScalingGroupProvider"]["managedDraining"] == "ENABLED"
    hooks = asg.describe_lifecycle_hooks(AutoScalingGroupName="ecs")["LifecycleHooks"]
    assert [h["LifecycleHookName"] for h in hooks] == [HOOK]


def test_a_provider_tasks_still_use_cannot_leave_the_cluster(emu, account):
    ecs, _ = capacity(emu, account, size=1, protection=False, scaling=False)
    wait_for(lambda: len(instances(ecs)), 1)
    ecs.create_service(cluster="demo", serviceName="web", taskDefinition=task_definition(ecs, memory=1000),
                       desiredCount=1)
    wait_for(lambda: sum(placed(ecs).values()), 1)
    with pytest.raises(ClientError) as refused:
        ecs.put_cluster_capacity_providers(cluster="demo", capacityProviders=[], defaultCapacityProviderStrategy=[])
    assert refused.value.response["Error"]["Code"] == "ResourceInUseException"
    # Deleted, the service is INACTIVE once its task is STOPPING; the task keeps the provider in
    # use until it is STOPPED.
    ecs.delete_service(cluster="demo", service="web", force=True)
    wait_for(lambda: ecs.describe_services(cluster="demo", services=["web"])["services"][0]["status"], "INACTIVE")

    def emptied():
        try:
            ecs.put_cluster_capacity_providers(cluster="demo", capacityProviders=[],
                                               defaultCapacityProviderStrategy=[])
            return "done"
        except ClientError as err:
            return err.response["Error"]["Code"]

    assert wait_for(emptied, "done") == ["ResourceInUseException", "done"]
    assert ecs.describe_clusters(clusters=["demo"])["clusters"][0]["capacityProviders"] == []
