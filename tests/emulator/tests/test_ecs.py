"""ECS (`ecs_ext.py`): deployments with a rollout state (test profile: `ecs_deployment_rollout`
0.6 s), a circuit-breaker failure on an image the test marks failing, rolled back with events and
stopped tasks' reasons, and the destroy-order refusals."""

import base64
import json
import time

import pytest
import requests
from botocore.exceptions import ClientError
from conftest import wait_for


def code(err) -> str:
    return err.value.response["Error"]["Code"]


def register(ecs, image: str) -> str:
    return ecs.register_task_definition(
        family="demo-web", networkMode="bridge", requiresCompatibilities=["EC2"],
        containerDefinitions=[{"name": "web", "image": image, "memory": 256, "essential": True,
                               "portMappings": [{"containerPort": 80, "hostPort": 0, "protocol": "tcp"}]}],
    )["taskDefinition"]["taskDefinitionArn"]


def capacity(emu, account, cluster="demo", instance_type="t3.medium", size=1):
    """EC2 capacity for `cluster`: an Auto Scaling group whose instances' agent registers them in
    it (`ECS_CLUSTER` in their user data; `ecs_placement.py`). Without it an EC2 service's tasks
    have nowhere to run and its deployment never completes, as on AWS."""
    ec2 = emu.client("ec2", account)
    asg = emu.client("autoscaling", account)
    user_data = base64.b64encode(f"#!/bin/bash\necho ECS_CLUSTER={cluster} >> /etc/ecs/ecs.config\n".encode()).decode()
    template = ec2.create_launch_template(LaunchTemplateName=f"{cluster}-ecs", LaunchTemplateData={
        "ImageId": "ami-12c6146b", "InstanceType": instance_type, "UserData": user_data})
    zone = ec2.describe_availability_zones()["AvailabilityZones"][0]["ZoneName"]
    asg.create_auto_scaling_group(AutoScalingGroupName=f"{cluster}-ecs", MinSize=0, MaxSize=size, DesiredCapacity=size,
                                  AvailabilityZones=[zone],
                                  LaunchTemplate={"LaunchTemplateId": template["LaunchTemplate"]["LaunchTemplateId"]})


def primary(ecs, cluster="demo"):
    service = ecs.describe_services(cluster=cluster, services=["web"])["services"][0]
    return next(d for d in service["deployments"] if d["status"] == "PRIMARY"), service


def test_a_deployment_rolls_out_then_completes_and_a_new_revision_starts_another(emu, account):
    ecs = emu.client("ecs", account)
    ecs.create_cluster(clusterName="demo")
    capacity(emu, account)
    v1 = register(ecs, "nginx:1.26")
    created = ecs.create_service(cluster="demo", serviceName="web", taskDefinition=v1, desiredCount=2,
                                 deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}})
    first = created["service"]["deployments"][0]
    assert (first["status"], first["rolloutState"]) == ("PRIMARY", "IN_PROGRESS")
    wait_for(lambda: primary(ecs)[0]["rolloutState"], "COMPLETED")
    d, service = primary(ecs)
    assert (d["runningCount"], len(service["deployments"])) == (2, 1)
    v2 = register(ecs, "nginx:1.27")
    updated = ecs.update_service(cluster="demo", service="web", taskDefinition=v2)["service"]
    states = [(d["status"], d["taskDefinition"], d["rolloutState"]) for d in updated["deployments"]]
    assert states == [("PRIMARY", v2, "IN_PROGRESS"), ("ACTIVE", v1, "COMPLETED")]
    wait_for(lambda: primary(ecs)[0]["rolloutState"], "COMPLETED")
    d, service = primary(ecs)
    assert (d["taskDefinition"], len(service["deployments"]), service["taskDefinition"]) == (v2, 1, v2)


