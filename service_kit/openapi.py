"""OpenAPI descriptions of bodies the routes read by hand (validation lives in the domain core)."""

from __future__ import annotations

from shop.order_request import MAX_LINES, MAX_QUANTITY

ORDER_REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["customer_id", "items", "payment_token"],
                    "additionalProperties": False,
                    "properties": {
                        "customer_id": {"type": "string", "maxLength": 64, "example": "alice"},
                        "payment_token": {
                            "type": "string",
                            "description": "tok_ok approves, tok_declined declines "
                            "(simulated card processor)",
                            "example": "tok_ok",
                        },
                        "items": {
                            "type": "array",
                            "minItems": 1,
                            "maxItems": MAX_LINES,
                            "items": {
                                "type": "object",
                                "required": ["sku", "quantity"],
                                "additionalProperties": False,
                                "properties": {
                                    "sku": {"type": "string", "example": "MUG-LOGO"},
                                    "quantity": {
                                        "type": "integer",
                                        "minimum": 1,
                                        "maximum": MAX_QUANTITY,
                                    },
                                },
                            },
                        },
                    },
                }
            }
        },
    },
    "parameters": [],
}
