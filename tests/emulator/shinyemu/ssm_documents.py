"""SSM documents as AWS keeps them, where moto 5.2.5 accepts what AWS refuses or lists what AWS
would not:

- **size**: a document's content "must not exceed 64KB" (botocore `ssm` CreateDocumentRequest
  Content; `MaxDocumentSizeExceeded`: "The size limit of a document is 64 KB"): larger content
  is refused by CreateDocument and UpdateDocument with `MaxDocumentSizeExceeded` (moto stores it).
- **reserved names**: "You can't use the following strings as document name prefixes ... aws,
  amazon, amzn, AWSEC2, AWSConfigRemediation, AWSSupport" (botocore CreateDocumentRequest Name);
  moto refuses only `aws-`, `amazon` and `amzn`. Refused as moto refuses its three
  (`ValidationException` "Invalid document name").
- **Command documents' schema**: "Documents of type Command can use schema version 1.2, 2.0, and
  2.2" (Systems Manager user guide, "Schemas, features, and examples"): another version is
  `InvalidDocumentSchemaVersion`; a 2.x Command document needs `mainSteps`, each step with its
  `action` and `name` ("Data elements and parameters": mainSteps, action and name are required),
  else `InvalidDocumentContent`. moto checks only that `schemaVersion` is there.
- **ListDocuments' `Name` filter is a prefix**: "If you use Name as a key, you can use a name
  prefix to return a list of documents" (botocore DocumentKeyValuesFilter); moto compares it
  for equality. moto also paged before filtering (a filtered page could come back short with
  a token that skipped documents): here the filters apply first, then the pages.
"""

from __future__ import annotations

import json

import yaml

from .errors import AwsError
from .hooks import on

MAX_CONTENT_BYTES = 64 * 1024
RESERVED_PREFIXES = ("aws", "amazon", "amzn", "AWSEC2", "AWSConfigRemediation", "AWSSupport")
COMMAND_SCHEMAS = ("1.2", "2.0", "2.2")


def _parsed(content: str, document_format: str):
    try:
        return json.loads(content) if document_format == "JSON" else yaml.safe_load(content)
    except (ValueError, yaml.YAMLError):
        return None  # moto refuses it (InvalidDocumentContent)


def _check_content(content: str, document_format: str, document_type: str) -> None:
    if len(content.encode("utf-8")) > MAX_CONTENT_BYTES:
        raise AwsError("MaxDocumentSizeExceeded", "The size limit of a document is 64 KB.", 400)
    if document_type != "Command" or document_format not in ("JSON", "YAML"):
        return
    parsed = _parsed(content, document_format)
    if not isinstance(parsed, dict) or "schemaVersion" not in parsed:
        return  # moto's own check answers
    schema = str(parsed["schemaVersion"])
    if schema not in COMMAND_SCHEMAS:
        raise AwsError("InvalidDocumentSchemaVersion",
                       f"Document schema version, {schema}, is not supported by the document type Command.", 400)
    if schema.startswith("2."):
        steps = parsed.get("mainSteps")
        if not isinstance(steps, list) or not steps or not all(
                isinstance(s, dict) and s.get("action") and s.get("name") for s in steps):
            raise AwsError("InvalidDocumentContent",
                           "The content for the document is not valid: every step of mainSteps needs an "
                           "action and a name.", 400)


@on("ssm", "CreateDocument")
def create_document(ctx, call_next):
    p = ctx.params()
    name = p.get("Name", "")
    if name.startswith(RESERVED_PREFIXES):
        raise AwsError("ValidationException", f"Invalid document name {name}", 400)
    _check_content(p.get("Content", ""), p.get("DocumentFormat") or "JSON", p.get("DocumentType") or "Command")
    return call_next()


@on("ssm", "UpdateDocument")
def update_document(ctx, call_next):
    from moto.ssm.models import ssm_backends

    p = ctx.params()
    documents = ssm_backends[ctx.account][ctx.region]._documents.get(p.get("Name", ""))
    document_type = documents.get_default_version().document_type if documents else "Command"
    _check_content(p.get("Content", ""), p.get("DocumentFormat") or "JSON", document_type)
    return call_next()


def install() -> None:
    from moto.ssm import models
    from moto.ssm.exceptions import ValidationException

    if getattr(models.SimpleSystemManagerBackend, "_emu_documents", False):
        return
    models.SimpleSystemManagerBackend._emu_documents = True

    def matches(account_id: str, filters: list[dict], document) -> bool:
        for f in filters:
            key, values = f.get("Key"), f.get("Values") or []
            if key == "Name":
                if not any(document.name.startswith(v) for v in values):
                    return False
            elif not models._document_filter_match(account_id, [dict(f, Values=list(values))], document):
                return False
        return True

    def list_documents(self, document_filter_list, filters, max_results=10, token="0"):
        if document_filter_list:
            raise ValidationException("DocumentFilterList is deprecated. Instead use Filters.")
        start = int(token or "0")
        chosen = []
        for _, documents in sorted(self._documents.items()):
            document = documents.get_default_version()
            if not filters or matches(self.account_id, filters, document):
                chosen.append(document)
        page = chosen[start:start + int(max_results)]
        results = [d.list_describe(tags=self._get_documents_tags(d.name)) for d in page]
        more = start + len(page) < len(chosen)
        return results, str(start + len(page)) if more else ""

    models.SimpleSystemManagerBackend.list_documents = list_documents