def test_a_failing_image_fails_the_deployment_and_rolls_back_with_reasons(emu, account):
    ecs = emu.client("ecs", account)
    ecs.create_cluster(clusterName="demo")
    capacity(emu, account)
    v1 = register(ecs, "nginx:1.26")
    ecs.create_service(cluster="demo", serviceName="web", taskDefinition=v1, desiredCount=1)
    wait_for(lambda: primary(ecs)[0]["rolloutState"], "COMPLETED")
    r = requests.put(f"{emu.endpoint}/_emulator/ecs/failing", params={"account": account},
                     data=json.dumps({"images": ["nginx:bad"]}), timeout=10)
    r.raise_for_status()
    bad = register(ecs, "nginx:bad")
    ecs.update_service(cluster="demo", service="web", taskDefinition=bad)

    def failed():
        service = ecs.describe_services(cluster="demo", services=["web"])["services"][0]
        return [d["rolloutState"] for d in service["deployments"] if d["taskDefinition"] == bad]

    wait_for(failed, ["FAILED"])
    d, service = primary(ecs)
    assert d["taskDefinition"] == v1, "rolled back to the last completed task definition"
    assert any("deployment failed" in e["message"] for e in service["events"])
    wait_for(lambda: primary(ecs)[0]["rolloutState"], "COMPLETED")
    stopped = ecs.list_tasks(cluster="demo", serviceName="web", desiredStatus="STOPPED")["taskArns"]
    assert stopped
    tasks = ecs.describe_tasks(cluster="demo", tasks=stopped)["tasks"]
    assert tasks[0]["stoppedReason"] == "Essential container in task exited"
    assert "CannotPullContainerError" in tasks[0]["containers"][0]["reason"]
    assert tasks[0]["taskDefinitionArn"] == bad


def test_a_failing_rollout_is_answered_in_progress_and_fails_afterwards_at_the_threshold(emu, account):
    # With a 0 s rollout the failure is due the moment UpdateService starts the deployment, yet
    # the answer is the new deployment PRIMARY and IN_PROGRESS: a deployment never ends inside the
    # call that started it (the circuit breaker needs failed tasks). Evaluating it inside the call
    # answered the rollback as PRIMARY, and a client that follows the deployment its call started
    # (shinyctl, Terraform) then saw the rollback COMPLETED and reported success.
    emu.set_profile(account, {"durations": {"ecs_deployment_rollout": 0}})
    ecs = emu.client("ecs", account)
    ecs.create_cluster(clusterName="demo")
    capacity(emu, account)
    v1 = register(ecs, "nginx:1.26")
    ecs.create_service(cluster="demo", serviceName="web", taskDefinition=v1, desiredCount=2)
    wait_for(lambda: primary(ecs)[0]["rolloutState"], "COMPLETED")
    r = requests.put(f"{emu.endpoint}/_emulator/ecs/failing", params={"account": account},
                     data=json.dumps({"images": ["nginx:bad"]}), timeout=10)
    r.raise_for_status()
    bad = register(ecs, "nginx:bad")
    before = time.time()
    updated = ecs.update_service(cluster="demo", service="web", taskDefinition=bad)["service"]
    after = time.time()
    first = updated["deployments"][0]
    assert (first["status"], first["taskDefinition"], first["rolloutState"]) == ("PRIMARY", bad, "IN_PROGRESS")
    time.sleep(0.5)
    service = ecs.describe_services(cluster="demo", services=["web"])["services"][0]
    failed = next(d for d in service["deployments"] if d["taskDefinition"] == bad)
    # "a minimum threshold of 3 and a maximum threshold of 200 ... 0.5 * desired task count"
    # (ServiceDeploymentCircuitBreaker): 2 tasks wanted, 3 failed.
    assert (failed["status"], failed["rolloutState"], failed["failedTasks"]) == ("ACTIVE", "FAILED", 3)
    rollback = next(d for d in service["deployments"] if d["status"] == "PRIMARY")
    assert rollback["taskDefinition"] == v1
    # The rollback started when the deployment failed, not at the DescribeServices 0.5 s later.
    assert before - 0.05 <= rollback["createdAt"].timestamp() <= after + 0.05


