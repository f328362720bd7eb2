"""The embedded parts of a renovation file: contractor, workers, fees, inspections."""
import hashlib
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from mongoengine import (BooleanField, DateField, DateTimeField, EmbeddedDocument,
                         EmbeddedDocumentListField, ReferenceField, StringField)

from documents.money import MoneyField
from documents.renovations.common import INSPECTION_KINDS, validate_licence, validate_worker_id
from documents.validators import normalise_phone, validate_mobile


class Contractor(EmbeddedDocument):
    company = StringField(required=True, max_length=120, verbose_name=_l("Company"))
    licence_no = StringField(required=True, max_length=18, validation=validate_licence,
                             verbose_name=_l("Business licence no."))
    qualification = StringField(max_length=120, verbose_name=_l("Qualification"))
    site_manager = StringField(required=True, max_length=60, verbose_name=_l("Site manager"))
    phone = StringField(required=True, max_length=20, validation=validate_mobile,
                        verbose_name=_l("Phone"))

    def clean(self):
        self.licence_no = (self.licence_no or "").strip().upper()
        if self.phone:
            self.phone = normalise_phone(self.phone)


class Worker(EmbeddedDocument):
    name = StringField(required=True, max_length=60, verbose_name=_l("Name"))
    id_number = StringField(required=True, max_length=18, validation=validate_worker_id,
                            verbose_name=_l("ID number"))
    phone = StringField(max_length=20, validation=validate_mobile, verbose_name=_l("Phone"))
    trade = StringField(max_length=30, verbose_name=_l("Trade"))

    @property
    def key(self) -> str:
        """Follows the ID number, so passes stay linked to the worker when the list is edited."""
        return hashlib.sha1((self.id_number or "").strip().upper().encode()).hexdigest()[:12]

    def clean(self):
        self.id_number = (self.id_number or "").strip().upper()
        if self.phone:
            self.phone = normalise_phone(self.phone)


class OtherFee(EmbeddedDocument):
    item = StringField(required=True, max_length=60, verbose_name=_l("Item"))
    amount = MoneyField(required=True, verbose_name=_l("Amount"))


class InspectionItem(EmbeddedDocument):
    key = StringField(max_length=12)
    description = StringField(required=True, max_length=300, verbose_name=_l("Item"))
    deduction = MoneyField(default=Decimal("0.00"), verbose_name=_l("Deduction"))
    repaired_on = DateField(verbose_name=_l("Repaired on"))


class Inspection(EmbeddedDocument):
    key = StringField(max_length=12)
    kind = StringField(choices=INSPECTION_KINDS, required=True, verbose_name=_l("Inspection"))
    on = DateField(required=True, verbose_name=_l("Date"))
    at = DateTimeField(verbose_name=_l("Recorded at"))
    inspector = ReferenceField("Staff", verbose_name=_l("Inspector"))
    inspector_name = StringField(verbose_name=_l("Inspector"))
    passed = BooleanField(verbose_name=_l("Passed"))
    items = EmbeddedDocumentListField(InspectionItem, verbose_name=_l("Items"))
    notes = StringField(max_length=1000, verbose_name=_l("Notes"))
