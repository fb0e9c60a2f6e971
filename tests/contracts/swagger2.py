"""Swagger 2.0 to OpenAPI 3.0, in memory, for the Constant Contact specs.

openapi-core reads OpenAPI 3 only, and Constant Contact publishes Swagger 2.0. This converts what
those files use and refuses what it does not know (a `collectionFormat`, a `$ref`'d parameter, a
response header...) rather than guess: a silently wrong conversion would validate the wrong thing.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

OPENAPI_VERSION = "3.0.3"
# Parameter keys that OpenAPI 3 moves into the parameter's `schema`.
SCHEMA_KEYS = frozenset(
    {
        "type",
        "format",
        "items",
        "enum",
        "default",
        "maximum",
        "minimum",
        "exclusiveMaximum",
        "exclusiveMinimum",
        "maxLength",
        "minLength",
        "pattern",
        "maxItems",
        "minItems",
        "uniqueItems",
        "multipleOf",
    }
)
PARAMETER_KEYS = frozenset({"name", "in", "description", "required"})
ARRAY_KEYS = frozenset({"maxItems", "minItems", "uniqueItems"})
RESPONSE_KEYS = frozenset({"description", "schema", "examples"})
OPERATION_KEYS_DROPPED = frozenset({"parameters", "responses", "consumes", "produces", "schemes"})
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch"})
DEFAULT_MEDIA_TYPE = "application/json"


class UnsupportedSwagger(ValueError):
    """The document uses a Swagger 2.0 feature this converter does not translate."""


def to_openapi3(swagger: Mapping[str, Any]) -> dict[str, Any]:
    """An OpenAPI 3.0 document equivalent to the Swagger 2.0 `swagger` (which is left as is)."""
    if swagger.get("swagger") != "2.0":
        raise UnsupportedSwagger(f"not a Swagger 2.0 document: swagger={swagger.get('swagger')!r}")
    document = _rewrite_schemas(copy.deepcopy(dict(swagger)))
    consumes = document.get("consumes", [DEFAULT_MEDIA_TYPE])
    produces = document.get("produces", [DEFAULT_MEDIA_TYPE])
    converted: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": document["info"],
        "servers": [{"url": _server_url(document)}],
        "paths": {
            path: _path_item(item, consumes, produces)
            for path, item in document.get("paths", {}).items()
        },
        "components": {
            "schemas": document.get("definitions", {}),
            "securitySchemes": {
                name: _security_scheme(scheme)
                for name, scheme in document.get("securityDefinitions", {}).items()
            },
        },
    }
    for key in ("security", "tags"):
        if key in document:
            converted[key] = document[key]
    for key in ("parameters", "responses"):
        if document.get(key):
            raise UnsupportedSwagger(f"top-level {key} (shared by $ref) are not converted")
    return converted


def _rewrite_schemas(node: Any) -> Any:
    """Every `#/definitions/` reference to `#/components/schemas/`, `x-nullable` to `nullable`."""
    if isinstance(node, list):
        return [_rewrite_schemas(item) for item in node]
    if not isinstance(node, dict):
        return node
    rewritten: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str) and value.startswith("#/definitions/"):
            rewritten[key] = "#/components/schemas/" + value.removeprefix("#/definitions/")
        elif key == "x-nullable":
            rewritten["nullable"] = value
        else:
            rewritten[key] = _rewrite_schemas(value)
    return rewritten


def _server_url(document: Mapping[str, Any]) -> str:
    scheme = document.get("schemes", ["https"])[0]
    return f"{scheme}://{document['host']}{document.get('basePath', '')}".rstrip("/")


def _security_scheme(scheme: Mapping[str, Any]) -> dict[str, Any]:
    """OAuth2 becomes `http bearer`: the access token travels as `Authorization: Bearer` (RFC
    6750), and openapi-core cannot check an oauth2 scheme at all, only warn about it."""
    kind = scheme["type"]
    described = {"description": scheme["description"]} if "description" in scheme else {}
    if kind == "oauth2":
        return {"type": "http", "scheme": "bearer", **described}
    if kind == "basic":
        return {"type": "http", "scheme": "basic", **described}
    if kind == "apiKey":
        return {"type": "apiKey", "name": scheme["name"], "in": scheme["in"], **described}
    raise UnsupportedSwagger(f"security scheme type {kind!r}")


def _path_item(item: Mapping[str, Any], consumes: list[str], produces: list[str]) -> dict[str, Any]:
    converted: dict[str, Any] = {}
    for key, value in item.items():
        if key in HTTP_METHODS:
            converted[key] = _operation(value, consumes, produces)
        elif key == "parameters":
            raise UnsupportedSwagger("path-level parameters are not converted")
        else:
            converted[key] = value
    return converted


def _operation(
    operation: Mapping[str, Any], consumes: list[str], produces: list[str]
) -> dict[str, Any]:
    consumes = operation.get("consumes", consumes)
    produces = operation.get("produces", produces)
    converted = {
        key: value for key, value in operation.items() if key not in OPERATION_KEYS_DROPPED
    }
    parameters: list[dict[str, Any]] = []
    form: dict[str, Any] = {}
    form_required: list[str] = []
    for parameter in operation.get("parameters", []):
        if "$ref" in parameter:
            raise UnsupportedSwagger(f"parameter reference {parameter['$ref']}")
        if parameter["in"] == "body":
            converted["requestBody"] = {
                "required": parameter.get("required", False),
                "content": {media: {"schema": parameter["schema"]} for media in consumes},
            }
        elif parameter["in"] == "formData":
            form[parameter["name"]] = _parameter_schema(parameter)
            if parameter.get("required"):
                form_required.append(parameter["name"])
        else:
            parameters.append(_parameter(parameter))
    if form:
        schema: dict[str, Any] = {"type": "object", "properties": form}
        if form_required:
            schema["required"] = form_required
        converted["requestBody"] = {"content": {media: {"schema": schema} for media in consumes}}
    if parameters:
        converted["parameters"] = parameters
    converted["responses"] = {
        status: _response(response, produces) for status, response in operation["responses"].items()
    }
    return converted


def _parameter(parameter: Mapping[str, Any]) -> dict[str, Any]:
    """A query, path or header parameter: its type keys move into `schema`."""
    unknown = set(parameter) - SCHEMA_KEYS - PARAMETER_KEYS
    unknown = {key for key in unknown if not key.startswith("x-")}
    if unknown:
        raise UnsupportedSwagger(f"parameter {parameter['name']!r} keys {sorted(unknown)}")
    converted = {key: value for key, value in parameter.items() if key not in SCHEMA_KEYS}
    converted["schema"] = _parameter_schema(parameter)
    if parameter.get("format") == "csv":
        converted.update(style="form", explode=False)  # `a,b`, as Swagger's collectionFormat csv
    return converted


def _parameter_schema(parameter: Mapping[str, Any]) -> dict[str, Any]:
    """The parameter's schema. Constant Contact writes a comma-separated list as `type: string,
    format: csv` (its own spelling of Swagger's `collectionFormat: csv`): that is an array."""
    schema = {key: value for key, value in parameter.items() if key in SCHEMA_KEYS}
    if schema.get("type") == "file":
        return {"type": "string", "format": "binary"}
    if schema.get("format") == "csv":
        bounds = {key: schema[key] for key in ARRAY_KEYS & schema.keys()}
        item = schema.get("items") or {
            key: value
            for key, value in schema.items()
            if key not in ARRAY_KEYS and key not in ("format", "default")
        }
        return {"type": "array", "items": item, **bounds}
    return schema


def _response(response: Mapping[str, Any], produces: list[str]) -> dict[str, Any]:
    unknown = set(response) - RESPONSE_KEYS
    if unknown:
        raise UnsupportedSwagger(f"response keys {sorted(unknown)}")
    converted: dict[str, Any] = {"description": response["description"]}
    if "schema" in response:
        converted["content"] = {media: {"schema": response["schema"]} for media in produces}
    return converted
