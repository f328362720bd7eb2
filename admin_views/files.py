"""Files in GridFS as the areas' views receive and serve them.

A stored file is sent only for a record the route loaded with `scoped_or_404` (another community's
id gives 404), never through Flask-Admin's api_file_view, which takes the database and collection
from the URL. Responses are private and sandboxed, so an uploaded file cannot run script in the
portal's origin.
"""
import io

from flask import abort, send_file

from documents.files import read_stored

SANDBOX = "sandbox; default-src 'none'; img-src 'self'"


def read_upload(upload, rule) -> bytes:
    """An uploaded file's bytes, at most one byte over the rule's limit (enough to refuse it)."""
    if upload is None:
        return b""
    return upload.read(rule.max_bytes + 1)


def send_stored_file(record, field: str = "file", *, mimetype: str | None = None,
                     download_name: str | None = None, as_attachment: bool = False,
                     max_age: int | None = None):
    """Send the GridFS file in `record.<field>` (404 if none is stored).

    `max_age`: seconds the browser may keep it (for thumbnails on list pages); None: not kept.
    """
    data = read_stored(getattr(record, field, None))
    if not data:
        abort(404)
    response = send_file(io.BytesIO(data), mimetype=mimetype or record.content_type,
                         as_attachment=as_attachment,
                         download_name=download_name or getattr(record, "filename", None) or str(record.pk))
    response.headers["Content-Security-Policy"] = SANDBOX
    response.headers["Cache-Control"] = f"private, max-age={max_age}" if max_age else "private, no-store"
    return response
