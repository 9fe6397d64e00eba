"""Secrets Manager (`secretsmanager_ext.py`): names AWS refuses, a force-deleted secret that goes
in the background (test profile: `secretsmanager_secret_delete` 0.6 s) and holds its name until
then, and what the model refuses of GetRandomPassword."""

import pytest
from botocore.exceptions import ClientError
from conftest import wait_for


def code(err) -> str:
    return err.value.response["Error"]["Code"]


def test_names_aws_refuses_are_refused(emu, account):
    sm = emu.client("secretsmanager", account)
    for name in ("has space", "semi;colon", "hash#", "ümlaut"):
        with pytest.raises(ClientError) as refused:
            sm.create_secret(Name=name, SecretString="x")
        assert code(refused) == "ValidationException", name
        assert refused.value.response["Error"]["Message"] == (
            "Invalid name. Must be a valid name containing alphanumeric characters, or any of the "
            "following: -/_+=.@!")
    sm.create_secret(Name="demo/app_1+x=y.z@w-v!", SecretString="x")


def test_a_force_deleted_secret_holds_its_name_until_it_is_gone(emu, account):
    sm = emu.client("secretsmanager", account)
    arn = sm.create_secret(Name="demo-cookie", Description="d", SecretString="x",
                           Tags=[{"Key": "shinyctl.dev/blueprint", "Value": "demo"}])["ARN"]
    deleted = sm.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
    assert deleted["Name"] == "demo-cookie"
    # Scheduled for deletion meanwhile: described with its date, not listed, its name held.
    assert "DeletedDate" in sm.describe_secret(SecretId="demo-cookie")
    listed = sm.list_secrets(Filters=[{"Key": "tag-key", "Values": ["shinyctl.dev/blueprint"]}])
    assert listed["SecretList"] == []
    with pytest.raises(ClientError) as held:
        sm.create_secret(Name="demo-cookie", SecretString="y")
    assert code(held) == "InvalidRequestException"
    assert "already scheduled for deletion" in held.value.response["Error"]["Message"]
    # Deleting it again without recovery is fine.
    sm.delete_secret(SecretId="demo-cookie", ForceDeleteWithoutRecovery=True)

    def gone():
        try:
            sm.describe_secret(SecretId="demo-cookie")
            return False
        except ClientError as err:
            return err.response["Error"]["Code"] == "ResourceNotFoundException"

    seen = wait_for(gone, True)
    assert seen == [False, True], seen
    sm.create_secret(Name="demo-cookie", SecretString="z")
    # An unknown secret deleted without recovery: no ResourceNotFoundException.
    sm.delete_secret(SecretId="never-made", ForceDeleteWithoutRecovery=True)


def test_the_tag_filters_list_the_blueprints_secrets(emu, account):
    sm = emu.client("secretsmanager", account)
    sm.create_secret(Name="mine", SecretString="x", Tags=[{"Key": "shinyctl.dev/blueprint", "Value": "demo"}])
    sm.create_secret(Name="other", SecretString="x", Tags=[{"Key": "shinyctl.dev/blueprint", "Value": "else"}])
    listed = sm.list_secrets(Filters=[{"Key": "tag-key", "Values": ["shinyctl.dev/blueprint"]},
                                      {"Key": "tag-value", "Values": ["demo"]}])["SecretList"]
    assert [s["Name"] for s in listed] == ["mine"]
    assert listed[0]["Tags"] == [{"Key": "shinyctl.dev/blueprint", "Value": "demo"}]
    assert "SecretString" not in listed[0]


def test_get_random_password_follows_its_model(emu, account):
    sm = emu.client("secretsmanager", account)
    value = sm.get_random_password(PasswordLength=40, ExcludePunctuation=True)["RandomPassword"]
    assert len(value) == 40 and value.isalnum()
    # 1 to 4,096 (botocore PasswordLengthType; boto3 itself refuses 0 before sending).
    with pytest.raises(ClientError) as refused:
        sm.get_random_password(PasswordLength=4097)
    assert code(refused) == "ValidationException"
