"""The four vendors' contracts, built once per test session (Sequence's spec is 2 MB, Intercom's
0.6 MB), and `contract_transport` to check any transport against one of them.

Each spec is read as published (`tests/vendors/recorded.py` finds it) and adjusted in memory for
its known quirks, one function per vendor, one commented line per adjustment. An adjustment may
declare what the vendor documents outside the spec file or tighten what the file leaves loose;
none switches a check off.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from functools import cache
from typing import Any

import httpx
from openapi_core import Config, OpenAPI

from contact_archive.ledger.models import Vendor
from devtools.sandboxes.base import Sandbox
from tests.contracts.routera import RouteraContract
from tests.contracts.swagger2 import to_openapi3
from tests.contracts.validating import (
    Contract,
    ContractTransport,
    ExtraQuery,
    OpenAPIContract,
    Unspecified,
)
from tests.vendors.recorded import load_spec

INTERCOM_SPEC = "intercom-2.10.yaml"
SEQUENCE_SPEC = "sequence-2024-07-30.json"
CONSTANT_CONTACT_SPECS = (
    "constant-contact-v3-contacts.yml",
    "constant-contact-v3-bulk-activities.yml",
)
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})

# Not the published files' own checks: Intercom 2.10 has a dangling `$ref`
# (`create_phone_switch_request` -> `custom_attributes`) and checking Sequence's takes seconds.
# Undeclared properties are problems: a sandbox must not invent fields a client could come to
# rely on, nor a client send fields the vendor does not take.
OPENAPI_CONFIG = Config(spec_validator_cls=None, additional_properties_default_policy="forbid")


def contract_transport(
    vendor: Vendor, inner: Sandbox | httpx.BaseTransport, *, base_url: str | None = None
) -> ContractTransport:
    """`inner` (a sandbox's transport, or any other) checked against `vendor`'s contract.

    `base_url` is the API root the client is given when it is not the spec's own server (for
    example `https://eu.sequencehq.com/api`, or a loopback sandbox's URL)."""
    transport = inner.transport() if isinstance(inner, Sandbox) else inner
    return ContractTransport(transport, contract_for(vendor), base_url=base_url)


@cache
def contract_for(vendor: Vendor) -> Contract:
    """The vendor's contract, built on first use and kept for the session."""
    match vendor:
        case Vendor.SEQUENCE:
            return OpenAPIContract("sequence", _openapi(sequence_document()))
        case Vendor.INTERCOM:
            return OpenAPIContract(
                "intercom",
                _openapi(intercom_document()),
                extra_query=[
                    ExtraQuery(
                        "GET",
                        "/contacts",
                        frozenset({"per_page", "starting_after"}),
                        "pagination: in the operation's description and Intercom's pagination"
                        " guide, not declared as parameters",
                    )
                ],
            )
        case Vendor.CONSTANT_CONTACT:
            return OpenAPIContract(
                "constant_contact",
                _openapi(constant_contact_document()),
                unspecified=[
                    Unspecified(
                        "POST",
                        r"/oauth2/default/v1/token",
                        "Constant Contact's OAuth2 token endpoint (authz.constantcontact.com)"
                        " is not part of the v3 API spec",
                    )
                ],
                extra_query=[
                    ExtraQuery(
                        "GET",
                        "/contacts",
                        frozenset({"cursor"}),
                        "the next page's `_links.next.href` carries a `cursor` the spec does"
                        " not declare",
                    )
                ],
            )
        case Vendor.ROUTERA:
            return RouteraContract()


def _openapi(document: dict[str, Any]) -> OpenAPI:
    return OpenAPI.from_dict(document, config=OPENAPI_CONFIG)


@cache
def sequence_document() -> dict[str, Any]:
    document = copy.deepcopy(load_spec(SEQUENCE_SPEC))
    for responses in _responses(document):
        for response in responses.values():
            # Its 400/401/500 say `content: {}`: no body is described, not "no body allowed".
            if response.get("content") == {}:
                del response["content"]
    # Answered, not declared: 404 for an unknown customer or contact (VENDORS.md: defensively,
    # body undocumented) and 429 over the rate limit (VENDORS.md).
    _declare_missing(document, {"404": "Not Found", "429": "Too Many Requests"}, content=None)
    return document


@cache
def intercom_document() -> dict[str, Any]:
    document = copy.deepcopy(load_spec(INTERCOM_SPEC))
    schemas = document["components"]["schemas"]
    for name in ("contact_archived", "contact_unarchived"):
        # 2.10 declares no `required` here; 2.11 requires these three, and every answer has them.
        schemas[name]["required"] = ["type", "id", "archived"]
    for name in ("contact", "create_contact_request", "update_contact_request"):
        # Custom attributes are named by each workspace (the create request's own example holds
        # some): any key, not the "no key at all" the forbid policy reads in a bare object.
        schemas[name]["properties"]["custom_attributes"]["additionalProperties"] = True
    for name in ("contact_tags", "contact_notes", "contact_companies"):
        # A contact's sub-lists carry `type: "list"`, as the spec's own contact examples show.
        schemas[name]["properties"]["type"] = {"type": "string", "enum": ["list"]}
    # Intercom answers an `error.list` for these on any endpoint (VENDORS.md); 2.10 declares
    # them on few operations, so they are declared with the spec's own error schema.
    _declare_missing(
        document,
        {
            "400": "Bad Request",
            "401": "Unauthorized",
            "404": "Not Found",
            "409": "Conflict",
            "429": "Too Many Requests",
        },
        content=_json_content("#/components/schemas/error"),
    )
    return document


@cache
def constant_contact_document() -> dict[str, Any]:
    contacts, bulk = (to_openapi3(load_spec(name)) for name in CONSTANT_CONTACT_SPECS)
    document = _merge(contacts, bulk)
    schemas = document["components"]["schemas"]
    assert "ErrorResponse" not in schemas
    # The files describe no error body; VENDORS.md documents `[{error_key, error_message}]`.
    schemas["ErrorResponse"] = {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["error_key", "error_message"],
            "properties": {"error_key": {"type": "string"}, "error_message": {"type": "string"}},
        },
    }
    for name in ("list_memberships", "taggings"):
        # `readOnly` items in a request-only schema could never be sent, yet a PUT takes them
        # (the property's own description; VENDORS.md: the revive sends `list_memberships`).
        del schemas["ContactPutRequest"]["properties"][name]["items"]["readOnly"]
    error_content = _json_content("#/components/schemas/ErrorResponse")
    for responses in _responses(document):
        for status, response in responses.items():
            if int(status) >= 400 and "content" not in response:
                response["content"] = copy.deepcopy(error_content)
    # 429 `throttled` / `quota_exceeded` on any endpoint (VENDORS.md); the contacts file omits it.
    _declare_missing(document, {"429": "Too Many Requests"}, content=error_content)
    return document


def _merge(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """Two documents of one API (same server) as one; a shared schema must be the same."""
    assert first["servers"] == second["servers"], (first["servers"], second["servers"])
    assert not set(first["paths"]) & set(second["paths"])
    merged = copy.deepcopy(first)
    merged["paths"].update(second["paths"])
    for section, entries in second["components"].items():
        target = merged["components"].setdefault(section, {})
        for name, entry in entries.items():
            assert target.setdefault(name, entry) == entry, f"{section}/{name} differs"
    return merged


def _responses(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for item in document["paths"].values():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield operation["responses"]


def _declare_missing(
    document: dict[str, Any], statuses: dict[str, str], *, content: dict[str, Any] | None
) -> None:
    """Declare each status, with `content` as its body (None: body undocumented), on every
    operation that does not declare it already."""
    for responses in _responses(document):
        for status, description in statuses.items():
            if status not in responses:
                response: dict[str, Any] = {"description": description}
                if content is not None:
                    response["content"] = copy.deepcopy(content)
                responses[status] = response


def _json_content(reference: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": reference}}}
