# The start of every boto3 script that xtask (the demo and the bench) and the integration tests
# run against the emulator with `python -c PRELUDE+SCRIPT ENDPOINT REGION ACCOUNT ARGS...`:
# `client(service)` is a boto3 client in the emulator account (moto takes the account from the
# `x-moto-account-id` header), `args` the script's own arguments. Both crates include this file.
import sys, boto3
endpoint, region, account = sys.argv[1:4]
args = sys.argv[4:]
def client(service):
    c = boto3.client(service, endpoint_url=endpoint, region_name=region,
                     aws_access_key_id="testing", aws_secret_access_key="testing")
    c.meta.events.register("before-sign.*.*",
        lambda request, **kw: request.headers.__setitem__("x-moto-account-id", account))
    return c
