"""EC2 Auto Scaling groups (`autoscaling_ext.py`): instances Pending then InService, the version
each was launched from, instance refresh in batches, scale-in and delete deregistering from the
target groups, ForceDelete, and the tag filter of DescribeAutoScalingGroups (test profile: 0.6 s
per state)."""

import pytest
from botocore.exceptions import ClientError
from conftest import wait_for

IMAGE = "ami-12c6146b"


def setup(emu, account, desired=2, target_group=False):
    ec2 = emu.client("ec2", account)
    asg = emu.client("autoscaling", account)
    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.7.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    template = ec2.create_launch_template(LaunchTemplateName="app", LaunchTemplateData={
        "ImageId": IMAGE, "InstanceType": "t3.small"})["LaunchTemplate"]["LaunchTemplateId"]
    extra = {}
    tg = None
    if target_group:
        elb = emu.client("elbv2", account)
        tg = elb.create_target_group(Name="app", Protocol="HTTP", Port=80, VpcId=vpc,
                                     TargetType="instance")["TargetGroups"][0]["TargetGroupArn"]
        extra["TargetGroupARNs"] = [tg]
    asg.create_auto_scaling_group(
        AutoScalingGroupName="demo-app", MinSize=1, MaxSize=4, DesiredCapacity=desired,
        LaunchTemplate={"LaunchTemplateId": template, "Version": "1"}, VPCZoneIdentifier=subnet,
        Tags=[{"Key": "shinyctl.dev/blueprint", "Value": "demo", "PropagateAtLaunch": True},
              {"Key": "shinyctl.dev/server-group", "Value": "demo-app", "PropagateAtLaunch": True},
              {"Key": "shinyctl.dev/address", "Value": "servers.autoscaling_group.app", "PropagateAtLaunch": False}],
        **extra)
    return ec2, asg, template, tg


def group(asg, name="demo-app"):
    groups = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
    return groups[0] if groups else None


def lifecycles(asg):
    return sorted(i["LifecycleState"] for i in group(asg)["Instances"])


def versions(asg):
    return sorted(i["LaunchTemplate"]["Version"] for i in group(asg)["Instances"])


def test_instances_are_pending_then_in_service_and_carry_the_propagated_tags(emu, account):
    ec2, asg, _, _ = setup(emu, account)
    seen = wait_for(lambda: lifecycles(asg), ["InService", "InService"])
    assert seen[0] == ["Pending", "Pending"], seen
    assert seen[-1] == ["InService", "InService"], seen
    ids = [i["InstanceId"] for i in group(asg)["Instances"]]
    described = ec2.describe_instances(InstanceIds=ids)["Reservations"]
    for instance in (i for r in described for i in r["Instances"]):
        tags = {t["Key"]: t["Value"] for t in instance["Tags"]}
        assert tags["shinyctl.dev/server-group"] == "demo-app"
        assert tags["aws:autoscaling:groupName"] == "demo-app"
        assert "shinyctl.dev/address" not in tags
    assert group(asg)["HealthCheckGracePeriod"] == 0
    # A pending instance counts toward the desired capacity: no third one.
    assert len(group(asg)["Instances"]) == 2


def test_the_tag_filter_lists_only_the_blueprints_groups(emu, account):
    _, asg, _, _ = setup(emu, account, desired=1)
    mine = asg.describe_auto_scaling_groups(Filters=[{"Name": "tag:shinyctl.dev/blueprint", "Values": ["demo"]}])
    other = asg.describe_auto_scaling_groups(Filters=[{"Name": "tag:shinyctl.dev/blueprint", "Values": ["x"]}])
    assert [g["AutoScalingGroupName"] for g in mine["AutoScalingGroups"]] == ["demo-app"]
    assert other["AutoScalingGroups"] == []


