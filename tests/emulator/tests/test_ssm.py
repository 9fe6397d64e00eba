"""SSM documents (moto's, with AWS's refusals added) and State Manager associations
(`ssm_associations.py`): executions that run target by target with time (test profile: 0.6 s
dispatch, 0.6 s per target), a test's failing instance, tags and the tagging API."""

import json

import pytest
import requests
from botocore.exceptions import ClientError
from conftest import STEP, wait_for

IMAGE = "ami-12c6146b"
TAG = "shinyctl.dev/servers"


def command_document(text: str = "hello") -> str:
    return json.dumps({
        "schemaVersion": "2.2",
        "description": "test",
        "mainSteps": [{"action": "aws:runShellScript", "name": "write",
                       "inputs": {"runCommand": [f"echo {text}"]}}],
    })


def make_document(ssm, name="demo-nginx", text="hello"):
    return ssm.create_document(Name=name, Content=command_document(text), DocumentType="Command",
                               DocumentFormat="JSON", Tags=[{"Key": "owner", "Value": "test"}])


def run_instances(ec2, group: str, count: int = 1) -> list[str]:
    launched = ec2.run_instances(ImageId=IMAGE, MinCount=count, MaxCount=count, TagSpecifications=[
        {"ResourceType": "instance", "Tags": [{"Key": TAG, "Value": group}]}])["Instances"]
    ids = sorted(i["InstanceId"] for i in launched)
    for i in ids:
        wait_for(lambda i=i: ec2.describe_instances(InstanceIds=[i])["Reservations"][0]["Instances"][0]
                 ["State"]["Name"], "running")
    return ids


def overview(ssm, association_id):
    return ssm.describe_association(AssociationId=association_id)["AssociationDescription"]["Overview"]


def status(ssm, association_id):
    return overview(ssm, association_id)["Status"]


def associate(ssm, group="app", **extra):
    args = dict(Name="demo-nginx", AssociationName="demo-nginx-app", DocumentVersion="1",
                Targets=[{"Key": f"tag:{TAG}", "Values": [group]}], MaxConcurrency="1", MaxErrors="0")
    args.update(extra)
    return ssm.create_association(**args)["AssociationDescription"]


def fail(emu, account, instances):
    r = requests.put(f"{emu.endpoint}/_emulator/ssm/failing", params={"account": account},
                     data=json.dumps({"instances": instances}), timeout=10)
    r.raise_for_status()


def error(call) -> tuple[str, str]:
    with pytest.raises(ClientError) as err:
        call()
    return err.value.response["Error"]["Code"], err.value.response["Error"].get("Message", "")


def test_documents_refuse_what_aws_refuses(emu, account):
    ssm = emu.client("ssm", account)
    big = json.dumps({"schemaVersion": "2.2", "mainSteps": [
        {"action": "aws:runShellScript", "name": "big", "inputs": {"runCommand": ["x" * 70000]}}]})
    assert error(lambda: ssm.create_document(Name="big-one", Content=big, DocumentType="Command"))[0] == \
        "MaxDocumentSizeExceeded"
    assert error(lambda: make_document(ssm, name="AWSSupport-mine"))[0] == "ValidationException"
    assert error(lambda: make_document(ssm, name="x"))[0] == "ValidationException"  # the model's pattern
    no_steps = json.dumps({"schemaVersion": "2.2", "mainSteps": []})
    assert error(lambda: ssm.create_document(Name="empty", Content=no_steps, DocumentType="Command"))[0] == \
        "InvalidDocumentContent"
    old = json.dumps({"schemaVersion": "0.3", "mainSteps": [{"action": "aws:sleep", "name": "s"}]})
    assert error(lambda: ssm.create_document(Name="old", Content=old, DocumentType="Command"))[0] == \
        "InvalidDocumentSchemaVersion"
    assert ssm.list_documents(Filters=[{"Key": "Owner", "Values": ["Self"]}])["DocumentIdentifiers"] == []


def test_a_document_is_updated_and_listed_by_name_prefix_with_its_tags(emu, account):
    ssm = emu.client("ssm", account)
    make_document(ssm)
    make_document(ssm, name="other-doc")
    for i in range(12):
        make_document(ssm, name=f"demo-{i:02}", text=str(i))
    updated = ssm.update_document(Name="demo-nginx", Content=command_document("again"), DocumentVersion="$LATEST",
                                  DocumentFormat="JSON")["DocumentDescription"]
    assert updated["DocumentVersion"] == "2"
    assert ssm.describe_document(Name="demo-nginx")["Document"]["DefaultVersion"] == "1"
    ssm.update_document_default_version(Name="demo-nginx", DocumentVersion="2")
    got = ssm.get_document(Name="demo-nginx")
    assert (got["DocumentVersion"], got["Content"]) == ("2", command_document("again"))
    pages = ssm.get_paginator("list_documents").paginate(
        Filters=[{"Key": "Owner", "Values": ["Self"]}, {"Key": "Name", "Values": ["demo-"]}])
    listed = [d for page in pages for d in page["DocumentIdentifiers"]]
    assert sorted(d["Name"] for d in listed) == sorted([f"demo-{i:02}" for i in range(12)] + ["demo-nginx"])
    nginx = next(d for d in listed if d["Name"] == "demo-nginx")
    assert nginx["DocumentVersion"] == "2" and nginx["Tags"] == [{"Key": "owner", "Value": "test"}]


