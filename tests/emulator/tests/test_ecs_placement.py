"""ECS placement (`ecs_placement.py`): container instances from the capacity provider's Auto
Scaling group, tasks placed against their CPU and memory, PROVISIONING tasks and managed
scale-out, tasks registered in their target groups (dynamic host ports, awsvpc IPs), drained
when replaced, and deployments that complete only once their tasks are healthy."""

import base64
import ipaddress
import time

import pytest
from botocore.exceptions import ClientError
from conftest import wait_for

AGENT = """#!/bin/bash
cat >> /etc/ecs/ecs.config <<'EOF'
ECS_CLUSTER={cluster}
ECS_DYNAMIC_HOST_PORT_RANGE=32768-60999
ECS_RESERVED_MEMORY={reserved}
EOF
"""


def ec2_capacity(emu, account, *, instance_type="m6i.large", size=2, max_size=4, reserved=256,
                 managed="DISABLED", target=100, cluster="demo"):
    """A cluster with a capacity provider backed by a group of ECS instances (the blueprint's)."""
    ecs, ec2, asg = (emu.client(s, account) for s in ("ecs", "ec2", "autoscaling"))
    ecs.create_cluster(clusterName=cluster)
    user_data = base64.b64encode(AGENT.format(cluster=cluster, reserved=reserved).encode()).decode()
    template = ec2.create_launch_template(LaunchTemplateName="ecs", LaunchTemplateData={
        "ImageId": "ami-12c6146b", "InstanceType": instance_type, "UserData": user_data})
    zone = ec2.describe_availability_zones()["AvailabilityZones"][0]["ZoneName"]
    asg.create_auto_scaling_group(AutoScalingGroupName="ecs", MinSize=0, MaxSize=max_size, DesiredCapacity=size,
                                  AvailabilityZones=[zone],
                                  LaunchTemplate={"LaunchTemplateId": template["LaunchTemplate"]["LaunchTemplateId"]})
    arn = asg.describe_auto_scaling_groups()["AutoScalingGroups"][0]["AutoScalingGroupARN"]
    ecs.create_capacity_provider(name="cp", autoScalingGroupProvider={
        "autoScalingGroupArn": arn, "managedScaling": {"status": managed, "targetCapacity": target}})
    ecs.put_cluster_capacity_providers(cluster=cluster, capacityProviders=["cp"],
                                       defaultCapacityProviderStrategy=[{"capacityProvider": "cp", "weight": 1}])
    return ecs, ec2, asg


def instances(ecs, cluster="demo"):
    arns = ecs.list_container_instances(cluster=cluster)["containerInstanceArns"]
    if not arns:
        return []
    return ecs.describe_container_instances(cluster=cluster, containerInstances=arns)["containerInstances"]


def resources(ci, which="registeredResources"):
    return {r["name"]: r["integerValue"] for r in ci[which] if r["name"] in ("CPU", "MEMORY")}


def task_definition(ecs, memory=512, image="nginx:1.26", network="bridge"):
    container = {"name": "web", "image": image, "memory": memory, "essential": True,
                 "portMappings": [{"containerPort": 80, "hostPort": 0 if network == "bridge" else 80}]}
    extra = {"cpu": "256", "memory": str(memory)} if network == "awsvpc" else {}
    return ecs.register_task_definition(family="web", networkMode=network, containerDefinitions=[container],
                                        requiresCompatibilities=["FARGATE" if network == "awsvpc" else "EC2"],
                                        **extra)["taskDefinition"]["taskDefinitionArn"]


def primary(ecs, cluster="demo"):
    service = ecs.describe_services(cluster=cluster, services=["web"])["services"][0]
    return next(d for d in service["deployments"] if d["status"] == "PRIMARY"), service


def rollout(ecs):
    return primary(ecs)[0]["rolloutState"]