def test_a_refresh_replaces_old_instances_one_at_a_time_then_succeeds(emu, account):
    ec2, asg, template, _ = setup(emu, account)
    wait_for(lambda: lifecycles(asg), ["InService", "InService"])
    old = {i["InstanceId"] for i in group(asg)["Instances"]}
    ec2.create_launch_template_version(LaunchTemplateId=template, LaunchTemplateData={
        "ImageId": IMAGE, "InstanceType": "t3.medium", "UserData": "IyEvYmluL2Jhc2gK"})
    asg.update_auto_scaling_group(AutoScalingGroupName="demo-app",
                                  LaunchTemplate={"LaunchTemplateId": template, "Version": "2"})
    # The update alone replaces nothing.
    assert versions(asg) == ["1", "1"]
    refresh = asg.start_instance_refresh(
        AutoScalingGroupName="demo-app",
        DesiredConfiguration={"LaunchTemplate": {"LaunchTemplateId": template, "Version": "2"}},
        Preferences={"MinHealthyPercentage": 100, "MaxHealthyPercentage": 150, "SkipMatching": True},
    )["InstanceRefreshId"]
    with pytest.raises(ClientError) as again:
        asg.start_instance_refresh(AutoScalingGroupName="demo-app")
    assert again.value.response["Error"]["Code"] == "InstanceRefreshInProgress"

    def status():
        r = asg.describe_instance_refreshes(AutoScalingGroupName="demo-app",
                                            InstanceRefreshIds=[refresh])["InstanceRefreshes"][0]
        return r["Status"]

    counts = []

    def watch():
        g = group(asg)
        counts.append(len(g["Instances"]))
        return status()

    seen = wait_for(watch, "Successful", timeout=20)
    assert seen[0] == "Pending" and "InProgress" in seen and seen[-1] == "Successful", seen
    # Launch before terminate, one at a time: never below 2, never above 3.
    assert min(counts) >= 2 and max(counts) <= 3, counts
    assert versions(asg) == ["2", "2"]
    assert not old & {i["InstanceId"] for i in group(asg)["Instances"]}
    r = asg.describe_instance_refreshes(AutoScalingGroupName="demo-app")["InstanceRefreshes"][0]
    assert r["PercentageComplete"] == 100
    with pytest.raises(ClientError) as none:
        asg.cancel_instance_refresh(AutoScalingGroupName="demo-app")
    assert none.value.response["Error"]["Code"] == "ActiveInstanceRefreshNotFound"


def test_skip_matching_replaces_nothing_already_on_the_version(emu, account):
    _, asg, template, _ = setup(emu, account)
    wait_for(lambda: lifecycles(asg), ["InService", "InService"])
    before = sorted(i["InstanceId"] for i in group(asg)["Instances"])
    refresh = asg.start_instance_refresh(
        AutoScalingGroupName="demo-app",
        DesiredConfiguration={"LaunchTemplate": {"LaunchTemplateId": template, "Version": "1"}},
        Preferences={"MinHealthyPercentage": 100, "MaxHealthyPercentage": 150, "SkipMatching": True},
    )["InstanceRefreshId"]
    seen = wait_for(lambda: asg.describe_instance_refreshes(
        AutoScalingGroupName="demo-app", InstanceRefreshIds=[refresh])["InstanceRefreshes"][0]["Status"],
        "Successful")
    assert seen[-1] == "Successful"
    assert sorted(i["InstanceId"] for i in group(asg)["Instances"]) == before


def test_refresh_preferences_aws_refuses(emu, account):
    _, asg, _, _ = setup(emu, account, desired=1)
    for prefs in ({"MaxHealthyPercentage": 150}, {"MinHealthyPercentage": 0, "MaxHealthyPercentage": 150},
                  {"MinHealthyPercentage": 100, "MaxHealthyPercentage": 100}):
        with pytest.raises(ClientError) as refused:
            asg.start_instance_refresh(AutoScalingGroupName="demo-app", Preferences=prefs)
        assert refused.value.response["Error"]["Code"] == "ValidationError", prefs


