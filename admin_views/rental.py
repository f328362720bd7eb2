"""Rental agency desk (代租): listings, prospects and their steps, receipts, tenants' complaints.

The rules are in documents/rental.py; these pages turn forms into its arguments. What a prospect
sees of a listing (its page to show them and its print) comes only from `Listing.prospect_facts()`:
never the owner's name or contact.
"""
from flask import abort, request
from flask_admin import expose
from flask_admin.contrib.mongoengine.filters import FilterEqual
from bson import ObjectId
from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from flask_wtf.file import FileField
from markupsafe import Markup
from flask_login import current_user
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from admin_views.base import CommunityFormMixin, EstateModelView, household_loader, scoped_or_404
from admin_views.datetimes import TypedDateField
from admin_views.files import send_stored_file
from admin_views.filters import CommunityFilter
from admin_views.steps import StepForm, StepPageMixin, state_badge
from app import clock
from app.permissions import can
from documents.deadlines import local_text
from documents.bilingual import current_language, is_english
from documents.money import money_text, rmb_upper
from documents.rental import (AREA, COMPLAINT_STATES, FURNISHING, LEASE_FEE_SHARE, LISTING_STATES, PROSPECT_STATES,
                              RECEIPT_KINDS, VIEWING_DEPOSIT, VIEWING_REFUND, VIEWING_SERVICE_FEE, Listing, Prospect,
                              RentalFile, RentalReceipt, TenantComplaint, label_of, lease_fee_for, matching_listings)
from documents.residents import ID_TYPES

PRINT_LANGUAGES = {"zh": "zh_Hans_CN", "en": "en"}
LISTING_COLOURS = {"available": "success", "let": "primary", "withdrawn": "secondary"}
PROSPECT_COLOURS = {"new": "warning", "deposit_paid": "info", "no_deal": "secondary", "signed": "success"}
COMPLAINT_COLOURS = {"open": "danger", "solved": "success", "reported": "warning"}
HIDDEN = "***"


def _owner(view, context, model, name):
    """The owner's name and phone only for the roles that deal with owners (customer service)."""
    return getattr(model, name) if can(AREA, "view_owner") else HIDDEN


def _money(view, context, model, name):
    value = getattr(model, name)
    return money_text(value) if value is not None else ""


def print_language():
    chosen = request.args.get("lang") or ("en" if is_english(current_language()) else "zh")
    if chosen not in PRINT_LANGUAGES:
        abort(404)
    return chosen


# --- step forms ---

class DepositForm(StepForm):
    amount = StringField(_l("Amount received (yuan)"), validators=[Optional(), Length(max=20)])

    def for_record(self, record, user):
        self.amount.description = _("The viewing deposit is %(amount)s yuan, paid before the viewing.",
                                    amount=money_text(VIEWING_DEPOSIT))


class ChooseForm(StepForm):
    listing = HiddenField(validators=[DataRequired()])

    def arguments(self, record):
        raw = self.listing.data or ""
        return {"listing": Listing.objects(pk=raw).first() if ObjectId.is_valid(raw) else None}

    def done_message(self, record, outcome):
        return _("%(room)s chosen for the viewing: the prospect pays the viewing deposit at the cashier next.",
                 room=record.listing.room_code)


class NoDealForm(StepForm):
    note = TextAreaField(_l("Why no deal"), validators=[Optional(), Length(max=500)])


