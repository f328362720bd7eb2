"""The documents of a household's archive (ID copies, contracts, agreements), kept in GridFS.

They are read at full level only (documents/archive_access.py): listing their names is part of the
archive page, opening one is registered in the access register.
"""
from flask_babel import gettext, lazy_gettext as _l
from mongoengine import FileField, ReferenceField, StringField

from app import clock
from documents import audit
from documents.base import PermissionDenied
from documents.files import JPEG, MB, PDF, PNG, UploadedFile, UploadRule

KINDS = [("id_copy", _l("ID copy")), ("contract", _l("Purchase or lease contract")),
         ("agreement", _l("Property service agreement")), ("other", _l("Other document"))]
UPLOAD = UploadRule(types=frozenset({PDF, JPEG, PNG}), max_bytes=10 * MB, same_extension=True,
                    refused=_l("%(name)s is not accepted: only PDF, JPEG or PNG files can be attached."))


class HouseholdFile(UploadedFile):
    household = ReferenceField("Household", required=True, verbose_name=_l("Household"))
    kind = StringField(choices=KINDS, required=True, verbose_name=_l("Document"))
    file = FileField(collection_name="household_files")

    meta = {"collection": "household_files", "indexes": [("household", "uploaded_at"), "community"],
            "ordering": ["uploaded_at"]}

    @property
    def kind_label(self) -> str:
        return str(dict(KINDS).get(self.kind, self.kind))


def attach(household, user, kind: str, filename: str, data: bytes) -> HouseholdFile:
    """Store a checked document in the household's archive (edit right on archives needed)."""
    from app.permissions import can
    from documents.base import DomainError, sees_community
    if not can("residents", "edit", user) or not sees_community(user, household.community):
        raise PermissionDenied(gettext("Your role does not allow this step: %(step)s.", step=gettext("Attach")))
    if kind not in dict(KINDS):
        raise DomainError(gettext("Choose the kind of document."), field="kind")
    name, content_type = UPLOAD.check(filename, data)
    record = HouseholdFile(community=household.community, household=household, kind=kind, size=len(data),
                           uploaded_at=clock.now(), uploaded_by_name=user.username)
    record.keep(data, content_type, name)
    record.save()
    audit.record("attach", household, note=f"{record.kind_label}: {name}", actor=user)
    return record


def files_of(household) -> list:
    return list(HouseholdFile.objects(household=household).order_by("uploaded_at"))
