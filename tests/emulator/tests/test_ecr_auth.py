"""ECR GetAuthorizationToken answered as AWS answers it; the registry a test points it at."""

import base64
import time

import requests


def test_the_token_is_aws_and_a_password_valid_for_12_hours(emu, account):
    ecr = emu.client("ecr", account, region="eu-west-1")
    data = ecr.get_authorization_token()["authorizationData"]
    assert len(data) == 1
    user, password = base64.b64decode(data[0]["authorizationToken"]).decode().split(":", 1)
    assert user == "AWS" and password
    assert data[0]["proxyEndpoint"] == f"https://{account}.dkr.ecr.eu-west-1.amazonaws.com"
    left = data[0]["expiresAt"].timestamp() - time.time()
    assert 11.9 * 3600 < left <= 12 * 3600


def test_china_answers_its_own_suffix(emu, account):
    data = emu.client("ecr", account, region="cn-northwest-1").get_authorization_token()["authorizationData"]
    assert data[0]["proxyEndpoint"] == f"https://{account}.dkr.ecr.cn-northwest-1.amazonaws.com.cn"


def test_a_test_points_the_registry_at_a_local_one(emu, account):
    url = f"{emu.endpoint}/_emulator/ecr/registry"
    r = requests.put(url, params={"account": account}, json={"endpoint": "http://127.0.0.1:5999/"}, timeout=10)
    assert r.status_code == 200 and r.json()["endpoint"] == "http://127.0.0.1:5999"
    ecr = emu.client("ecr", account, region="cn-northwest-1")
    assert ecr.get_authorization_token()["authorizationData"][0]["proxyEndpoint"] == "http://127.0.0.1:5999"
    # Never anywhere but this machine.
    r = requests.put(url, params={"account": account}, json={"endpoint": "https://registry.example.com"}, timeout=10)
    assert r.status_code == 400
    requests.delete(url, params={"account": account}, timeout=10)
    assert ecr.get_authorization_token()["authorizationData"][0]["proxyEndpoint"].startswith("https://")
