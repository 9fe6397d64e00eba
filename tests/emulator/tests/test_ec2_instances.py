"""EC2 instances pass through `pending` and `shutting-down` (test profile: 0.6 s each); a launch
template's instance profile is as fresh at launch as one the request names; RunInstances and
CreateLaunchTemplateVersion answer a repeated client token with their first answer."""

import time

import pytest
from botocore.exceptions import ClientError
from conftest import wait_for
from test_iam_propagation import WINDOW, propagating  # noqa: F401  (the fixture)

IMAGE = "ami-12c6146b"


def state(ec2, instance):
    return ec2.describe_instances(InstanceIds=[instance])["Reservations"][0]["Instances"][0]["State"]


def test_an_instance_starts_pending_and_terminates_through_shutting_down(emu, account):
    ec2 = emu.client("ec2", account)
    launched = ec2.run_instances(ImageId=IMAGE, MinCount=1, MaxCount=1)["Instances"][0]
    assert launched["State"] == {"Code": 0, "Name": "pending"}
    instance = launched["InstanceId"]
    assert wait_for(lambda: state(ec2, instance)["Name"], "running") == ["pending", "running"]
    assert state(ec2, instance)["Code"] == 16

    changed = ec2.terminate_instances(InstanceIds=[instance])["TerminatingInstances"][0]
    assert changed["PreviousState"]["Name"] == "running"
    assert changed["CurrentState"] == {"Code": 32, "Name": "shutting-down"}
    assert wait_for(lambda: state(ec2, instance)["Name"], "terminated") == ["shutting-down", "terminated"]
    # Still listed (AWS keeps a terminated instance visible for about an hour), but not as live.
    live = ec2.describe_instances(Filters=[{"Name": "instance-state-name", "Values": ["pending", "running"]}])
    assert live["Reservations"] == []


def test_a_fresh_profile_in_a_launch_template_refuses_the_launch(emu, propagating):  # noqa: F811
    iam, ec2 = (emu.client(s, propagating) for s in ("iam", "ec2"))
    arn = iam.create_instance_profile(InstanceProfileName="app")["InstanceProfile"]["Arn"]
    template = ec2.create_launch_template(LaunchTemplateName="app", LaunchTemplateData={
        "ImageId": IMAGE, "IamInstanceProfile": {"Arn": arn}})["LaunchTemplate"]["LaunchTemplateId"]
    with pytest.raises(ClientError) as err:
        ec2.run_instances(MinCount=1, MaxCount=1, LaunchTemplate={"LaunchTemplateId": template, "Version": "1"})
    assert err.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert err.value.response["Error"]["Message"] == (
        f"Value ({arn}) for parameter iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN")
    time.sleep(WINDOW)
    launched = ec2.run_instances(MinCount=1, MaxCount=1, LaunchTemplate={"LaunchTemplateId": template})
    tags = {t["Key"]: t["Value"] for t in launched["Instances"][0].get("Tags", [])}
    assert tags.get("aws:ec2launchtemplate:version") == "1"


def test_client_tokens_of_a_launch_and_a_template_version_answer_once(emu, account):
    ec2 = emu.client("ec2", account)
    first = ec2.run_instances(ImageId=IMAGE, MinCount=1, MaxCount=1, ClientToken="launch-1")["Instances"][0]
    again = ec2.run_instances(ImageId=IMAGE, MinCount=1, MaxCount=1, ClientToken="launch-1")["Instances"][0]
    assert again["InstanceId"] == first["InstanceId"]
    assert len(ec2.describe_instances()["Reservations"]) == 1
    with pytest.raises(ClientError) as err:
        ec2.run_instances(ImageId=IMAGE, MinCount=1, MaxCount=2, ClientToken="launch-1")
    assert err.value.response["Error"]["Code"] == "IdempotentParameterMismatch"

    template = ec2.create_launch_template(LaunchTemplateName="t", LaunchTemplateData={"ImageId": IMAGE})
    template = template["LaunchTemplate"]["LaunchTemplateId"]
    versions = [ec2.create_launch_template_version(LaunchTemplateId=template, ClientToken="v2", LaunchTemplateData={
        "ImageId": IMAGE, "UserData": "ZWNobyB0d28K"})["LaunchTemplateVersion"]["VersionNumber"] for _ in range(2)]
    assert versions == [2, 2]


def test_the_interface_a_launch_made_goes_with_the_instance(emu, account):
    ec2 = emu.client("ec2", account)
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(VpcId=vpc, GroupName="app", Description="app")["GroupId"]
    instance = ec2.run_instances(ImageId=IMAGE, MinCount=1, MaxCount=1, SubnetId=subnet,
                                 SecurityGroupIds=[group])["Instances"][0]["InstanceId"]
    with pytest.raises(ClientError) as err:
        ec2.delete_subnet(SubnetId=subnet)
    assert err.value.response["Error"]["Code"] == "DependencyViolation"
    ec2.terminate_instances(InstanceIds=[instance])
    wait_for(lambda: state(ec2, instance)["Name"], "terminated")
    assert ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [subnet]}])["NetworkInterfaces"] == []
    ec2.delete_security_group(GroupId=group)
    ec2.delete_subnet(SubnetId=subnet)


UBUNTU = "/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id"
AL2023_ARM = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"


@pytest.mark.parametrize("region", ["us-east-1", "cn-northwest-1"])
def test_public_image_parameters_exist_in_every_region(emu, account, region):
    ssm = emu.client("ssm", account, region=region)
    ec2 = emu.client("ec2", account, region=region)
    for name, arch in [(UBUNTU, "x86_64"), (AL2023_ARM, "arm64")]:
        image = ssm.get_parameter(Name=name)["Parameter"]["Value"]
        described = ec2.describe_images(ImageIds=[image])["Images"][0]
        assert described["Architecture"] == arch


def test_a_template_naming_its_image_by_parameter_launches_the_image_it_holds(emu, account):
    ssm, ec2 = emu.client("ssm", account), emu.client("ec2", account)
    image = ssm.get_parameter(Name=UBUNTU)["Parameter"]["Value"]
    template = ec2.create_launch_template(LaunchTemplateName="by-parameter", LaunchTemplateData={
        "ImageId": f"resolve:ssm:{UBUNTU}"})["LaunchTemplate"]["LaunchTemplateId"]
    data = ec2.describe_launch_template_versions(LaunchTemplateId=template)["LaunchTemplateVersions"][0]
    assert data["LaunchTemplateData"]["ImageId"] == f"resolve:ssm:{UBUNTU}"
    launched = ec2.run_instances(MinCount=1, MaxCount=1, LaunchTemplate={"LaunchTemplateId": template})
    assert launched["Instances"][0]["ImageId"] == image

    missing = ec2.create_launch_template(LaunchTemplateName="missing", LaunchTemplateData={
        "ImageId": "resolve:ssm:/no/such/parameter"})["LaunchTemplate"]["LaunchTemplateId"]
    with pytest.raises(ClientError) as err:
        ec2.run_instances(MinCount=1, MaxCount=1, LaunchTemplate={"LaunchTemplateId": missing})
    assert err.value.response["Error"]["Code"] == "InvalidParameterValue"
