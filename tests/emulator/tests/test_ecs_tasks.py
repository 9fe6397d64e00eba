"""The task API of a service's tasks and a deleted service's DRAINING (`ecs_tasks.py`,
`ecs_placement.py`): ListTasks with the model's filters and pages, DescribeTasks consistent with
the target groups and container instances, tasks DEACTIVATING for the deregistration delay, then
STOPPING, then STOPPED; DeleteService DRAINING until then, INACTIVE after."""

import pytest
from botocore.exceptions import ClientError
from conftest import wait_for
from test_ecs_placement import ec2_capacity, front, health, instances, resources, task_definition


def service_status(ecs):
    return ecs.describe_services(cluster="demo", services=["web"])["services"][0]["status"]


def running(ecs):
    return ecs.describe_services(cluster="demo", services=["web"])["services"][0]["runningCount"]


def test_list_tasks_and_describe_tasks_show_the_running_tasks(emu, account):
    ecs, _, _ = ec2_capacity(emu, account)
    elb, tg, _, _ = front(emu, account)
    wait_for(lambda: len(instances(ecs)), 2)
    td = task_definition(ecs)
    ecs.create_service(cluster="demo", serviceName="web", taskDefinition=td, desiredCount=2,
                       loadBalancers=[{"targetGroupArn": tg, "containerName": "web", "containerPort": 80}])
    wait_for(lambda: running(ecs), 2)
    arns = ecs.list_tasks(cluster="demo", serviceName="web")["taskArns"]
    assert len(arns) == 2, "the default desiredStatus is RUNNING"
    assert ecs.list_tasks(cluster="demo", serviceName="web", desiredStatus="STOPPED")["taskArns"] == []
    assert ecs.list_tasks(cluster="demo", serviceName="other")["taskArns"] == []
    assert sorted(ecs.list_tasks(cluster="demo", family="web")["taskArns"]) == sorted(arns)
    first = ecs.list_tasks(cluster="demo", serviceName="web", maxResults=1)
    second = ecs.list_tasks(cluster="demo", serviceName="web", maxResults=1, nextToken=first["nextToken"])
    assert sorted(first["taskArns"] + second["taskArns"]) == sorted(arns) and "nextToken" not in second

    described = ecs.describe_tasks(cluster="demo", tasks=arns + ["arn:aws:ecs:us-east-1:1:task/demo/nope"])
    assert described["failures"] == [{"arn": "arn:aws:ecs:us-east-1:1:task/demo/nope", "reason": "MISSING"}]
    tasks = described["tasks"]
    assert {(t["lastStatus"], t["desiredStatus"], t["group"], t["taskDefinitionArn"]) for t in tasks} == \
        {("RUNNING", "RUNNING", "service:web", td)}
    assert all(t["startedBy"].startswith("ecs-svc/") and t["capacityProviderName"] == "cp" for t in tasks)
    cis = {ci["containerInstanceArn"]: ci for ci in instances(ecs)}
    bindings = set()
    for t in tasks:
        ci = cis[t["containerInstanceArn"]]
        port = t["containers"][0]["networkBindings"][0]["hostPort"]
        bindings.add((ci["ec2InstanceId"], port))
        assert ci["runningTasksCount"] == 1, "spread: one task per instance"
        assert resources(ci, "remainingResources")["MEMORY"] == 8192 - 256 - 512
        ports = next(r["stringSetValue"] for r in ci["remainingResources"] if r["name"] == "PORTS")
        assert str(port) in ports and "22" in ports
        only = ecs.list_tasks(cluster="demo", containerInstance=ci["containerInstanceArn"])["taskArns"]
        assert only == [t["taskArn"]]
    assert {(i, p) for i, p, _ in health(elb, tg)} == bindings, "the tasks' host ports are their targets"
    with pytest.raises(ClientError) as missing:
        ecs.list_tasks(cluster="nowhere")
    assert missing.value.response["Error"]["Code"] == "ClusterNotFoundException"


def test_a_deleted_service_is_draining_until_its_tasks_stop(emu, account):
    ecs, _, _ = ec2_capacity(emu, account)
    elb, tg, _, _ = front(emu, account)
    # 60 s of deregistration delay: 0.6 s at the test profile's target_health_scale.
    elb.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[
        {"Key": "deregistration_delay.timeout_seconds", "Value": "60"}])
    wait_for(lambda: len(instances(ecs)), 2)
    ecs.create_service(cluster="demo", serviceName="web", taskDefinition=task_definition(ecs), desiredCount=2,
                       loadBalancers=[{"targetGroupArn": tg, "containerName": "web", "containerPort": 80}])
    wait_for(lambda: running(ecs), 2)
    arns = ecs.list_tasks(cluster="demo", serviceName="web")["taskArns"]

    deleted = ecs.delete_service(cluster="demo", service="web", force=True)["service"]
    assert deleted["status"] == "DRAINING"
    assert ecs.list_services(cluster="demo")["serviceArns"] == [], "DRAINING services are not listed"
    tasks = ecs.describe_tasks(cluster="demo", tasks=arns)["tasks"]
    assert {(t["lastStatus"], t["desiredStatus"]) for t in tasks} == {("DEACTIVATING", "STOPPED")}
    assert all("was deleted" in t["stoppedReason"] for t in tasks)
    assert {s for _, _, s in health(elb, tg)} == {"draining"}
    with pytest.raises(ClientError) as again:
        ecs.create_service(cluster="demo", serviceName="web", taskDefinition=task_definition(ecs), desiredCount=1)
    assert again.value.response["Error"]["Message"] == "Unable to Start a service that is still Draining."
    with pytest.raises(ClientError) as cluster:
        ecs.delete_cluster(cluster="demo")
    assert cluster.value.response["Error"]["Code"] == "ClusterContainsServicesException"

    seen = wait_for(lambda: service_status(ecs), "INACTIVE")
    assert seen[0] == "DRAINING", seen
    # INACTIVE once the tasks are STOPPING; then STOPPED after the stop timeout, listed as such.
    wait_for(lambda: {t["lastStatus"] for t in ecs.describe_tasks(cluster="demo", tasks=arns)["tasks"]}, {"STOPPED"})
    stopped = ecs.list_tasks(cluster="demo", serviceName="web", desiredStatus="STOPPED")["taskArns"]
    assert sorted(stopped) == sorted(arns)
    tasks = ecs.describe_tasks(cluster="demo", tasks=arns)["tasks"]
    assert all(t["stopCode"] == "ServiceSchedulerInitiated" and t["stoppedAt"] >= t["stoppingAt"] for t in tasks)
    assert all(ci["runningTasksCount"] == 0 and resources(ci, "remainingResources")["MEMORY"] == 8192 - 256
               for ci in instances(ecs))
