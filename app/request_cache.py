"""What stays the same for the whole of one request, kept for that request only."""
from flask import has_request_context, request


def per_request(name: str) -> dict | None:
    """A dict that lives as long as the current request, None outside one. (Not `g`: a test's app
    context, and with it `g`, may outlive many requests.)"""
    if not has_request_context():
        return None
    caches = request._get_current_object().__dict__.setdefault("_estate_caches", {})
    return caches.setdefault(name, {})
