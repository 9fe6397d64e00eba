"""Target health with time: initial -> healthy after the checks, draining -> gone after the
deregistration delay, unused in a group no load balancer uses; registrations by id and port."""

import pytest
from botocore.exceptions import ClientError
from conftest import wait_for


def setup(emu, account, scale, listener=True):
    """A VPC, a running instance, an instance target group (5 s x 2 checks, 10 s delay), and an
    ALB listener forwarding to it when `listener`."""
    emu.set_profile(account, {"durations": {"target_health_scale": scale}})
    ec2 = emu.client("ec2", account)
    elb = emu.client("elbv2", account)
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"us-east-1{z}")
               ["Subnet"]["SubnetId"] for i, z in enumerate("ab")]
    instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=subnets[0])[
        "Instances"][0]["InstanceId"]
    # AWS registers only running instances (RegisterTargets: InvalidTarget otherwise); a launch is
    # `pending` first.
    ec2.get_waiter("instance_running").wait(InstanceIds=[instance], WaiterConfig={"Delay": 0.2, "MaxAttempts": 100})
    tg = elb.create_target_group(Name="servers", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="instance",
                                 HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2,
                                 HealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
    elb.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[
        {"Key": "deregistration_delay.timeout_seconds", "Value": "10"}])
    if listener:
        lb = elb.create_load_balancer(Name="front", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
        elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    return elb, tg, instance


def states(elb, tg, targets=None):
    kwargs = {"Targets": targets} if targets else {}
    return [(d["Target"]["Id"], d["Target"]["Port"], d["TargetHealth"]["State"])
            for d in elb.describe_target_health(TargetGroupArn=tg, **kwargs)["TargetHealthDescriptions"]]


def test_a_registration_is_initial_until_its_checks_pass_then_healthy(emu, account):
    # 5 s x 2 checks, scaled by 0.1: healthy after 1 s.
    elb, tg, instance = setup(emu, account, 0.1)
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": instance, "Port": 8080}])
    seen = wait_for(lambda: states(elb, tg), [(instance, 8080, "healthy")])
    assert seen[0] == [(instance, 8080, "initial")], seen
    reason = elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"][0]["TargetHealth"]
    assert "Reason" not in reason
    # Registering again changes nothing (RegisterTargets is idempotent).
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": instance, "Port": 8080}])
    assert states(elb, tg) == [(instance, 8080, "healthy")]


def test_a_deregistered_target_drains_for_the_delay_then_is_gone(emu, account):
    # The 10 s delay, scaled by 0.1: gone after 1 s.
    elb, tg, instance = setup(emu, account, 0.1)
    target = [{"Id": instance, "Port": 8080}]
    elb.register_targets(TargetGroupArn=tg, Targets=target)
    elb.deregister_targets(TargetGroupArn=tg, Targets=target)
    seen = wait_for(lambda: states(elb, tg), [])
    assert seen[0] == [(instance, 8080, "draining")], seen
    # Asked for by id: unused, as botocore's TargetDeregistered waiter expects.
    assert states(elb, tg, target) == [(instance, 8080, "unused")]
    with pytest.raises(ClientError) as err:
        elb.deregister_targets(TargetGroupArn=tg, Targets=target)
    assert err.value.response["Error"]["Code"] == "InvalidTarget"


def test_one_instance_on_two_ports_is_two_registrations(emu, account):
    elb, tg, instance = setup(emu, account, 0)
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": instance, "Port": 8080}, {"Id": instance, "Port": 9090}])
    assert sorted(states(elb, tg)) == [(instance, 8080, "healthy"), (instance, 9090, "healthy")]
    elb.deregister_targets(TargetGroupArn=tg, Targets=[{"Id": instance, "Port": 8080}])
    assert states(elb, tg) == [(instance, 9090, "healthy")]
    elb.deregister_targets(TargetGroupArn=tg, Targets=[{"Id": instance, "Port": 9090}])
    assert states(elb, tg) == []


def test_a_group_no_load_balancer_uses_has_its_targets_unused(emu, account):
    elb, tg, instance = setup(emu, account, 0, listener=False)
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": instance, "Port": 8080}])
    health = elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"][0]["TargetHealth"]
    assert (health["State"], health["Reason"]) == ("unused", "Target.NotInUse")


def test_a_missing_group_and_a_stopped_instance(emu, account):
    elb, tg, instance = setup(emu, account, 0)
    with pytest.raises(ClientError) as err:
        elb.describe_target_health(TargetGroupArn=tg.replace("servers", "nothere"))
    assert err.value.response["Error"]["Code"] == "TargetGroupNotFound"
    ec2 = emu.client("ec2", account)
    ec2.stop_instances(InstanceIds=[instance])
    with pytest.raises(ClientError) as err:
        elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": instance, "Port": 8080}])
    assert err.value.response["Error"]["Code"] == "InvalidTarget"


def test_a_rule_pointed_at_another_group_moves_the_association(emu, account):
    """DescribeTargetGroups' LoadBalancerArns follow what forwards to the group now."""
    ec2 = emu.client("ec2", account)
    elb = emu.client("elbv2", account)
    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.7.{i}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"]["SubnetId"]
               for i, z in [(1, "a"), (2, "b")]]
    lb = elb.create_load_balancer(Name="lb", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    a, b, c = (elb.create_target_group(Name=n, Protocol="HTTP", Port=80, VpcId=vpc)["TargetGroups"][0]["TargetGroupArn"]
               for n in ["a", "b", "c"])
    listener = elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80,
                                   DefaultActions=[{"Type": "forward", "TargetGroupArn": a}])["Listeners"][0]["ListenerArn"]
    rule = elb.create_rule(ListenerArn=listener, Priority=1,
                           Conditions=[{"Field": "path-pattern", "Values": ["/b/*"]}],
                           Actions=[{"Type": "forward", "TargetGroupArn": b}])["Rules"][0]["RuleArn"]

    def used():
        groups = elb.describe_target_groups(TargetGroupArns=[a, b, c])["TargetGroups"]
        return {g["TargetGroupName"]: bool(g["LoadBalancerArns"]) for g in groups}

    assert used() == {"a": True, "b": True, "c": False}
    elb.modify_rule(RuleArn=rule, Actions=[{"Type": "forward", "TargetGroupArn": c}])
    assert used() == {"a": True, "b": False, "c": True}
    elb.delete_rule(RuleArn=rule)
    assert used() == {"a": True, "b": False, "c": False}
