"""Application Auto Scaling (`appautoscaling_ext.py`) and CloudWatch Logs retention
(`logs_ext.py`): what AWS refuses or does that moto 5.2.5 does not."""

import pytest
from botocore.exceptions import ClientError

NS, DIM = "ecs", "ecs:service:DesiredCount"


def code(err) -> str:
    return err.value.response["Error"]["Code"]


def ecs_service(emu, account, cluster="demo", service="web") -> str:
    ecs = emu.client("ecs", account)
    ecs.create_cluster(clusterName=cluster)
    ecs.register_task_definition(family=service, containerDefinitions=[
        {"name": service, "image": "nginx", "memory": 128}])
    ecs.create_service(cluster=cluster, serviceName=service, taskDefinition=service, desiredCount=1)
    return f"service/{cluster}/{service}"


def policy(aas, rid, name="cpu", value=60.0):
    return aas.put_scaling_policy(
        PolicyName=name, ServiceNamespace=NS, ResourceId=rid, ScalableDimension=DIM,
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": value,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
            "ScaleInCooldown": 300, "ScaleOutCooldown": 60})


def test_a_policy_needs_a_registered_target_and_missing_things_are_object_not_found(emu, account):
    aas = emu.client("application-autoscaling", account)
    rid = ecs_service(emu, account)
    with pytest.raises(ClientError) as unregistered:
        policy(aas, rid)
    assert code(unregistered) == "ObjectNotFoundException"
    assert unregistered.value.response["Error"]["Message"] == (
        f"No scalable target registered for service namespace: ecs, resource ID: {rid}, "
        "scalable dimension: ecs:service:DesiredCount")
    with pytest.raises(ClientError) as no_target:
        aas.deregister_scalable_target(ServiceNamespace=NS, ResourceId=rid, ScalableDimension=DIM)
    assert code(no_target) == "ObjectNotFoundException"
    with pytest.raises(ClientError) as no_policy:
        aas.delete_scaling_policy(PolicyName="cpu", ServiceNamespace=NS, ResourceId=rid,
                                  ScalableDimension=DIM)
    assert code(no_policy) == "ObjectNotFoundException"
    assert "No scaling policy found for service namespace: ecs" in no_policy.value.response["Error"]["Message"]


def test_a_target_is_registered_updated_and_deregistered_with_its_policies(emu, account):
    aas = emu.client("application-autoscaling", account)
    cw = emu.client("cloudwatch", account)
    rid = ecs_service(emu, account)
    arn = aas.register_scalable_target(ServiceNamespace=NS, ResourceId=rid, ScalableDimension=DIM,
                                       MinCapacity=2, MaxCapacity=10)["ScalableTargetARN"]
    assert arn.startswith(f"arn:aws:application-autoscaling:us-east-1:{account}:scalable-target/")
    (target,) = aas.describe_scalable_targets(ServiceNamespace=NS)["ScalableTargets"]
    assert target["RoleARN"] == (
        f"arn:aws:iam::{account}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/"
        "AWSServiceRoleForApplicationAutoScaling_ECSService")
    # An update gives what changes; the other bound is the registered one.
    aas.register_scalable_target(ServiceNamespace=NS, ResourceId=rid, ScalableDimension=DIM, MaxCapacity=6)
    (target,) = aas.describe_scalable_targets(ServiceNamespace=NS)["ScalableTargets"]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (2, 6)
    with pytest.raises(ClientError) as inverted:
        aas.register_scalable_target(ServiceNamespace=NS, ResourceId=rid, ScalableDimension=DIM, MinCapacity=7)
    assert code(inverted) == "ValidationException"
    policy(aas, rid)
    assert len(aas.describe_scaling_policies(ServiceNamespace=NS)["ScalingPolicies"]) == 1
    assert cw.describe_alarms()["MetricAlarms"]
    aas.deregister_scalable_target(ServiceNamespace=NS, ResourceId=rid, ScalableDimension=DIM)
    assert aas.describe_scaling_policies(ServiceNamespace=NS)["ScalingPolicies"] == []
    assert cw.describe_alarms()["MetricAlarms"] == []
    assert aas.describe_scalable_targets(ServiceNamespace=NS)["ScalableTargets"] == []


def test_a_new_target_needs_its_range_and_a_service(emu, account):
    aas = emu.client("application-autoscaling", account)
    rid = ecs_service(emu, account)
    for partial in ({}, {"MinCapacity": 1}, {"MaxCapacity": 3}, {"MinCapacity": 4, "MaxCapacity": 3}):
        with pytest.raises(ClientError) as refused:
            aas.register_scalable_target(ServiceNamespace=NS, ResourceId=rid, ScalableDimension=DIM, **partial)
        assert code(refused) == "ValidationException", partial
    with pytest.raises(ClientError) as missing:
        aas.register_scalable_target(ServiceNamespace=NS, ResourceId="service/demo/nope",
                                     ScalableDimension=DIM, MinCapacity=1, MaxCapacity=2)
    assert code(missing) == "ValidationException"


def test_targets_are_paged_to_the_end(emu, account):
    aas = emu.client("application-autoscaling", account)
    rids = [ecs_service(emu, account, service=f"s{i}") for i in range(5)]
    for rid in rids:
        aas.register_scalable_target(ServiceNamespace=NS, ResourceId=rid, ScalableDimension=DIM,
                                     MinCapacity=1, MaxCapacity=2)
    seen = []
    for page in aas.get_paginator("describe_scalable_targets").paginate(
            ServiceNamespace=NS, PaginationConfig={"PageSize": 2}):
        assert len(page["ScalableTargets"]) <= 2
        seen.extend(t["ResourceId"] for t in page["ScalableTargets"])
    assert sorted(seen) == sorted(rids)


def test_retention_is_one_of_the_days_aws_takes(emu, account):
    logs = emu.client("logs", account)
    logs.create_log_group(logGroupName="/ecs/demo/web", tags={"shinyctl.dev/blueprint": "demo"})
    for days in (0, 2, 31, 366):
        with pytest.raises(ClientError) as refused:
            logs.put_retention_policy(logGroupName="/ecs/demo/web", retentionInDays=days)
        assert code(refused) == "InvalidParameterException", days
        assert f"Value '{days}' at 'retentionInDays'" in refused.value.response["Error"]["Message"]
    logs.put_retention_policy(logGroupName="/ecs/demo/web", retentionInDays=14)
    (group,) = logs.describe_log_groups(logGroupNamePrefix="/ecs/demo/")["logGroups"]
    assert group["retentionInDays"] == 14
    logs.delete_retention_policy(logGroupName="/ecs/demo/web")
    (group,) = logs.describe_log_groups(logGroupNamePrefix="/ecs/demo/")["logGroups"]
    assert "retentionInDays" not in group
    arn = group["logGroupArn"]
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"shinyctl.dev/blueprint": "demo"}