def test_a_cancelled_refresh_ends_cancelled(emu, account):
    _, asg, _, _ = setup(emu, account, desired=1)
    asg.start_instance_refresh(AutoScalingGroupName="demo-app")
    asg.cancel_instance_refresh(AutoScalingGroupName="demo-app")
    seen = wait_for(lambda: asg.describe_instance_refreshes(AutoScalingGroupName="demo-app")
                    ["InstanceRefreshes"][0]["Status"], "Cancelled")
    assert seen[-1] == "Cancelled", seen


def test_scale_in_and_delete_deregister_from_the_target_group(emu, account):
    ec2, asg, _, tg = setup(emu, account, desired=3, target_group=True)
    elb = emu.client("elbv2", account)

    def targets():
        return sorted(d["Target"]["Id"] for d in elb.describe_target_health(TargetGroupArn=tg)
                      ["TargetHealthDescriptions"] if d["TargetHealth"]["State"] != "draining")

    wait_for(lambda: lifecycles(asg), ["InService"] * 3)
    assert len(targets()) == 3
    asg.update_auto_scaling_group(AutoScalingGroupName="demo-app", DesiredCapacity=1)
    assert targets() == [i["InstanceId"] for i in group(asg)["Instances"]]

    with pytest.raises(ClientError) as in_use:
        asg.delete_auto_scaling_group(AutoScalingGroupName="demo-app")
    assert in_use.value.response["Error"]["Code"] == "ResourceInUse"
    left = group(asg)["Instances"][0]["InstanceId"]
    asg.delete_auto_scaling_group(AutoScalingGroupName="demo-app", ForceDelete=True)
    assert group(asg)["Status"] == "Delete in progress"
    assert targets() == []
    state = ec2.describe_instances(InstanceIds=[left])["Reservations"][0]["Instances"][0]["State"]["Name"]
    assert state in ("shutting-down", "terminated")
    seen = wait_for(lambda: group(asg) is None, True)
    assert seen[-1] is True
    with pytest.raises(ClientError) as gone:
        asg.delete_auto_scaling_group(AutoScalingGroupName="demo-app", ForceDelete=True)
    assert gone.value.response["Error"]["Code"] == "ValidationError"



def test_health_checks_count_from_when_an_instance_came_into_service(emu, account):
    """Auto Scaling registers an instance as it comes into service, whoever asks next: its health
    checks (ELB's default 5 × 30 s, 1.5 s at the test profile's 0.01) count from its launch's end
    (0.6 s), not from the group's first call after it."""
    import time

    ec2 = emu.client("ec2", account)
    elb = emu.client("elbv2", account)
    asg = emu.client("autoscaling", account)
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.8.{i}.0/24", AvailabilityZone=f"us-east-1{z}")
               ["Subnet"]["SubnetId"] for i, z in enumerate("ab")]
    tg = elb.create_target_group(Name="app", Protocol="HTTP", Port=80, VpcId=vpc,
                                 TargetType="instance")["TargetGroups"][0]["TargetGroupArn"]
    lb = elb.create_load_balancer(Name="front", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    template = ec2.create_launch_template(LaunchTemplateName="app", LaunchTemplateData={
        "ImageId": IMAGE, "InstanceType": "t3.small"})["LaunchTemplate"]["LaunchTemplateId"]
    started = time.monotonic()
    asg.create_auto_scaling_group(
        AutoScalingGroupName="demo-app", MinSize=1, MaxSize=1, DesiredCapacity=1,
        LaunchTemplate={"LaunchTemplateId": template, "Version": "1"}, VPCZoneIdentifier=subnets[0],
        TargetGroupARNs=[tg])
    time.sleep(max(0.0, started + 1.2 - time.monotonic()))  # running since 0.6 s; nobody looks
    assert lifecycles(asg) == ["InService"]  # the group's first call since: registers it
    time.sleep(max(0.0, started + 2.35 - time.monotonic()))
    states = [d["TargetHealth"]["State"]
              for d in elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]]
    # Healthy at 0.6 + 1.5 = 2.1 s; counted from the call at 1.2 s it would be 2.7 s.
    assert states == ["healthy"], states
