"""Repair work orders: register, dispatch, arrival, review, completion, sign-off; photos; print."""
import base64
import binascii
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.mongoengine.filters import FilterEqual
from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from wtforms import (DecimalField, FieldList, FormField, HiddenField, MultipleFileField, SelectField,
                     StringField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, StopValidation, ValidationError

from admin_views.base import choice_label, html_table, masked_phone, scoped_or_404, user_communities
from admin_views.datetimes import TypedDateTimeField, parse_date
from admin_views.files import read_upload, send_stored_file
from admin_views.filters import CommunityFilter, LocalDateBetweenFilter, TrueFilter
from admin_views.services import (SATISFACTION, Above, AtLeast, CloseForm, DueFilter, LocalTimeStepForm,
                                  DETAIL_FORMATTERS, LIST_FORMATTERS, Needed, ServiceRequestView, mobile_phone,
                                  room_loader, without_badges)
from admin_views.steps import StepForm
from app import clock
from app.i18n import TranslatedForm
from app.permissions import can
from documents.base import DomainError
from documents.deadlines import local_text, to_local, zone_of
from documents.repairs import (CATEGORIES, LOCATIONS, PHOTO_UPLOAD, SATISFACTION_NEEDED, SIGNATURE_NEEDED,
                               SOURCES, STATES, URGENCIES, RainDay, Repair, RepairPhoto, RepairSignature,
                               add_photo)

AREA = "repairs"


# --- step forms ---

class DispatchForm(LocalTimeStepForm):
    technician = StringField(_l("Technician"), validators=[DataRequired(), Length(max=60)])
    technician_phone = StringField(_l("Technician phone"), validators=[Optional(), Length(max=20), mobile_phone])
    appointment_at = TypedDateTimeField(_l("Appointment"), validators=[InputRequired()])

    def prefill(self, record, user):
        """The appointment agreed at registration, in the community's local time."""
        if record.appointment_at and self.appointment_at.data is None:
            self.appointment_at.data = to_local(record.appointment_at, zone_of(record.community)) \
                .replace(tzinfo=None)
        super().prefill(record, user)


class TimeForm(LocalTimeStepForm):
    at = TypedDateTimeField(_l("Time"), validators=[InputRequired()])


class ReviewForm(StepForm):
    note = TextAreaField(_l("What needs a technical review"), validators=[DataRequired(), Length(max=500)])


def typed(field) -> bool:
    """Did the person type anything into the field (even something that is not a number)?"""
    return bool(field.raw_data and str(field.raw_data[0]).strip())


class LineNeeds:
    """A material line with anything typed in needs this field; an empty line is skipped."""

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        if form.is_blank() or not typed(field):
            field.errors[:] = []          # an empty number is not "not a valid decimal"
            raise StopValidation(str(self.message) if not form.is_blank() else "")


class MaterialForm(TranslatedForm):
    """One line of materials: a line with any value needs a name, a quantity above 0 and a unit
    price of at least 0 (the same rule as documents.repairs.material_line)."""
    name = StringField(_l("Material"), validators=[LineNeeds(_l("Enter the name of the material.")),
                                                   Length(max=60)])
    spec = StringField(_l("Specification"), validators=[Optional(), Length(max=60)])
    model = StringField(_l("Model"), validators=[Optional(), Length(max=60)])
    quantity = DecimalField(_l("Quantity"), places=None,
                            validators=[LineNeeds(_l("Enter the quantity.")), Above(0)])
    unit_price = DecimalField(_l("Unit price"), places=2,
                              validators=[LineNeeds(_l("Enter the unit price.")), AtLeast(0)])

    def is_blank(self):
        return not any(typed(field) for field in self)


class CompleteForm(StepForm):
    work_done = TextAreaField(_l("Work done"), validators=[DataRequired(), Length(max=1000)])
    materials = FieldList(FormField(MaterialForm), min_entries=5, max_entries=30, label=_l("Materials"))
    labour = DecimalField(_l("Labour"), places=2, validators=[Optional(), AtLeast(0)])

    def validate_materials(self, field):
        """Each line's problems once more above the table, with the line's number (on a phone the
        marked field may be out of sight)."""
        for number, entry in enumerate(field.entries, start=1):
            for name, messages in entry.form.errors.items():
                for message in messages:
                    field.errors.append(_("Line %(n)d, %(field)s: %(message)s", n=number,
                                          field=entry.form[name].label.text, message=message))

    def arguments(self, record) -> dict:
        return {"work_done": self.work_done.data, "materials": material_lines(self),
                "labour": self.labour.data}


PNG_DATA_URL = "data:image/png;base64,"


def signature_bytes(data_url: str) -> bytes:
    """The PNG a signature pad posts as a data URL (b"" when nothing was drawn; anything that is
    not a PNG comes back as bytes the upload rule refuses)."""
    text = (data_url or "").strip()
    if not text:
        return b""
    if not text.startswith(PNG_DATA_URL):
        return b"-"
    try:
        return base64.b64decode(text[len(PNG_DATA_URL):], validate=True)
    except (binascii.Error, ValueError):
        return b"-"


class SignOffForm(StepForm):
    """The resident signs on the screen (the pad above the form) or has signed the paper order, and
    rates; a public-area repair is confirmed and rated by its building's housekeeper."""
    intro_template = "services/_signature.html"
    signature = HiddenField()
    paper_order_no = StringField(_l("Signed on paper work order no."), validators=[Length(max=30)],
                                 description=_l("Only when the resident signed the paper work order instead"))
    signed_by = StringField(_l("Resident who signs"), validators=[Optional(), Length(max=60)],
                            description=_l("Only when it is not the resident named on the order"))
    satisfaction = SelectField(_l("Satisfaction"), choices=SATISFACTION, validators=[Needed(SATISFACTION_NEEDED)])
    comment = TextAreaField(_l("Resident's comment"), validators=[Optional(), Length(max=500)])

    def for_record(self, record, user):
        if record.location == "public":       # the housekeeper confirms: nobody signs for anyone
            for name in ("signature", "paper_order_no", "signed_by"):
                del self[name]

    def validate_paper_order_no(self, field):
        if not (self.signature.data or "").strip() and not (field.data or "").strip():
            raise ValidationError(str(SIGNATURE_NEEDED))

    def arguments(self, record) -> dict:
        values = {"satisfaction": self.satisfaction.data, "comment": self.comment.data}
        if "paper_order_no" in self._fields:
            values.update(signature=signature_bytes(self.signature.data),
                          paper_order_no=self.paper_order_no.data, signed_by=self.signed_by.data)
        return values


class CancelForm(StepForm):
    reason = TextAreaField(_l("Reason for cancelling"), validators=[DataRequired(), Length(max=300)])


def material_lines(form):
    """The lines typed in (validated by MaterialForm), empty lines left out."""
    lines = []
    for entry in form.materials.entries:
        sub = entry.form
        if sub.is_blank():
            continue
        lines.append({"name": (sub.name.data or "").strip(), "spec": (sub.spec.data or "").strip() or None,
                      "model": (sub.model.data or "").strip() or None, "quantity": sub.quantity.data,
                      "unit_price": sub.unit_price.data})
    return lines


def _location(m):
    return m.area_text


def _signature(view, m):
    if m.signature is None:
        return _("On paper work order no. %(no)s", no=m.paper_order_no) if m.paper_order_no else ""
    url = view.get_url(".signature_view", id=str(m.pk))
    return Markup('<img src="{}" alt="{}" class="repair-signature border" style="max-height:120px">').format(
        url, str(m.signature))


def _materials_table(m):
    return html_table([_("Material"), _("Specification"), _("Model"), _("Quantity"), _("Unit price"),
                       _("Amount")],
                      [[x.name, x.spec or "", x.model or "", x.quantity, x.unit_price, x.line_total]
                       for x in m.materials])


class RepairView(ServiceRequestView):
    area = AREA
    visit_target = "repair"
    number_prefixes = ("BX",)
    list_references = ("community", "public_building")   # what a row reads (not the household)
    list_template = "services/repair_list.html"
    step_forms = {"dispatch": DispatchForm, "arrive": TimeForm, "start_review": ReviewForm,
                  "back_on_site": TimeForm, "complete": CompleteForm, "sign_off": SignOffForm,
                  "close": CloseForm, "cancel": CancelForm}
    local_time_fields = ("appointment_at",)

    column_list = ["number", "reported_at", "location", "resident_name", "category", "urgency", "state",
                   "technician", "appointment_at", "due_at"]
    column_details_list = [
        "number", "community", "state", "source", "location", "resident_name", "resident_phone",
        "category", "urgency", "description", "charge_note", "reported_at", "registered_by",
        "appointment_at", "technician", "technician_phone", "dispatched_at", "arrived_at", "arrival_late",
        "review_note", "review_started_at", "back_on_site_at", "review_late", "work_done", "materials",
        "labour", "total", "completed_at", "signed_by", "signature", "satisfaction", "sign_comment", "signed_at",
        "visit_due_at", "visited_at", "visit_satisfaction", "closed_at", "close_reason", "close_note",
        "cancel_reason", "origin_visit"]
    column_export_list = [
        "number", "community", "reported_at", "source", "location", "resident_name", "category", "urgency",
        "state", "description", "technician", "appointment_at", "arrived_at", "arrival_late",
        "completed_at", "materials_total", "labour", "total", "satisfaction", "visit_due_at", "visited_at",
        "closed_at"]
    column_sortable_list = ["number", "reported_at", "appointment_at", "due_at", "state", "urgency"]
    column_default_sort = ("reported_at", True)
    column_searchable_list = ["number", "resident_name", "room_code"]
    form_columns = ["community", "source", "location", "room", "public_building", "public_place", "resident_name",
                    "resident_phone", "category", "urgency", "description", "charge_note", "appointment_at", "photos"]
    form_extra_fields = {"photos": MultipleFileField(_l("Photos"), description=_l(
        "JPEG, PNG, GIF or WebP, at most 5 MB each"))}
    form_args = {
        "appointment_at": {"description": _l("Local time of the community, e.g. 2026-03-11 14:30"),
                           "format": ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]},
        "public_building": {"description": _l("Only for a public area: its building (its housekeeper confirms "
                                              "the work)")},
        "public_place": {"description": _l("Only for a public area: the place in the building")},
        "resident_name": {"description": _l("Filled in from the archive when left empty")},
        "charge_note": {"description": _l("What the resident was told it will cost (paid at the office)")},
    }
    form_overrides = {"description": TextAreaField}
    form_widget_args = {"description": {"rows": 3}}
    column_labels = {"location": _l("Room / area")}   # the others are the fields' own names

    def __init__(self, *args, **kwargs):
        self.form_ajax_refs = {"room": room_loader()}
        self.column_filters = [
            CommunityFilter(),
            FilterEqual("building_no", _l("Building no.")),
            FilterEqual("state", _l("State"), options=STATES),
            FilterEqual("urgency", _l("Urgency"), options=URGENCIES),
            FilterEqual("category", _l("Category"), options=CATEGORIES),
            FilterEqual("location", _l("Location"), options=LOCATIONS),
            FilterEqual("source", _l("Source"), options=SOURCES),
            DueFilter(),
            TrueFilter("arrival_late", _l("Late arrival")),
            FilterEqual("technician", _l("Technician")),
            LocalDateBetweenFilter("reported_at", _l("Reported on")),
            LocalDateBetweenFilter("completed_at", _l("Completed on")),
        ]
        super().__init__(*args, **kwargs)

    # times are shown in the community's zone and choices by their labels by default (EstateModelView)
    column_formatters = LIST_FORMATTERS | {
        "location": lambda v, c, m, n: _location(m),
    }
    column_formatters_detail = column_formatters | DETAIL_FORMATTERS | {
        "location": lambda v, c, m, n: f"{choice_label(LOCATIONS, m.location)}: {_location(m)}",
        "materials": lambda v, c, m, n: _materials_table(m),
        "arrival_late": lambda v, c, m, n: _("Yes") if m.arrival_late else "",
        "review_late": lambda v, c, m, n: _("Yes") if m.review_late else "",
        "signature": lambda v, c, m, n: _signature(v, m),
    }
    column_formatters_export = dict(without_badges(column_formatters_detail), **{
        "materials": lambda v, c, m, n: "; ".join(f"{x.name} {x.quantity}×{x.unit_price}" for x in m.materials),
        "arrival_late": lambda v, c, m, n: _("Yes") if m.arrival_late else _("No"),
    })

    # --- registration ---
    def after_model_change(self, form, model, is_created):
        files = [f for f in (form.photos.data or []) if getattr(f, "filename", "")] \
            if "photos" in form._fields else []
        for upload in files:
            try:
                add_photo(model, read_upload(upload, PHOTO_UPLOAD), upload.filename,
                          current_user._get_current_object())
            except DomainError as err:
                flash(err.message, "error")

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        if "photos" in form._fields:
            del form["photos"]   # photos are added on the details page
        return form

    # --- steps ---
    def step_summary(self, record):
        return [(_("Number"), record.number), (_("Room / area"), _location(record)),
                (_("Resident"), record.resident_name or ""), (_("Category"), choice_label(CATEGORIES, record.category)),
                (_("Urgency"), choice_label(URGENCIES, record.urgency)), (_("Description"), record.description),
                (_("Appointment"), local_text(record.appointment_at, record.community)),
                (_("Technician"), record.technician or ""), (_("State"), record.state_label)]

    def details_extra(self, model):
        extra = super().details_extra(model)
        extra["photos"] = list(RepairPhoto.objects(repair=model).only("id", "filename"))
        extra["can_add_photo"] = can(AREA, "action:add_photo") and model.is_open
        extra["print_url"] = url_for(".print_view", id=str(model.pk))
        return extra

    # --- list page: first rain ---
    def render(self, template, **kwargs):
        if template == self.list_template:
            kwargs["rain_communities"] = user_communities() if can(AREA, "action:first_rain") else []
            kwargs["rain_days"] = list(RainDay.objects(community__in=[c.pk for c in user_communities()])
                                       .order_by("-on").limit(3))
        return super().render(template, **kwargs)

    @expose("/first-rain/", methods=("POST",))
    def first_rain_view(self):
        if not can(AREA, "action:first_rain"):
            abort(403)
        community_id = request.form.get("community", "")
        communities = {str(c.pk): c for c in user_communities()}
        community = communities.get(community_id)
        if community is None:
            abort(404)
        day = parse_date(request.form.get("day", ""))
        if day is None:
            flash(_("Enter the date of the first rain."), "error")
            return redirect(url_for(".index_view"))
        try:
            count = RainDay.record(community, day, current_user._get_current_object())
        except DomainError as err:
            flash(err.message, "error")
        else:
            flash(_("First rain on %(day)s recorded: %(n)d leak repairs now have their return visit due.",
                    day=day.isoformat(), n=count), "success")
        return redirect(url_for(".index_view"))

    # --- photos ---
    @expose("/photo/add/", methods=("POST",))
    def photo_add_view(self):
        if not can(AREA, "action:add_photo"):
            abort(403)
        record = scoped_or_404(Repair, request.args.get("id"))
        if not record.is_open:
            abort(403)
        for upload in request.files.getlist("photos"):
            if not upload.filename:
                continue
            try:
                add_photo(record, read_upload(upload, PHOTO_UPLOAD), upload.filename,
                          current_user._get_current_object())
            except DomainError as err:
                flash(err.message, "error")
        return redirect(url_for(".details_view", id=str(record.pk)))

    @expose("/photo/<photo_id>")
    def photo_view(self, photo_id):
        if not can(AREA, "details"):
            abort(404)
        return send_stored_file(scoped_or_404(RepairPhoto, photo_id), max_age=600)

    @expose("/signature/")
    def signature_view(self):
        """The resident's signature of a work order of the user's communities."""
        if not can(AREA, "details"):
            abort(404)
        record = scoped_or_404(Repair, request.args.get("id"))
        if record.signature is None:
            abort(404)
        return send_stored_file(scoped_or_404(RepairSignature, record.signature.pk), max_age=600)

    # --- printable work order ---
    @expose("/print/")
    def print_view(self):
        if not can(AREA, "details"):
            abort(403)
        record = scoped_or_404(Repair, request.args.get("id"))
        return self.render("services/work_order.html", record=record, labels=bilingual_labels(),
                           local_time=lambda v: local_text(v, record.community),
                           category=bilingual(CATEGORIES, record.category),
                           urgency=bilingual(URGENCIES, record.urgency),
                           source=bilingual(SOURCES, record.source),
                           state=bilingual(STATES, record.state),
                           lang="zh_Hans_CN", printed_at=clock.now(),
                           printed_text=local_text(clock.now(), record.community),
                           phone=masked_phone("residents", record.contact_phone()))


