"""Reading a JSON request body with the checks a person gets a clear answer from."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from service_kit.http_errors import BodyError

MAX_BODY_BYTES = 64 * 1024


async def read_json_body(request: Request) -> Any:
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        raise BodyError(
            415,
            f"send the body as JSON with Content-Type: application/json "
            f"(got {content_type or 'no Content-Type'!r})",
        )
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise BodyError(413, f"the body is {len(body)} bytes; at most {MAX_BODY_BYTES} allowed")
    if not body:
        raise BodyError(422, "the body is empty; send a JSON object")
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise BodyError(422, f"the body is not valid JSON: {error}") from None