def test_an_association_runs_on_its_tagged_instances_one_at_a_time(emu, account):
    ssm, ec2 = emu.client("ssm", account), emu.client("ec2", account)
    make_document(ssm)
    first, second = run_instances(ec2, "app", 2)
    run_instances(ec2, "other")
    created = associate(ssm)
    assert created["Overview"] == {"Status": "Pending", "DetailedStatus": "Creating",
                                   "AssociationStatusAggregatedCount": {"Pending": 2}}
    assert created["AssociationVersion"] == "1" and created["MaxConcurrency"] == "1"
    association = created["AssociationId"]
    executions = ssm.describe_association_executions(AssociationId=association)["AssociationExecutions"]
    assert len(executions) == 1
    execution = executions[0]["ExecutionId"]

    def targets():
        listed = ssm.describe_association_execution_targets(
            AssociationId=association, ExecutionId=execution)["AssociationExecutionTargets"]
        return tuple((t["ResourceId"], t["Status"]) for t in listed)

    seen = wait_for(targets, ((first, "Success"), (second, "Success")), timeout=4 * STEP + 5)
    # One at a time (MaxConcurrency 1): the second waits while the first runs.
    assert ((first, "InProgress"), (second, "Pending")) in seen
    assert not any(dict(s)[first] == "InProgress" and dict(s)[second] == "InProgress" for s in seen)
    assert overview(ssm, association) == {"Status": "Success", "DetailedStatus": "Success",
                                          "AssociationStatusAggregatedCount": {"Success": 2}}
    done = ssm.describe_association_executions(AssociationId=association)["AssociationExecutions"][0]
    assert (done["Status"], done["ResourceCountByStatus"]) == ("Success", "{Success=2}")
    listed = ssm.list_associations(AssociationFilterList=[{"key": "AssociationName", "value": "demo-nginx-app"}])
    assert [a["AssociationId"] for a in listed["Associations"]] == [association]
    assert "MaxConcurrency" not in listed["Associations"][0]  # ListAssociations' entries lack it


def test_an_association_with_no_target_succeeds_at_once(emu, account):
    ssm = emu.client("ssm", account)
    make_document(ssm)
    created = associate(ssm, group="nobody")
    assert created["Overview"] == {"Status": "Success", "DetailedStatus": "Success",
                                   "AssociationStatusAggregatedCount": {}}


def test_a_failing_instance_fails_the_association_and_stops_the_rest(emu, account):
    ssm, ec2 = emu.client("ssm", account), emu.client("ec2", account)
    make_document(ssm)
    first, second = run_instances(ec2, "app", 2)
    fail(emu, account, [first])
    association = associate(ssm)["AssociationId"]
    assert wait_for(lambda: status(ssm, association), "Failed", timeout=4 * STEP + 5)[-1] == "Failed"
    execution = ssm.describe_association_executions(AssociationId=association)["AssociationExecutions"][0]
    assert execution["Status"] == "Failed"
    failed = ssm.describe_association_execution_targets(
        AssociationId=association, ExecutionId=execution["ExecutionId"],
        Filters=[{"Key": "Status", "Value": "Failed"}])["AssociationExecutionTargets"]
    assert [t["ResourceId"] for t in failed] == [first]
    everything = ssm.describe_association_execution_targets(
        AssociationId=association, ExecutionId=execution["ExecutionId"])["AssociationExecutionTargets"]
    assert second not in [t["ResourceId"] for t in everything]  # MaxErrors 0: never run
    fail(emu, account, [])


def test_an_update_is_a_new_version_that_runs_again_and_clears_what_it_leaves_out(emu, account):
    ssm, ec2 = emu.client("ssm", account), emu.client("ec2", account)
    make_document(ssm)
    ssm.update_document(Name="demo-nginx", Content=command_document("v2"), DocumentVersion="$LATEST")
    run_instances(ec2, "app")
    association = associate(ssm, ScheduleExpression="rate(30 minutes)")["AssociationId"]
    wait_for(lambda: status(ssm, association), "Success", timeout=3 * STEP + 5)
    updated = ssm.update_association(AssociationId=association, Name="demo-nginx", DocumentVersion="2",
                                     AssociationName="demo-nginx-app",
                                     Targets=[{"Key": f"tag:{TAG}", "Values": ["app"]}])["AssociationDescription"]
    assert (updated["AssociationVersion"], updated["DocumentVersion"]) == ("2", "2")
    assert "MaxConcurrency" not in updated and "ScheduleExpression" not in updated
    assert updated["Overview"]["Status"] == "Pending"
    assert len(ssm.describe_association_executions(AssociationId=association)["AssociationExecutions"]) == 2
    assert wait_for(lambda: status(ssm, association), "Success", timeout=3 * STEP + 5)[-1] == "Success"
    first = ssm.describe_association(AssociationId=association, AssociationVersion="1")["AssociationDescription"]
    assert first["DocumentVersion"] == "1" and first["ScheduleExpression"] == "rate(30 minutes)"
    assert error(lambda: ssm.update_association(AssociationId=association, AssociationVersion="1"))[0] == \
        "InvalidAssociationVersion"