PRINT_LABELS = {
    "title": _l("Repair work order"), "number": _l("Number"), "community": _l("Community"),
    "reported_at": _l("Reported on"), "source": _l("Source"), "location": _l("Room / area"),
    "resident": _l("Resident"), "phone": _l("Phone"), "category": _l("Category"), "urgency": _l("Urgency"),
    "description": _l("Description"), "charges": _l("Charges told to the resident"),
    "appointment": _l("Appointment"), "technician": _l("Technician"), "arrived": _l("Arrived on"),
    "work_done": _l("Work done"), "materials": _l("Materials"), "material": _l("Material"),
    "spec": _l("Specification"), "model": _l("Model"), "quantity": _l("Quantity"),
    "unit_price": _l("Unit price"), "amount": _l("Amount"), "labour": _l("Labour"),
    "total": _l("Total charge"), "completed": _l("Completed on"), "signature": _l("Resident's signature"),
    "satisfaction": _l("Satisfaction"), "comment": _l("Resident's comment"), "state": _l("State"),
    "technician_signature": _l("Technician's signature"), "printed": _l("Printed on"),
    "pay_note": _l("Charges are paid at the customer-service office; technicians take no cash."),
    "rating": _l("5 very satisfied · 4 satisfied · 3 fair · 2 unsatisfied · 1 very unsatisfied"),
    "date": _l("Date"),
}


def bilingual_labels() -> dict:
    """Each label in Chinese and in English, for the two-language paper form."""
    labels = {}
    with force_locale("zh_Hans_CN"):
        zh = {k: str(v) for k, v in PRINT_LABELS.items()}
    with force_locale("en"):
        en = {k: str(v) for k, v in PRINT_LABELS.items()}
    for key in PRINT_LABELS:
        labels[key] = (zh[key], en[key])
    return labels


def bilingual(choices, value) -> tuple[str, str]:
    with force_locale("zh_Hans_CN"):
        zh = choice_label(choices, value)
    with force_locale("en"):
        en = choice_label(choices, value)
    return zh, en


def register(admin):
    admin.add_view(RepairView(Repair, name=_l("Repairs"), category=_l("Service"), endpoint="repairs"))
