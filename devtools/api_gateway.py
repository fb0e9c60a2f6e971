"""API Gateway's side of the local API: matching a request to a template route, the REST API
(v1) proxy event it sends the function, and reading the function's proxy response.

`devtools/local_api.py` serves HTTP with these; kept apart so that the event shape can be read
(and changed) without the server around it.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from devtools.template import Route

DEV_PRINCIPAL = "local-developer"
STAGE = "local"


@dataclass(frozen=True)
class CompiledRoute:
    route: Route
    pattern: re.Pattern[str]
    specificity: tuple[int, int]


def compile_routes(routes: list[Route]) -> list[CompiledRoute]:
    """Regexes for API Gateway path templates; literal segments win over `{param}` ones."""
    compiled = []
    for route in routes:
        parts = []
        literals = 0
        for segment in route.path.strip("/").split("/"):
            if not segment:
                continue
            greedy = re.fullmatch(r"\{(\w+)\+\}", segment)
            param = re.fullmatch(r"\{(\w+)\}", segment)
            if greedy:
                parts.append(f"(?P<{greedy.group(1)}>.+)")
            elif param:
                parts.append(f"(?P<{param.group(1)}>[^/]+)")
            else:
                literals += 1
                parts.append(re.escape(segment))
        pattern = re.compile("^/" + "/".join(parts) + "$")
        compiled.append(CompiledRoute(route, pattern, (literals, len(parts))))
    return sorted(compiled, key=lambda item: item.specificity, reverse=True)


def match(
    compiled: list[CompiledRoute], method: str, path: str
) -> tuple[Route | None, dict[str, str], list[str]]:
    """(route, path parameters, methods allowed on that path)."""
    path = "/" + path.strip("/")
    allowed: list[str] = []
    for item in compiled:
        found = item.pattern.match(path)
        if not found:
            continue
        if item.route.method in (method, "ANY"):
            # REST APIs pass the path and its parameters percent-encoded, as the client sent them
            # (query string parameters arrive decoded).
            return item.route, dict(found.groupdict()), allowed
        allowed.append(item.route.method)
    return None, {}, allowed


def error_body(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message, "details": None}}).encode()


def build_event(
    route: Route,
    path_parameters: dict[str, str],
    method: str,
    raw_path: str,
    query: str,
    header_items: list[tuple[str, str]],
    body: bytes,
    source_ip: str,
    authorizer: dict[str, Any],
) -> dict[str, Any]:
    """The API Gateway REST API (v1) proxy integration event for one request; `authorizer` is
    what the authorizer answered (its context and principalId)."""
    headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in header_items:
        headers[name] = value  # API Gateway keeps the last value in `headers`
        multi_headers.setdefault(name, []).append(value)
    pairs = parse_qsl(query, keep_blank_values=True)
    params: dict[str, str] = {}
    multi_params: dict[str, list[str]] = {}
    for name, value in pairs:
        params[name] = value
        multi_params.setdefault(name, []).append(value)
    text: str | None = None
    is_base64 = False
    if body:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text = base64.b64encode(body).decode("ascii")
            is_base64 = True
    now = datetime.now(UTC)
    request_id = str(uuid.uuid4())
    user_agent = next((v for k, v in header_items if k.lower() == "user-agent"), None)
    host = next((v for k, v in header_items if k.lower() == "host"), "127.0.0.1")
    return {
        "resource": route.path,
        "path": raw_path,
        "httpMethod": method,
        "headers": headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": params or None,
        "multiValueQueryStringParameters": multi_params or None,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": "local",
            "resourcePath": route.path,
            "httpMethod": method,
            "extendedRequestId": request_id,
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "path": f"/{STAGE}{raw_path}",
            "accountId": "000000000000",
            "protocol": "HTTP/1.1",
            "stage": STAGE,
            "domainPrefix": "local",
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "requestId": request_id,
            "identity": {
                "cognitoIdentityPoolId": None,
                "accountId": None,
                "cognitoIdentityId": None,
                "caller": None,
                "sourceIp": source_ip,
                "principalOrgId": None,
                "accessKey": None,
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
                "userArn": None,
                "userAgent": user_agent,
                "user": None,
            },
            "domainName": host,
            "apiId": "local",
            "authorizer": {**authorizer, "integrationLatency": 0},
        },
        "body": text,
        "isBase64Encoded": is_base64,
    }


def dev_authorizer(tenant: str) -> dict[str, Any]:
    """What `make run` puts in the authorizer's place by default: the tenant it was given."""
    return {"tenant_id": tenant, "principalId": DEV_PRINCIPAL}


def token_event(authorization: str, method: str, raw_path: str) -> dict[str, Any]:
    """What API Gateway asks a TOKEN authorizer about one request."""
    return {
        "type": "TOKEN",
        "authorizationToken": authorization,
        "methodArn": f"arn:aws:execute-api:us-east-1:000000000000:local/{STAGE}/{method}{raw_path}",
    }


def authorizer_context(answer: Any) -> dict[str, Any] | None:
    """The context an authorizer's answer gives the function (with its principalId), or None
    when the answer does not allow the request."""
    if not isinstance(answer, dict):
        return None
    statements = (answer.get("policyDocument") or {}).get("Statement") or []
    if not statements or any(item.get("Effect") != "Allow" for item in statements):
        return None
    return {**(answer.get("context") or {}), "principalId": answer.get("principalId")}


def response_parts(result: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body of a Lambda proxy response, as API Gateway reads it."""
    if not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
        raise ValueError(f"malformed Lambda proxy response: {result!r:.200}")
    headers: list[tuple[str, str]] = []
    multi = result.get("multiValueHeaders") or {}
    for name, values in multi.items():
        headers.extend((name, str(value)) for value in values)
    for name, value in (result.get("headers") or {}).items():
        if name not in multi:
            headers.append((name, str(value)))
    raw = result.get("body")
    body = b""
    if raw is not None:
        body = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode()
    return result["statusCode"], headers, body
