"""A renovation file's documents and photos (GridFS) and the steps that attach and remove them."""
import hashlib

from flask_babel import gettext, lazy_gettext as _l
from mongoengine import FileField, ReferenceField, StringField

from app import clock
from documents.base import DomainError
from documents.files import JPEG, MB, PDF, PNG, UploadedFile, UploadRule

ATTACHMENT_KINDS = [
    ("licence", _l("Business licence copy")),
    ("qualification", _l("Qualification certificate")),
    ("drawings", _l("Drawings")),
    ("worker_ids", _l("Workers' ID copies")),
    ("agreement", _l("Signed renovation agreement")),
    ("photo", _l("Photo")),
    ("other", _l("Other document")),
]
#: what a file needs before it is submitted (and approved)
REQUIRED_DOCUMENTS = ("licence", "qualification", "worker_ids")
MAX_ATTACHMENT_BYTES = 10 * MB
#: a contractor's documents are kept for printing: the content decides, and the name must fit it
DOCUMENT_UPLOAD = UploadRule(
    types=frozenset({PDF, JPEG, PNG}), max_bytes=MAX_ATTACHMENT_BYTES, same_extension=True,
    refused=_l("%(name)s is not accepted: only PDF, JPEG or PNG files can be attached."))
PHOTO_UPLOAD = UploadRule(
    types=frozenset({JPEG, PNG}), max_bytes=MAX_ATTACHMENT_BYTES, same_extension=True,
    refused=_l("%(name)s is not accepted: photos must be JPEG or PNG images."))


def upload_rule(kind) -> UploadRule:
    return PHOTO_UPLOAD if kind == "photo" else DOCUMENT_UPLOAD


class RenovationAttachment(UploadedFile):
    """A contractor's document or a photo of a renovation file, kept in GridFS."""
    renovation = ReferenceField("Renovation", required=True, verbose_name=_l("Renovation file"))
    kind = StringField(choices=ATTACHMENT_KINDS, required=True, verbose_name=_l("Document"))
    sha256 = StringField()
    file = FileField(collection_name="renovation_files")
    patrol_key = StringField()

    meta = {"collection": "renovation_attachments",
            "indexes": [("renovation", "kind"), "community"], "ordering": ["uploaded_at"]}


class AttachmentSteps:
    """Mixed into Renovation: its files, and the steps `attach` and `remove_attachment`.

    The attachment is its own document; the step's audit entry travels with the file's version
    (the engine's one write). Should that write be refused (a colleague moved the file on at the
    same moment), the stored upload is discarded again, and a removal is put back.
    """

    def attachments(self):
        return RenovationAttachment.objects(renovation=self).order_by("uploaded_at")

    def missing_documents(self) -> list[str]:
        present = set(RenovationAttachment.objects(renovation=self).distinct("kind"))
        return [kind for kind in REQUIRED_DOCUMENTS if kind not in present]

    def attach(self, user, kind: str, filename: str, data: bytes, patrol_key: str | None = None):
        """Store a file in GridFS after checking its real type (by content) and size."""
        self.check("attach", user)
        labels = dict(ATTACHMENT_KINDS)
        if kind not in labels:
            raise DomainError(gettext("Choose what kind of document this is."), field="kind")
        name, content_type, stored = upload_rule(kind).accept(filename, data)
        attachment = RenovationAttachment(   # sha256 of the bytes received: a resent photo is recognised
            community=self.community, renovation=self, kind=kind, size=len(stored),
            sha256=hashlib.sha256(data).hexdigest(), patrol_key=patrol_key,
            uploaded_at=clock.now(), uploaded_by=user, uploaded_by_name=user.display_name)
        attachment.keep(stored, content_type, name)
        attachment.save()
        try:
            self.transition("attach", user, note=f"{labels[kind]}: {name}", checked=False)
        except DomainError:
            attachment.discard()
            raise
        return attachment

    def remove_attachment(self, user, attachment):
        self.check("remove_attachment", user)
        if attachment is None or attachment.renovation.pk != self.pk:
            raise DomainError(gettext("No such file in this renovation file."))
        if attachment.patrol_key:
            raise DomainError(gettext("Patrol photos are evidence and cannot be removed."))
        if not RenovationAttachment.objects(pk=attachment.pk).delete():
            return  # a colleague removed it a moment ago
        try:
            self.transition("remove_attachment", user, checked=False,
                            note=f"{dict(ATTACHMENT_KINDS).get(attachment.kind)}: {attachment.filename}")
        except DomainError:
            attachment.save(force_insert=True)
            raise
        attachment.file.delete()

    def delete_attachments(self):
        for attachment in RenovationAttachment.objects(renovation=self):
            attachment.discard()