def front(emu, account, target_type="instance"):
    """A VPC with two subnets, an ALB and a target group its listener forwards to."""
    ec2, elb = emu.client("ec2", account), emu.client("elbv2", account)
    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.7.{i}.0/24", AvailabilityZone=f"us-east-1{z}")
               ["Subnet"]["SubnetId"] for i, z in ((1, "a"), (2, "b"))]
    sg = ec2.create_security_group(GroupName="tasks", Description="tasks", VpcId=vpc)["GroupId"]
    tg = elb.create_target_group(Name="web", Protocol="HTTP", Port=80, VpcId=vpc,
                                 TargetType=target_type)["TargetGroups"][0]["TargetGroupArn"]
    lb = elb.create_load_balancer(Name="front", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    return elb, tg, subnets, sg


def health(elb, tg):
    found = elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
    return sorted((t["Target"]["Id"], t["Target"]["Port"], t["TargetHealth"]["State"]) for t in found)


def test_the_groups_instances_are_the_clusters_container_instances(emu, account):
    ecs, _, asg = ec2_capacity(emu, account)
    wait_for(lambda: len(instances(ecs)), 2)
    found = instances(ecs)
    assert len(found) == 2
    # m6i.large: 2 vCPUs, 8 GiB, less ECS_RESERVED_MEMORY.
    assert resources(found[0]) == {"CPU": 2048, "MEMORY": 8192 - 256}
    group = asg.describe_auto_scaling_groups()["AutoScalingGroups"][0]
    assert {ci["ec2InstanceId"] for ci in found} == {i["InstanceId"] for i in group["Instances"]}
    assert ecs.describe_clusters(clusters=["demo"])["clusters"][0]["registeredContainerInstancesCount"] == 2
    asg.update_auto_scaling_group(AutoScalingGroupName="ecs", DesiredCapacity=1)
    # Managed draining is on by default: the instance scaled in is DRAINING while the group's
    # terminating hook holds it, then deregistered once EC2 terminates it.
    seen = wait_for(lambda: sorted(ci["status"] for ci in instances(ecs)), ["ACTIVE"])
    assert ["ACTIVE", "DRAINING"] in seen, seen
    with pytest.raises(ClientError) as refused:
        ecs.delete_cluster(cluster="demo")
    assert refused.value.response["Error"]["Code"] == "ClusterContainsContainerInstancesException"
    asg.delete_auto_scaling_group(AutoScalingGroupName="ecs", ForceDelete=True)
    assert instances(ecs) == []
    ecs.put_cluster_capacity_providers(cluster="demo", capacityProviders=[], defaultCapacityProviderStrategy=[])
    ecs.delete_cluster(cluster="demo")


def test_tasks_that_fit_nowhere_provision_until_managed_scaling_adds_an_instance(emu, account):
    # t3.medium: 4096 MiB, no reservation: two 1500 MiB tasks per instance.
    ecs, _, asg = ec2_capacity(emu, account, instance_type="t3.medium", size=1, max_size=3, reserved=0)
    wait_for(lambda: len(instances(ecs)), 1)
    td = task_definition(ecs, memory=1500)
    ecs.create_service(cluster="demo", serviceName="web", taskDefinition=td, desiredCount=4,
                       capacityProviderStrategy=[{"capacityProvider": "cp", "weight": 1}])
    wait_for(lambda: rollout(ecs), "COMPLETED", timeout=2)
    d, service = primary(ecs)
    assert (d["rolloutState"], d["runningCount"], d["pendingCount"]) == ("IN_PROGRESS", 2, 2)
    assert any("unable to place a task" in e["message"] for e in service["events"])
    assert resources(instances(ecs)[0], "remainingResources")["MEMORY"] == 4096 - 3000
    # Managed scaling on: the provider raises the group's desired capacity; the new instance
    # takes the waiting tasks.
    ecs.update_capacity_provider(name="cp", autoScalingGroupProvider={
        "managedScaling": {"status": "ENABLED", "targetCapacity": 100}})
    wait_for(lambda: rollout(ecs), "COMPLETED")
    d, _ = primary(ecs)
    assert (d["rolloutState"], d["runningCount"]) == ("COMPLETED", 4)
    assert asg.describe_auto_scaling_groups()["AutoScalingGroups"][0]["DesiredCapacity"] == 2
    assert len(instances(ecs)) == 2


def test_a_task_bigger_than_any_instance_never_places_and_scaling_stops_at_max(emu, account):
    ecs, _, asg = ec2_capacity(emu, account, instance_type="t3.medium", size=1, max_size=2, reserved=0,
                               managed="ENABLED")
    wait_for(lambda: len(instances(ecs)), 1)
    td = task_definition(ecs, memory=2000)
    ecs.create_service(cluster="demo", serviceName="web", taskDefinition=td, desiredCount=6)
    wait_for(lambda: primary(ecs)[0]["runningCount"], 4)
    wait_for(lambda: rollout(ecs), "COMPLETED", timeout=2)
    d, _ = primary(ecs)
    assert (d["rolloutState"], d["runningCount"], d["pendingCount"]) == ("IN_PROGRESS", 4, 2)
    assert asg.describe_auto_scaling_groups()["AutoScalingGroups"][0]["DesiredCapacity"] == 2, "MaxSize"


def test_fargate_tasks_always_place(emu, account):
    ecs = emu.client("ecs", account)
    ecs.create_cluster(clusterName="demo")
    td = task_definition(ecs, network="awsvpc")
    ecs.create_service(cluster="demo", serviceName="web", taskDefinition=td, desiredCount=3, launchType="FARGATE")
    wait_for(lambda: rollout(ecs), "COMPLETED")
    assert primary(ecs)[0]["runningCount"] == 3


def test_bridge_tasks_register_on_dynamic_host_ports_and_drain_when_replaced(emu, account):
    ecs, _, _ = ec2_capacity(emu, account)
    elb, tg, _, _ = front(emu, account)
    wait_for(lambda: len(instances(ecs)), 2)
    ids = {ci["ec2InstanceId"] for ci in instances(ecs)}
    v1 = task_definition(ecs)
    created = ecs.create_service(cluster="demo", serviceName="web", taskDefinition=v1, desiredCount=2,
                                 loadBalancers=[{"targetGroupArn": tg, "containerName": "web", "containerPort": 80}])
    assert created["service"]["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    seen = wait_for(lambda: [s for _, _, s in health(elb, tg)], ["healthy", "healthy"])
    assert ["initial", "initial"] in seen, "registered, then healthy after the checks"
    wait_for(lambda: rollout(ecs), "COMPLETED")
    first = health(elb, tg)
    assert {i for i, _, _ in first} == ids, "spread over both instances"
    assert all(32768 <= port <= 60999 for _, port, _ in first)
    v2 = task_definition(ecs, image="nginx:1.27")
    ecs.update_service(cluster="demo", service="web", taskDefinition=v2)
    wait_for(lambda: rollout(ecs), "COMPLETED")
    now = health(elb, tg)
    old = [t for t in now if (t[0], t[1]) in {(i, p) for i, p, _ in first}]
    assert [s for _, _, s in old] == ["draining", "draining"], now
    assert len([t for t in now if t[2] == "healthy"]) == 2
    ecs.update_service(cluster="demo", service="web", desiredCount=0)
    ecs.describe_services(cluster="demo", services=["web"])
    assert {s for _, _, s in health(elb, tg)} == {"draining"}
    ecs.delete_service(cluster="demo", service="web")


def test_awsvpc_tasks_register_their_ip_in_their_subnet_and_deregister_on_delete(emu, account):
    ecs = emu.client("ecs", account)
    ecs.create_cluster(clusterName="demo")
    elb, tg, subnets, sg = front(emu, account, target_type="ip")
    ec2 = emu.client("ec2", account)
    cidrs = [ipaddress.ip_network(s["CidrBlock"]) for s in ec2.describe_subnets(SubnetIds=subnets)["Subnets"]]
    td = task_definition(ecs, network="awsvpc")
    ecs.create_service(cluster="demo", serviceName="web", taskDefinition=td, desiredCount=2, launchType="FARGATE",
                       networkConfiguration={"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [sg]}},
                       loadBalancers=[{"targetGroupArn": tg, "containerName": "web", "containerPort": 80}])
    wait_for(lambda: rollout(ecs), "COMPLETED")
    found = health(elb, tg)
    assert [(p, s) for _, p, s in found] == [(80, "healthy"), (80, "healthy")]
    assert all(any(ipaddress.ip_address(i) in c for c in cidrs) for i, _, _ in found)
    ecs.delete_service(cluster="demo", service="web", force=True)
    ecs.list_services(cluster="demo")
    assert {s for _, _, s in health(elb, tg)} == {"draining"}


def test_a_target_group_without_a_load_balancer_is_refused(emu, account):
    ecs, ec2, elb = (emu.client(s, account) for s in ("ecs", "ec2", "elbv2"))
    ecs.create_cluster(clusterName="demo")
    vpc = ec2.create_vpc(CidrBlock="10.6.0.0/16")["Vpc"]["VpcId"]
    tg = elb.create_target_group(Name="lonely", Protocol="HTTP", Port=80, VpcId=vpc)["TargetGroups"][0]["TargetGroupArn"]
    with pytest.raises(ClientError) as refused:
        ecs.create_service(cluster="demo", serviceName="web", taskDefinition=task_definition(ecs), desiredCount=1,
                           loadBalancers=[{"targetGroupArn": tg, "containerName": "web", "containerPort": 80}])
    assert refused.value.response["Error"]["Code"] == "InvalidParameterException"
    assert "does not have an associated load balancer" in refused.value.response["Error"]["Message"]


def test_instances_registered_before_their_capacity_provider_serve_it(emu, account):
    # The blueprint's order: the cluster, the group (its instances register at once), then the
    # capacity provider and the cluster's strategy.
    ecs, ec2, asg = (emu.client(s, account) for s in ("ecs", "ec2", "autoscaling"))
    ecs.create_cluster(clusterName="demo")
    user_data = base64.b64encode(AGENT.format(cluster="demo", reserved=256).encode()).decode()
    template = ec2.create_launch_template(LaunchTemplateName="ecs", LaunchTemplateData={
        "ImageId": "ami-12c6146b", "InstanceType": "m6i.large", "UserData": user_data})
    zone = ec2.describe_availability_zones()["AvailabilityZones"][0]["ZoneName"]
    asg.create_auto_scaling_group(AutoScalingGroupName="ecs", MinSize=1, MaxSize=1, DesiredCapacity=1,
                                  AvailabilityZones=[zone],
                                  LaunchTemplate={"LaunchTemplateId": template["LaunchTemplate"]["LaunchTemplateId"]})
    wait_for(lambda: len(instances(ecs)), 1)
    arn = asg.describe_auto_scaling_groups()["AutoScalingGroups"][0]["AutoScalingGroupARN"]
    ecs.create_capacity_provider(name="cp", autoScalingGroupProvider={"autoScalingGroupArn": arn})
    ecs.put_cluster_capacity_providers(cluster="demo", capacityProviders=["cp"],
                                       defaultCapacityProviderStrategy=[{"capacityProvider": "cp", "weight": 1}])
    ecs.create_service(cluster="demo", serviceName="web", taskDefinition=task_definition(ecs), desiredCount=2,
                       capacityProviderStrategy=[{"capacityProvider": "cp", "weight": 1}])
    wait_for(lambda: rollout(ecs), "COMPLETED")
    assert primary(ecs)[0]["runningCount"] == 2


def service_tasks(ecs, desired="RUNNING"):
    arns = ecs.list_tasks(cluster="demo", serviceName="web", desiredStatus=desired)["taskArns"]
    return ecs.describe_tasks(cluster="demo", tasks=arns)["tasks"] if arns else []


def test_tasks_are_placed_at_create_service_not_at_the_next_call(emu, account):
    # The scheduler starts the desired count as CreateService returns ("Amazon ECS runs another
    # copy of the task" whenever fewer run, botocore `ecs` CreateService): the tasks start, and
    # their health checks count, from the call — not from whatever call the account makes next.
    ecs = emu.client("ecs", account)
    ecs.create_cluster(clusterName="demo")
    elb, tg, subnets, sg = front(emu, account, target_type="ip")
    group = elb.describe_target_groups(TargetGroupArns=[tg])["TargetGroups"][0]
    checks = group["HealthCheckIntervalSeconds"] * group["HealthyThresholdCount"] * 0.01  # target_health_scale
    td = task_definition(ecs, network="awsvpc")
    before = time.time()
    created = ecs.create_service(
        cluster="demo", serviceName="web", taskDefinition=td, desiredCount=2, launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [sg]}},
        loadBalancers=[{"targetGroupArn": tg, "containerName": "web", "containerPort": 80}])
    after = time.time()
    # The answer is the service as the call left it: its deployment just started.
    d = created["service"]["deployments"][0]
    assert (d["status"], d["rolloutState"], d["runningCount"]) == ("PRIMARY", "IN_PROGRESS", 0)
    time.sleep(max(0.6, checks) + 0.5)  # no call meanwhile
    tasks = service_tasks(ecs)
    assert len(tasks) == 2
    for t in tasks:
        assert before - 0.05 <= t["startedAt"].timestamp() <= after + 0.05, (before, t["startedAt"], after)
    d, service = primary(ecs)
    assert (d["rolloutState"], d["runningCount"]) == ("COMPLETED", 2)
    # Steady once the rollout has lasted its time and the tasks passed the checks counted from
    # the call: the event is dated then, not at the DescribeServices that saw it.
    steady = next(e for e in service["events"] if "steady state" in e["message"])["createdAt"].timestamp()
    assert before + max(0.6, checks) - 0.05 <= steady <= after + max(0.6, checks) + 0.05


def test_an_update_places_the_new_tasks_at_the_call_and_stops_the_old_when_it_completed(emu, account):
    ecs = emu.client("ecs", account)
    ecs.create_cluster(clusterName="demo")
    _, _, subnets, sg = front(emu, account)
    network = {"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [sg]}}
    v1 = task_definition(ecs, network="awsvpc")
    ecs.create_service(cluster="demo", serviceName="web", taskDefinition=v1, desiredCount=2, launchType="FARGATE",
                       networkConfiguration=network)
    wait_for(lambda: rollout(ecs), "COMPLETED")
    old = {t["taskArn"] for t in service_tasks(ecs)}
    v2 = task_definition(ecs, image="nginx:1.27", network="awsvpc")
    before = time.time()
    updated = ecs.update_service(cluster="demo", service="web", taskDefinition=v2)["service"]
    after = time.time()
    assert [(d["taskDefinition"], d["rolloutState"]) for d in updated["deployments"]] == [
        (v2, "IN_PROGRESS"), (v1, "COMPLETED")]
    # Rollout 0.6 s, no target group: complete 0.6 s after the call; the old tasks stop then
    # (STOPPING for ecs_task_stop, 0.6 s) — all seen by the one call made 2 s later.
    time.sleep(2.0)
    tasks = {t["taskArn"]: t for t in service_tasks(ecs) + service_tasks(ecs, "STOPPED")}
    new = [t for a, t in tasks.items() if a not in old]
    assert len(new) == 2 and all(t["taskDefinitionArn"] == v2 for t in new)
    assert all(before - 0.05 <= t["startedAt"].timestamp() <= after + 0.05 for t in new)
    stopped = [tasks[a] for a in old]
    assert [t["lastStatus"] for t in stopped] == ["STOPPED", "STOPPED"]
    for t in stopped:
        assert before + 0.55 <= t["stoppingAt"].timestamp() <= after + 0.65, (before, t["stoppingAt"])
        assert before + 1.15 <= t["stoppedAt"].timestamp() <= after + 1.25, (before, t["stoppedAt"])


def test_tasks_waiting_for_capacity_start_when_the_new_instance_runs(emu, account):
    # t3.medium: 4096 MiB, no reservation: two 1500 MiB tasks per instance; two wait.
    ecs, ec2, asg = ec2_capacity(emu, account, instance_type="t3.medium", size=1, max_size=2, reserved=0)
    wait_for(lambda: len(instances(ecs)), 1)
    ecs.create_service(cluster="demo", serviceName="web", taskDefinition=task_definition(ecs, memory=1500),
                       desiredCount=4, capacityProviderStrategy=[{"capacityProvider": "cp", "weight": 1}])
    # Managed scaling adds an instance at this call; it runs after ec2_instance_create (0.6 s).
    before = time.time()
    ecs.update_capacity_provider(name="cp", autoScalingGroupProvider={
        "managedScaling": {"status": "ENABLED", "targetCapacity": 100}})
    after = time.time()
    time.sleep(1.5)  # no call meanwhile
    tasks = service_tasks(ecs)
    assert len(tasks) == 4 and all(t["lastStatus"] == "RUNNING" for t in tasks)
    assert asg.describe_auto_scaling_groups()["AutoScalingGroups"][0]["DesiredCapacity"] == 2
    late = sorted(t["startedAt"].timestamp() for t in tasks)[2:]
    # They started as the new instance joined, not at the call 1.5 s on.
    assert all(before + 0.55 <= at <= after + 0.65 for at in late), (before, late)
