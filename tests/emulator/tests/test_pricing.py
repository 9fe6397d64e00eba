"""The Price List Query API's GetProducts (shinyemu/pricing.py): AWS's answer shape, TERM_MATCH
filters, pages, and prices in CNY from the China endpoint."""

import json

import pytest
from botocore.exceptions import ClientError


def products(pricing, **kwargs):
    return [json.loads(item) for item in pricing.get_products(**kwargs)["PriceList"]]


def term(field, value):
    return {"Type": "TERM_MATCH", "Field": field, "Value": value}


def price(doc):
    (offer,) = doc["terms"]["OnDemand"].values()
    (dimension,) = offer["priceDimensions"].values()
    return dimension["pricePerUnit"]


def test_a_linux_instance_in_us_east_1(emu, zero_account):
    pricing = emu.client("pricing", zero_account)
    found = products(pricing, ServiceCode="AmazonEC2", FormatVersion="aws_v1", Filters=[
        term("regionCode", "us-east-1"), term("productFamily", "Compute Instance"),
        term("instanceType", "m6i.large"), term("operatingSystem", "Linux"), term("tenancy", "Shared"),
        term("preInstalledSw", "NA"), term("capacitystatus", "Used")])
    assert len(found) == 1
    assert found[0]["product"]["attributes"]["usagetype"] == "USE1-BoxUsage:m6i.large"
    assert price(found[0]) == {"USD": "0.0960000000"}


def test_the_china_endpoint_answers_in_yuan(emu, zero_account):
    pricing = emu.client("pricing", zero_account, region="cn-northwest-1")
    found = products(pricing, ServiceCode="AmazonEKS",
                     Filters=[term("regionCode", "cn-northwest-1"), term("productFamily", "Compute")])
    usage = {d["product"]["attributes"]["usagetype"]: price(d) for d in found}
    assert set(usage) == {"CNW1-AmazonEKS-Hours:perCluster", "CNW1-AmazonEKS-Hours:extendedSupport"}
    assert list(usage["CNW1-AmazonEKS-Hours:perCluster"]) == ["CNY"]


def test_pages_and_unknown_services(emu, zero_account):
    pricing = emu.client("pricing", zero_account)
    first = pricing.get_products(ServiceCode="AmazonEC2", MaxResults=2, Filters=[term("regionCode", "us-east-1")])
    assert len(first["PriceList"]) == 2 and first["NextToken"]
    rest = pricing.get_products(ServiceCode="AmazonEC2", NextToken=first["NextToken"],
                                Filters=[term("regionCode", "us-east-1")])
    assert len(rest["PriceList"]) > 0
    assert pricing.get_products(ServiceCode="AmazonNothing")["PriceList"] == []
    with pytest.raises(ClientError) as err:
        pricing.get_products(ServiceCode="AmazonEC2", MaxResults=101)
    assert err.value.response["Error"]["Code"] in ("ValidationException", "InvalidParameterException")


def test_fargate_by_vcpu_and_memory_hours_and_secrets_by_the_month(emu, zero_account):
    pricing = emu.client("pricing", zero_account)
    found = products(pricing, ServiceCode="AmazonECS",
                     Filters=[term("regionCode", "us-east-1"), term("productFamily", "Compute")])
    usage = {d["product"]["attributes"]["usagetype"]: price(d) for d in found}
    assert usage["USE1-Fargate-vCPU-Hours:perCPU"] == {"USD": "0.0404800000"}
    assert usage["USE1-Fargate-GB-Hours"] == {"USD": "0.0044450000"}
    assert "USE1-Fargate-ARM-vCPU-Hours:perCPU" in usage
    (secret,) = products(pricing, ServiceCode="AWSSecretsManager",
                         Filters=[term("regionCode", "us-east-1"), term("productFamily", "Secret")])
    assert price(secret) == {"USD": "0.4000000000"}
