"""Payment: charges the card when stock is reserved; retries technical failures of the
card processor with back-off, under one idempotency key, before giving up."""