def test_destroy_order_refusals(emu, account):
    ecs = emu.client("ecs", account)
    asg = emu.client("autoscaling", account)
    ec2 = emu.client("ec2", account)
    ecs.create_cluster(clusterName="demo")
    v1 = register(ecs, "nginx:1.26")
    ecs.create_service(cluster="demo", serviceName="web", taskDefinition=v1, desiredCount=1)
    with pytest.raises(ClientError) as refused:
        ecs.delete_cluster(cluster="demo")
    assert code(refused) == "ClusterContainsServicesException"
    ecs.update_service(cluster="demo", service="web", desiredCount=0)
    ecs.delete_service(cluster="demo", service="web")
    # A capacity provider in a cluster's list cannot be deleted.
    template = ec2.create_launch_template(LaunchTemplateName="demo",
                                          LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t3.micro"})
    zone = ec2.describe_availability_zones()["AvailabilityZones"][0]["ZoneName"]
    asg.create_auto_scaling_group(AutoScalingGroupName="demo", MinSize=0, MaxSize=1, DesiredCapacity=0,
                                  AvailabilityZones=[zone],
                                  LaunchTemplate={"LaunchTemplateId": template["LaunchTemplate"]["LaunchTemplateId"]})
    group_arn = asg.describe_auto_scaling_groups()["AutoScalingGroups"][0]["AutoScalingGroupARN"]
    ecs.create_capacity_provider(name="demo-cp", autoScalingGroupProvider={"autoScalingGroupArn": group_arn})
    ecs.put_cluster_capacity_providers(cluster="demo", capacityProviders=["demo-cp"],
                                       defaultCapacityProviderStrategy=[{"capacityProvider": "demo-cp", "weight": 1}])
    with pytest.raises(ClientError) as in_use:
        ecs.delete_capacity_provider(capacityProvider="demo-cp")
    assert code(in_use) == "ClientException"
    assert "in use" in in_use.value.response["Error"]["Message"]
    ecs.put_cluster_capacity_providers(cluster="demo", capacityProviders=[], defaultCapacityProviderStrategy=[])
    ecs.delete_capacity_provider(capacityProvider="demo-cp")
    ecs.delete_cluster(cluster="demo")


def test_capacity_providers_are_described_without_names(emu, account):
    ecs = emu.client("ecs", account)
    assert ecs.describe_capacity_providers()["capacityProviders"] == []
    asg = emu.client("autoscaling", account)
    ec2 = emu.client("ec2", account)
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    asg.create_launch_configuration(LaunchConfigurationName="lc", ImageId="ami-12c6146b", InstanceType="t3.micro")
    asg.create_auto_scaling_group(AutoScalingGroupName="g", LaunchConfigurationName="lc", MinSize=0, MaxSize=1,
                                  VPCZoneIdentifier=subnet)
    arn = asg.describe_auto_scaling_groups()["AutoScalingGroups"][0]["AutoScalingGroupARN"]
    ecs.create_capacity_provider(name="cp", autoScalingGroupProvider={"autoScalingGroupArn": arn})
    names = [p["name"] for p in ecs.describe_capacity_providers()["capacityProviders"]]
    assert names == ["cp"]


def test_a_service_keeps_its_strategy_and_deployment_settings(emu, account):
    ecs = emu.client("ecs", account)
    ecs.create_cluster(clusterName="demo")
    v1 = register(ecs, "nginx:1.26")
    strategy = [{"capacityProvider": "FARGATE", "weight": 1, "base": 0}]
    ecs.create_service(cluster="demo", serviceName="web", taskDefinition=v1, desiredCount=1,
                       capacityProviderStrategy=strategy, healthCheckGracePeriodSeconds=60,
                       enableECSManagedTags=True,
                       deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}})
    service = ecs.describe_services(cluster="demo", services=["web"])["services"][0]
    assert service["capacityProviderStrategy"] == strategy
    assert "launchType" not in service
    assert service["deploymentConfiguration"] == {
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "minimumHealthyPercent": 100, "maximumPercent": 200}
    assert (service["healthCheckGracePeriodSeconds"], service["enableECSManagedTags"]) == (60, True)
    ecs.update_service(cluster="demo", service="web", healthCheckGracePeriodSeconds=30)
    service = ecs.describe_services(cluster="demo", services=["web"])["services"][0]
    assert service["healthCheckGracePeriodSeconds"] == 30


def test_nat_gateways_are_filtered_by_tag(emu, account):
    ec2 = emu.client("ec2", account)
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.8.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    for owner in ["erp", "erp-fargate"]:
        eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
        ec2.create_nat_gateway(SubnetId=subnet, AllocationId=eip, TagSpecifications=[
            {"ResourceType": "natgateway", "Tags": [{"Key": "shinyctl.dev/blueprint", "Value": owner}]}])

    def owners(filters):
        found = ec2.describe_nat_gateways(Filters=filters)["NatGateways"]
        return sorted(t["Value"] for n in found for t in n["Tags"] if t["Key"] == "shinyctl.dev/blueprint")

    assert owners([{"Name": "tag:shinyctl.dev/blueprint", "Values": ["erp"]}]) == ["erp"]
    assert owners([{"Name": "tag-key", "Values": ["shinyctl.dev/blueprint"]}]) == ["erp", "erp-fargate"]
    assert owners([{"Name": "tag:shinyctl.dev/blueprint", "Values": ["nobody"]}]) == []