def test_a_node_that_joins_later_gets_its_own_execution(emu, account):
    """An Auto Scaling group's new instance carries the tag: State Manager runs the association
    on it when it joins (botocore CreateAssociation documentation), without an update."""
    ssm, ec2 = emu.client("ssm", account), emu.client("ec2", account)
    make_document(ssm)
    (first,) = run_instances(ec2, "app")
    association = associate(ssm)["AssociationId"]
    wait_for(lambda: status(ssm, association), "Success", timeout=3 * STEP + 5)
    (second,) = run_instances(ec2, "app")
    joined = overview(ssm, association)
    assert joined["Status"] == "Pending"
    executions = ssm.describe_association_executions(AssociationId=association)["AssociationExecutions"]
    assert len(executions) == 2 and executions[0]["AssociationVersion"] == "1"
    listed = ssm.describe_association_execution_targets(
        AssociationId=association, ExecutionId=executions[0]["ExecutionId"])["AssociationExecutionTargets"]
    assert [t["ResourceId"] for t in listed] == [second]
    wait_for(lambda: status(ssm, association), "Success", timeout=3 * STEP + 5)
    assert overview(ssm, association)["AssociationStatusAggregatedCount"] == {"Success": 2}
    # Seen once: reading again starts nothing more.
    assert len(ssm.describe_association_executions(AssociationId=association)["AssociationExecutions"]) == 2
    assert first != second


def test_a_joining_node_that_fails_fails_the_association(emu, account):
    ssm, ec2 = emu.client("ssm", account), emu.client("ec2", account)
    make_document(ssm)
    association = associate(ssm, group="late")["AssociationId"]
    assert status(ssm, association) == "Success"  # no node yet
    (node,) = run_instances(ec2, "late")
    fail(emu, account, [node])
    # The failing mark is taken when the node's execution starts, at the first read after it joins.
    assert wait_for(lambda: status(ssm, association), "Failed", timeout=3 * STEP + 5)[-1] == "Failed"
    fail(emu, account, [])


def test_associations_refuse_what_aws_refuses(emu, account):
    ssm = emu.client("ssm", account)
    assert error(lambda: associate(ssm))[0] == "InvalidDocument"
    make_document(ssm)
    assert error(lambda: associate(ssm, DocumentVersion="7"))[0] == "InvalidDocumentVersion"
    assert error(lambda: associate(ssm, AssociationName="no spaces"))[0] == "ValidationException"
    assert error(lambda: associate(ssm, MaxConcurrency="0"))[0] == "ValidationException"
    assert error(lambda: associate(ssm, Targets=[{"Key": "servers", "Values": ["app"]}]))[0] == "InvalidTarget"
    assert error(lambda: associate(ssm, ScheduleExpression="rate(5 minutes)"))[0] == "InvalidSchedule"
    missing = "11111111-2222-3333-4444-555555555555"
    assert error(lambda: ssm.delete_association(AssociationId=missing))[0] == "AssociationDoesNotExist"
    assert error(lambda: ssm.describe_association(AssociationId=missing))[0] == "AssociationDoesNotExist"
    assert error(lambda: ssm.list_tags_for_resource(ResourceType="Association", ResourceId=missing))[0] == \
        "InvalidResourceId"


def test_association_tags_and_the_tagging_api(emu, account):
    ssm, tagging = emu.client("ssm", account), emu.client("resourcegroupstaggingapi", account)
    make_document(ssm)
    association = associate(ssm, group="nobody", Tags=[{"Key": "shinyctl.dev/blueprint", "Value": "demo"}])
    association_id = association["AssociationId"]
    ssm.add_tags_to_resource(ResourceType="Association", ResourceId=association_id,
                             Tags=[{"Key": "extra", "Value": "1"}])
    ssm.remove_tags_from_resource(ResourceType="Association", ResourceId=association_id, TagKeys=["extra"])
    assert ssm.list_tags_for_resource(ResourceType="Association", ResourceId=association_id)["TagList"] == [
        {"Key": "shinyctl.dev/blueprint", "Value": "demo"}]
    listed = tagging.get_resources(TagFilters=[{"Key": "shinyctl.dev/blueprint", "Values": ["demo"]}])
    arns = [m["ResourceARN"] for m in listed["ResourceTagMappingList"]]
    assert arns == [f"arn:aws:ssm:us-east-1:{account}:association/{association_id}"]
    documents = tagging.get_resources(TagFilters=[{"Key": "owner"}], ResourceTypeFilters=["ssm:document"])
    assert [m["ResourceARN"] for m in documents["ResourceTagMappingList"]] == [
        f"arn:aws:ssm:us-east-1:{account}:document/demo-nginx"]
    ssm.delete_association(AssociationId=association_id)
    assert ssm.list_associations()["Associations"] == []
