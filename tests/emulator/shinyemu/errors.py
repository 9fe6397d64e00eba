"""AWS errors rendered in the wire shape of each protocol, so SDKs classify them."""

from __future__ import annotations

import json
import uuid
from xml.sax.saxutils import escape

import cbor2


class AwsError(Exception):
    def __init__(self, code: str, message: str = "", status: int = 400, sender: bool = True,
                 extra: dict | None = None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message or code
        self.status = status
        self.sender = sender
        # Further members of the error shape (JSON protocols), e.g. EKS's `validZones`.
        self.extra = extra or {}


# CloudWatch's (awsQueryCompatible) error shape names differ from the query codes.
CBOR_TYPES = {
    "ResourceNotFound": "ResourceNotFound",
    "LimitExceeded": "LimitExceededFault",
    "InvalidParameterValue": "InvalidParameterValueException",
    "MissingParameter": "MissingRequiredParameterException",
    "InternalFailure": "InternalServiceFault",
    "ValidationError": "ValidationException",
}


def render(protocol: str, err: AwsError, service: str = "") -> tuple[int, list, bytes]:
    rid = str(uuid.uuid4())
    code, msg = escape(err.code), escape(err.message)
    headers = [("x-amzn-RequestId", rid)]
    if protocol == "ec2":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
            f"<Code>{code}</Code><Message>{msg}</Message></Error></Errors>"
            f"<RequestID>{rid}</RequestID></Response>"
        ).encode()
        headers.append(("Content-Type", "text/xml;charset=UTF-8"))
    elif protocol == "query":
        kind = "Sender" if err.sender else "Receiver"
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error>'
            f"<Type>{kind}</Type><Code>{code}</Code><Message>{msg}</Message></Error>"
            f"<RequestId>{rid}</RequestId></ErrorResponse>"
        ).encode()
        headers.append(("Content-Type", "text/xml"))
    elif protocol == "rest-xml":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Error>'
            f"<Code>{code}</Code><Message>{msg}</Message><RequestId>{rid}</RequestId></Error>"
        ).encode()
        headers += [("Content-Type", "application/xml"), ("x-amz-request-id", rid)]
    elif protocol == "smithy-rpc-v2-cbor":
        shape = CBOR_TYPES.get(err.code, err.code)
        body = cbor2.dumps({"__type": f"com.amazonaws.{service or 'cloudwatch'}#{shape}", "message": err.message})
        kind = "Sender" if err.sender else "Receiver"
        headers += [
            ("Content-Type", "application/cbor"),
            ("smithy-protocol", "rpc-v2-cbor"),
            ("x-amzn-query-error", f"{err.code};{kind}"),
        ]
    elif protocol == "json":
        body = json.dumps({**err.extra, "__type": err.code, "message": err.message}).encode()
        headers.append(("Content-Type", "application/x-amz-json-1.1"))
    else:  # rest-json
        body = json.dumps({**err.extra, "__type": err.code, "message": err.message,
                           "Message": err.message}).encode()
        headers += [("Content-Type", "application/json"), ("x-amzn-ErrorType", err.code)]
    return err.status, headers, body