class SignForm(StepForm):
    agreed_rent = StringField(_l("Agreed monthly rent"), validators=[Optional(), Length(max=20)])
    lease_fee = StringField(_l("Lease service fee"), validators=[Optional(), Length(max=20)])
    lease_start = TypedDateField(_l("Lease start"), validators=[Optional()])
    lease_end = TypedDateField(_l("Lease end"), validators=[Optional()])
    id_type = SelectField(_l("ID type"), choices=ID_TYPES, default="id_card")
    id_number = StringField(_l("ID number"), validators=[Optional(), Length(max=30)])
    lease_copy = FileField(_l("Lease copy (PDF, JPEG or PNG)"))
    id_copy = FileField(_l("Tenant's ID copy (PDF, JPEG or PNG)"))

    def for_record(self, record, user):
        self.lease_fee.description = _("%(share)s %% of one month's agreed rent, paid at the cashier.",
                                       share=int(LEASE_FEE_SHARE * 100))

    def prefill(self, record, user):
        if record.listing is not None:
            self.agreed_rent.data = money_text(record.listing.rent_wanted).replace(",", "")
            self.lease_fee.data = money_text(lease_fee_for(record.listing.rent_wanted)).replace(",", "")
        super().prefill(record, user)

    def arguments(self, record) -> dict:
        def upload(field):
            data = field.data
            return (data.filename, data.read(10 * 1024 * 1024 + 1)) if data and getattr(data, "filename", "") else None
        return {"agreed_rent": self.agreed_rent.data, "lease_fee": self.lease_fee.data,
                "lease_start": self.lease_start.data, "lease_end": self.lease_end.data,
                "id_type": self.id_type.data, "id_number": self.id_number.data,
                "lease_copy": upload(self.lease_copy), "id_copy": upload(self.id_copy)}


class CheckForm(StepForm):
    findings = TextAreaField(_l("Findings"), validators=[Optional(), Length(max=500)],
                             description=_l("Common parts occupied, illegal building, litter: stop it and ask for "
                                            "it to be put right"))


class OutcomeForm(StepForm):
    outcome = TextAreaField(_l("Outcome"), validators=[Optional(), Length(max=1000)])


# --- listings ---

class ListingView(StepPageMixin, CommunityFormMixin, EstateModelView):
    area = AREA
    step_forms = {"log_check": CheckForm}
    details_template = "rental/listing_details.html"
    column_list = ["state", "room_code", "bedrooms", "furnishing", "rent_wanted", "owner_name", "tenant_name",
                   "next_check_due"]
    column_details_list = ["community", "room_code", "bedrooms", "area_m2", "furnishing", "furniture",
                           "rent_wanted", "owner_terms", "owner_name", "owner_phone", "state", "tenant_name",
                           "lease_start", "lease_end", "next_check_due", "checks"]
    column_export_list = ["community", "room_code", "bedrooms", "area_m2", "furnishing", "rent_wanted",
                          "owner_terms", "owner_name", "owner_phone", "state", "tenant_name", "lease_start",
                          "lease_end"]
    column_sortable_list = [("room_code", "room_code"), "bedrooms", "state"]
    column_searchable_list = ["room_code", "tenant_name"]
    search_hint = _l("Room or tenant")
    form_columns = ["household", "bedrooms", "area_m2", "furnishing", "furniture", "rent_wanted", "owner_terms",
                    "owner_name", "owner_phone"]
    form_ajax_refs = {"household": household_loader(_l("Room, e.g. 1-1-201"))}
    form_args = {"owner_name": {"description": _l("Empty: the archive's first owner (and their phone)"),
                                "validators": [Optional(), Length(max=60)]},
                 "owner_phone": {"validators": [Optional(), Length(max=20)]}}
    column_formatters = {
        "state": lambda v, c, m, n: state_badge(m, LISTING_COLOURS), "owner_name": _owner, "owner_phone": _owner,
        "rent_wanted": _money,
        "checks": lambda v, c, m, n: Markup("<br>").join(
            f"{local_text(ch.checked_at, m.community)} · {ch.checked_by or ''} · {ch.findings or ''}" for ch in m.checks),
    }
    column_formatters_export = {"owner_name": _owner, "owner_phone": _owner, "rent_wanted": _money,
                                "state": lambda v, c, m, n: m.state_label,
                                "furnishing": lambda v, c, m, n: dict(FURNISHING).get(m.furnishing, "")}
    can_delete = False

    def __init__(self, *args, **kwargs):
        self.column_filters = [CommunityFilter(), FilterEqual("state", _l("State"), options=LISTING_STATES),
                               FilterEqual("furnishing", _l("Furnishing"), options=FURNISHING),
                               FilterEqual("building_no", _l("Building no."))]
        super().__init__(*args, **kwargs)

    def on_model_change(self, form, model, is_created):
        if model.household is not None:
            model.community = model.household.community

    def shown_change(self, path: str) -> bool:
        """The owner's name and phone stay out of the history of those who may not see them."""
        if path.split(".")[0] in ("owner_name", "owner_phone") and not can(AREA, "view_owner"):
            return False
        return super().shown_change(path)

    def step_summary(self, record) -> list:
        return [(_("Room"), record.room_code), (_("Tenant"), record.tenant_name or ""),
                (_("State"), record.state_label)]

    def details_extra(self, model):
        extra = super().details_extra(model)
        extra["prospect_print"] = {lang: self.get_url(".prospect_view", id=str(model.pk), lang=lang)
                                   for lang in PRINT_LANGUAGES}
        return extra

    @expose("/for-prospect/")
    def prospect_view(self):
        """The listing as a prospect may see and take it (page and print): no owner data."""
        listing = scoped_or_404(Listing, request.args.get("id"))
        chosen = print_language()
        with force_locale(PRINT_LANGUAGES[chosen]):
            return self.render("rental/listing_print.html", listing=listing, facts=listing.prospect_facts(),
                               deposit=money_text(VIEWING_DEPOSIT), refund=money_text(VIEWING_REFUND),
                               fee=money_text(VIEWING_SERVICE_FEE), share=int(LEASE_FEE_SHARE * 100),
                               lang=chosen, community=listing.community, printed_at=clock.now())


