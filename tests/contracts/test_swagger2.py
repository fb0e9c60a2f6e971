"""The Swagger 2.0 to OpenAPI 3.0 converter: each rule on a small document, refusals of what it
does not translate, and Constant Contact's real files converting to valid OpenAPI 3."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_spec_validator import validate

from tests.contracts.specs import CONSTANT_CONTACT_SPECS
from tests.contracts.swagger2 import UnsupportedSwagger, to_openapi3
from tests.vendors.recorded import load_spec


def swagger(**overrides: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "swagger": "2.0",
        "info": {"title": "Pets", "version": "1"},
        "host": "api.pets.test",
        "basePath": "/v3",
        "schemes": ["https"],
        "consumes": ["application/json"],
        "produces": ["application/json"],
        "paths": {},
        "definitions": {
            "Pet": {
                "type": "object",
                "properties": {
                    "owner": {"$ref": "#/definitions/Owner"},
                    "nickname": {"type": "string", "x-nullable": True},
                },
            },
            "Owner": {"type": "object"},
        },
        "securityDefinitions": {
            "oauth": {
                "type": "oauth2",
                "flow": "implicit",
                "authorizationUrl": "https://x",
                "scopes": {},
            },
            "key": {"type": "apiKey", "name": "x-api-key", "in": "header"},
        },
    }
    return document | overrides


def operation(parameters: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    responses = {
        "200": {"description": "ok", "schema": {"$ref": "#/definitions/Pet"}},
        "404": {"description": "missing"},
    }
    return {"parameters": parameters, "responses": responses, **extra}


def test_servers_schemas_references_and_nullable_move_to_their_openapi3_places() -> None:
    converted = to_openapi3(swagger())
    assert converted["openapi"] == "3.0.3"
    assert converted["servers"] == [{"url": "https://api.pets.test/v3"}]
    pet = converted["components"]["schemas"]["Pet"]
    assert pet["properties"]["owner"] == {"$ref": "#/components/schemas/Owner"}
    assert pet["properties"]["nickname"] == {"type": "string", "nullable": True}
    assert "definitions" not in converted and "basePath" not in converted


def test_oauth2_is_checked_as_a_bearer_token_and_api_keys_stay() -> None:
    schemes = to_openapi3(swagger())["components"]["securitySchemes"]
    assert schemes["oauth"] == {"type": "http", "scheme": "bearer"}
    assert schemes["key"] == {"type": "apiKey", "name": "x-api-key", "in": "header"}


def test_a_body_parameter_becomes_the_request_body_and_a_schema_the_response_content() -> None:
    body = {"in": "body", "name": "body", "required": True, "schema": {"$ref": "#/definitions/Pet"}}
    converted = to_openapi3(swagger(paths={"/pets": {"put": operation([body])}}))
    put = converted["paths"]["/pets"]["put"]
    pet = {"schema": {"$ref": "#/components/schemas/Pet"}}
    assert put["requestBody"] == {"required": True, "content": {"application/json": pet}}
    assert put["responses"]["200"] == {"description": "ok", "content": {"application/json": pet}}
    assert put["responses"]["404"] == {"description": "missing"}
    assert "parameters" not in put


def test_parameter_types_move_into_a_schema_and_csv_strings_become_form_arrays() -> None:
    limit = {"in": "query", "name": "limit", "type": "integer", "maximum": 500, "x-example": 5}
    status = {
        "in": "query",
        "name": "status",
        "type": "string",
        "format": "csv",
        "enum": ["all", "active"],
    }
    converted = to_openapi3(swagger(paths={"/pets": {"get": operation([limit, status])}}))
    first, second = converted["paths"]["/pets"]["get"]["parameters"]
    assert first == {
        "in": "query",
        "name": "limit",
        "x-example": 5,
        "schema": {"type": "integer", "maximum": 500},
    }
    assert second["schema"] == {
        "type": "array",
        "items": {"type": "string", "enum": ["all", "active"]},
    }
    assert (second["style"], second["explode"]) == ("form", False)


def test_form_data_becomes_an_object_request_body_of_the_operations_media_type() -> None:
    parameters: list[dict[str, Any]] = [
        {"in": "formData", "name": "file", "type": "file", "required": True},
        {"in": "formData", "name": "note", "type": "string"},
    ]
    multipart = operation(parameters, consumes=["multipart/form-data"])
    converted = to_openapi3(swagger(paths={"/files": {"post": multipart}}))
    body = converted["paths"]["/files"]["post"]["requestBody"]
    assert body["content"]["multipart/form-data"]["schema"] == {
        "type": "object",
        "properties": {"file": {"type": "string", "format": "binary"}, "note": {"type": "string"}},
        "required": ["file"],
    }


@pytest.mark.parametrize(
    ("document", "refused"),
    [
        ({"swagger": "3.0"}, "not a Swagger 2.0"),
        (
            swagger(paths={"/p": {"get": operation([{"$ref": "#/parameters/Limit"}])}}),
            "parameter reference",
        ),
        (
            swagger(
                paths={
                    "/p": {
                        "get": operation(
                            [
                                {
                                    "in": "query",
                                    "name": "ids",
                                    "type": "array",
                                    "collectionFormat": "multi",
                                }
                            ]
                        )
                    }
                }
            ),
            "collectionFormat",
        ),
        (
            swagger(
                paths={
                    "/p": {
                        "get": {
                            "responses": {
                                "200": {
                                    "description": "ok",
                                    "headers": {"X-Rate": {"type": "integer"}},
                                }
                            }
                        }
                    }
                }
            ),
            "headers",
        ),
        (swagger(parameters={"Limit": {}}), "top-level parameters"),
    ],
    ids=["version", "parameter-ref", "collection-format", "response-headers", "shared-parameters"],
)
def test_what_it_does_not_translate_is_refused_not_guessed(
    document: dict[str, Any], refused: str
) -> None:
    with pytest.raises(UnsupportedSwagger, match=refused):
        to_openapi3(document)


@pytest.mark.parametrize("name", CONSTANT_CONTACT_SPECS)
def test_constant_contacts_files_convert_to_valid_openapi3(name: str) -> None:
    source = load_spec(name)
    validate(to_openapi3(source))  # raises on an invalid document
    assert source["swagger"] == "2.0" and "definitions" in source  # the cached source is intact
