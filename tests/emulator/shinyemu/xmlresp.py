"""Query-protocol (XML) answers for operations the emulator serves itself."""

from __future__ import annotations

import uuid
from xml.sax.saxutils import escape

from .hooks import Response


class Items(list):
    """A list serialized as repeated <tag> elements."""

    def __init__(self, tag: str, items):
        super().__init__(items)
        self.tag = tag


def _xml(value) -> str:
    if isinstance(value, dict):
        return "".join(f"<{k}>{_xml(v)}</{k}>" for k, v in value.items() if v is not None)
    if isinstance(value, Items):
        return "".join(f"<{value.tag}>{_xml(v)}</{value.tag}>" for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(str(value))


def query_response(operation: str, namespace: str, result: dict | None) -> Response:
    body = [f'<?xml version="1.0" encoding="UTF-8"?>\n<{operation}Response xmlns="{namespace}">']
    if result is not None:
        body.append(f"<{operation}Result>{_xml(result)}</{operation}Result>")
    body.append(f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>")
    body.append(f"</{operation}Response>")
    return Response(200, [("Content-Type", "text/xml")], "".join(body).encode())