# --- prospects ---

class ProspectView(StepPageMixin, CommunityFormMixin, EstateModelView):
    area = AREA
    step_forms = {"take_deposit": DepositForm, "no_deal": NoDealForm, "sign": SignForm}
    row_step_forms = {"choose": ChooseForm}
    details_template = "rental/prospect_details.html"
    column_list = ["state", "name", "bedrooms", "furnishing", "rent_min", "rent_max", "listing", "created_at"]
    column_details_list = ["community", "name", "phone", "bedrooms", "furnishing", "rent_min", "rent_max", "needs",
                           "listing", "state", "deposit_receipt", "refund_receipt", "viewing_fee_receipt",
                           "viewing_note", "agreed_rent", "lease_fee", "lease_fee_receipt", "lease_start",
                           "lease_end", "signed_at"]
    column_export_list = ["community", "name", "phone", "bedrooms", "furnishing", "rent_min", "rent_max", "needs",
                          "listing", "state", "deposit_receipt", "agreed_rent", "lease_fee", "lease_start",
                          "lease_end"]
    column_sortable_list = ["state", "created_at"]
    column_default_sort = ("created_at", True)
    column_searchable_list = ["name"]
    search_hint = _l("Prospect")
    form_columns = ["community", "name", "phone", "bedrooms", "furnishing", "rent_min", "rent_max", "needs",
                    "listing"]
    column_formatters = {"state": lambda v, c, m, n: state_badge(m, PROSPECT_COLOURS), "rent_min": _money,
                         "rent_max": _money, "agreed_rent": _money, "lease_fee": _money}
    column_formatters_export = {"state": lambda v, c, m, n: m.state_label, "rent_min": _money,
                                "rent_max": _money, "agreed_rent": _money, "lease_fee": _money,
                                "listing": lambda v, c, m, n: str(m.listing or ""),
                                "furnishing": lambda v, c, m, n: dict(FURNISHING).get(m.furnishing, "")}
    can_delete = False

    def __init__(self, *args, **kwargs):
        self.column_filters = [CommunityFilter(), FilterEqual("state", _l("State"), options=PROSPECT_STATES)]
        super().__init__(*args, **kwargs)

    def step_summary(self, record) -> list:
        rows = [(_("Prospect"), record.name), (_("State"), record.state_label)]
        if record.listing is not None:
            rows += [(label, value) for label, value in record.listing.prospect_facts()]
        return rows

    def details_extra(self, model):
        extra = super().details_extra(model)
        extra["matches"] = [(listing, self.get_url("rental_listings.prospect_view", id=str(listing.pk)),
                             label_of(FURNISHING, listing.furnishing), money_text(listing.rent_wanted))
                            for listing in matching_listings(model)] if model.state == "new" else []
        extra["can_choose"] = model.offers("choose", current_user)
        extra["files"] = [(f, self.get_url(".file_view", file_id=str(f.pk))) for f in model.files()]
        extra["receipts"] = [(receipt, self.get_url("rental_receipts.print_view", id=str(receipt.pk)))
                             for receipt in model.receipts()]
        return extra


    @expose("/file/<file_id>/")
    def file_view(self, file_id):
        """A filed lease or ID copy, only for a record of the user's communities."""
        record = scoped_or_404(RentalFile, file_id)
        return send_stored_file(record, as_attachment=bool(request.args.get("download")))


# --- receipts ---

class ReceiptView(EstateModelView):
    area = AREA
    column_list = ["receipt_no", "taken_at", "kind", "amount", "payer", "room_code", "taken_by"]
    column_export_list = column_list
    column_details_list = ["community"] + column_list
    column_default_sort = ("taken_at", True)
    column_sortable_list = ["taken_at", "receipt_no"]
    column_searchable_list = ["receipt_no", "payer"]
    search_hint = _l("Receipt no. or name")
    column_formatters = {"amount": _money, "receipt_no": lambda v, c, m, n: Markup('<a href="{}">{}</a>').format(
        v.get_url(".print_view", id=str(m.pk)), m.receipt_no)}
    column_formatters_export = {"amount": _money, "kind": lambda v, c, m, n: m.kind_label}

    def __init__(self, *args, **kwargs):
        self.column_filters = [CommunityFilter(), FilterEqual("kind", _l("Receipt for"), options=RECEIPT_KINDS)]
        super().__init__(*args, **kwargs)

    can_create = can_edit = can_delete = False     # receipts are made by the steps that take money

    @expose("/print/")
    def print_view(self):
        receipt = scoped_or_404(RentalReceipt, request.args.get("id"))
        chosen = print_language()
        with force_locale(PRINT_LANGUAGES[chosen]):
            return self.render("rental/receipt_print.html", receipt=receipt, lang=chosen,
                               amount=money_text(receipt.amount), upper=rmb_upper(receipt.amount),
                               local_time=local_text(receipt.taken_at, receipt.community),
                               community=receipt.community, printed_at=clock.now())


# --- tenants' complaints ---

class ComplaintView(StepPageMixin, CommunityFormMixin, EstateModelView):
    area = AREA
    step_forms = {"solve": OutcomeForm, "report": OutcomeForm}
    column_list = ["state", "room_code", "received_at", "report_due_at", "content"]
    column_details_list = ["community", "room_code", "content", "received_at", "report_due_at", "state", "outcome",
                           "closed_at"]
    column_export_list = column_details_list
    column_default_sort = ("received_at", True)
    column_sortable_list = ["received_at", "state"]
    form_columns = ["listing", "content"]
    column_formatters = {"state": lambda v, c, m, n: state_badge(m, COMPLAINT_COLOURS)}
    column_formatters_export = {"state": lambda v, c, m, n: m.state_label}

    def __init__(self, *args, **kwargs):
        self.column_filters = [CommunityFilter(), FilterEqual("state", _l("State"), options=COMPLAINT_STATES)]
        super().__init__(*args, **kwargs)

    can_edit = can_delete = False

    def on_model_change(self, form, model, is_created):
        if model.listing is not None:
            model.community = model.listing.community

    def step_summary(self, record) -> list:
        return [(_("Room"), record.room_code), (_("Complaint"), record.content),
                (_("State"), record.state_label)]


def register(admin):
    category = _l("Rental agency")
    admin.add_view(ListingView(Listing, name=_l("Listings"), category=category, endpoint="rental_listings"))
    admin.add_view(ProspectView(Prospect, name=_l("Prospects"), category=category, endpoint="rental_prospects"))
    admin.add_view(ReceiptView(RentalReceipt, name=_l("Agency receipts"), category=category,
                               endpoint="rental_receipts"))
    admin.add_view(ComplaintView(TenantComplaint, name=_l("Tenants' complaints"), category=category,
                                 endpoint="rental_complaints"))
