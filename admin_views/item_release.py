"""Item release (物品放行): the release form, its steps, the guard's gate page, prints, the month-end archive.

The rules are in documents/item_release.py; these pages turn forms into its arguments and show its
refusals on the field they concern.
"""
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.mongoengine.filters import FilterEqual
from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, FileField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from admin_views.filters import chosen_community, community_choices
from admin_views.base import EstateModelView, scoped_or_404, show_refusal, user_communities
from admin_views.datetimes import TypedDateField
from admin_views.files import read_upload, send_stored_file
from admin_views.steps import StepForm, StepPageMixin, state_badge
from app import clock
from app.qr import printed_url, qr_svg
from app.permissions import can
from documents.base import DomainError
from documents.item_release import (APPLICANTS, CERTIFICATE_UPLOAD, DRIVER_ID_TYPES, SOURCES, STATES, ItemRelease,
                                    ReleaseCertificate, ReleaseMonth, close_month, community_today, find_pass,
                                    month_forms, period_of)
from documents.places import parse_room_code
from documents.renovations import Renovation
from documents.residents import Household
from documents.validators import mask_id

AREA = "item_release"
STATE_COLOURS = {"applied": "warning", "agreed": "primary", "signed": "info", "released": "success",
                 "cancelled": "secondary"}


def pass_gate_url(number: str) -> str:
    """What the QR code on a printed pass holds: the guard's look-up page for that pass number. The page is
    behind the login and the guard's right (action:release); the URL itself carries nothing but the number."""
    return printed_url("item_release.gate_view", number=number)


def shows_driver_ids(user=None) -> bool:
    return can(AREA, "view_id_numbers", user)


def driver_id_text(model, user=None) -> str:
    return (model.driver_id or "") if shows_driver_ids(user) else mask_id(model.driver_id)


# --- step forms ---

class AgreeForm(StepForm):
    override_reason = TextAreaField(_l("Reason to release despite arrears"), validators=[Optional(), Length(max=500)],
                                    description=_l("Only when the household owes fees; a supervisor's decision"))


class SignForm(StepForm):
    signed_by = StringField(_l("Signed by"), validators=[DataRequired(), Length(max=60)],
                            description=_l("The owner (for company items: the unit's agent) signs the paper form"))
    certificate = StringField(_l("Outbound certificate (外运证明)"), validators=[Optional(), Length(max=200)],
                              description=_l("Company items: the owning unit's certificate, its number and issuer"))
    certificate_file = FileField(_l("Scan of the certificate"),
                                 description=_l("Company items: PDF, JPEG or PNG of the signed certificate"))

    def arguments(self, record) -> dict:
        values = super().arguments(record)
        upload = self.certificate_file.data
        values["certificate_file"] = (upload.filename, read_upload(upload, CERTIFICATE_UPLOAD)) \
            if upload is not None and getattr(upload, "filename", "") else None
        return values

    def prefill(self, record, user):
        self.signed_by.data = record.applicant_name
        self.certificate.data = record.certificate
        super().prefill(record, user)


class ReleaseForm(StepForm):
    plate_seen = StringField(_l("Plate of the vehicle at the gate"), validators=[Optional(), Length(max=12)])
    items_checked = BooleanField(_l("Items checked against the pass"))
    note = TextAreaField(_l("Gate note"), validators=[Optional(), Length(max=500)])


class CancelForm(StepForm):
    reason = TextAreaField(_l("Reason for cancelling"), validators=[DataRequired(), Length(max=500)])


class RegisterForm(FlaskForm):
    """The item in/out form (物品出入登记表) as the front desk fills it in."""
    community = SelectField(_l("Community"), choices=[], validators=[Optional()])
    applicant = SelectField(_l("Whose items"), choices=APPLICANTS, default="owner")
    room = StringField(_l("Room"), validators=[Optional(), Length(max=30)],
                       description=_l("Building-unit-room, e.g. 3-2-1201 (not needed for company items)"))
    applicant_name = StringField(_l("Applicant"), validators=[Optional(), Length(max=60)],
                                 description=_l("Leave empty for the household's name"))
    owner_consent = StringField(_l("Owner's consent"), validators=[Optional(), Length(max=200)],
                                description=_l("A tenant moving out: who consented, how (e.g. owner 张伟 by phone)"))
    certificate = StringField(_l("Outbound certificate (外运证明)"), validators=[Optional(), Length(max=200)],
                              description=_l("Company items: the owning unit's certificate, its number and issuer"))
    items = TextAreaField(_l("Items and quantities"), validators=[Optional(), Length(max=3000)],
                          description=_l("One line per item: the item, then its quantity, e.g. “Sofa 2”"))
    release_on = TypedDateField(_l("Release day"), validators=[Optional()],
                                description=_l("The pass is valid on this day only"))
    vehicle_plate = StringField(_l("Vehicle plate"), validators=[Optional(), Length(max=12)])
    driver_name = StringField(_l("Driver"), validators=[Optional(), Length(max=60)])
    driver_id_type = SelectField(_l("Driver's document"), choices=DRIVER_ID_TYPES, default="licence")
    driver_id = StringField(_l("Driving licence or ID number"), validators=[Optional(), Length(max=30)])
    renovation = HiddenField()
    #: what the renovation file gives (its household, community and owner): not asked on its form
    RENOVATION_GIVES = ("community", "applicant", "room", "owner_consent", "certificate")

    def set_up(self, communities, renovation, prefill: bool):
        """A renovation's form: what the file gives is not asked. Prefill: today, the renovation's owner."""
        if renovation is not None:
            for name in self.RENOVATION_GIVES:
                del self[name]
            self.renovation.data = str(renovation.pk)
        else:
            self.community.choices = community_choices(communities)
        if prefill and communities:
            self.release_on.data = community_today(renovation.community if renovation else communities[0])
            self.applicant_name.data = renovation.applicant if renovation else None

    def whose(self, communities, renovation):
        """(household, community) of the form; community None when the form says what is missing."""
        if renovation is not None:
            return renovation.household, renovation.community
        household = self.household(communities)
        if household is False:
            return None, None
        return household, household.community if household else chosen_community(communities, self.community)

    def arguments(self, renovation) -> dict:
        values = {name: self[name].data for name in ("items", "release_on", "vehicle_plate", "driver_name",
                                                     "driver_id", "driver_id_type", "applicant_name")}
        if renovation is None:
            values.update({name: self[name].data for name in ("applicant", "owner_consent", "certificate")})
        return values

    def household(self, communities):
        code = parse_room_code(self.room.data or "")
        if not (self.room.data or "").strip() and self.applicant.data == "company":
            return None
        if code is None:
            self.room.errors = list(self.room.errors) + [_("Write the room as building-unit-room, e.g. 3-2-1201.")]
            return False
        ids = [c.pk for c in communities if not self.community.data or str(c.pk) == self.community.data]
        found = Household.objects(community__in=ids, room_codes=code, status="current").first()
        if found is None:
            self.room.errors = list(self.room.errors) + [_("No current archive for room %(code)s.", code=code)]
            return False
        return found


class ItemReleaseView(StepPageMixin, EstateModelView):
    area = AREA
    step_forms = {"confirm_fees": AgreeForm, "sign": SignForm, "release": ReleaseForm, "cancel": CancelForm}
    list_template = "item_release/list.html"
    details_template = "item_release/details.html"
    column_list = ["number", "release_on", "room_code", "applicant_name", "items", "vehicle_plate", "state",
                   "released_at"]
    column_details_list = [
        "number", "community", "source", "renovation_permit_no", "renovation_contractor", "room_code", "applicant",
        "applicant_name", "owner_consent", "certificate", "items",
        "release_on", "vehicle_plate", "driver_name", "driver_id_type", "driver_id", "state", "registered_by",
        "registered_at", "fees_checked_by", "fees_checked_at", "owed", "override_reason", "signed_by_name",
        "signed_at", "released_by", "released_at", "gate_note", "cancel_reason"]
    column_export_list = ["number", "community", "source", "renovation_permit_no", "release_on", "room_code",
                          "applicant", "applicant_name", "items",
                          "vehicle_plate", "driver_name", "driver_id", "state", "fees_checked_by", "owed",
                          "override_reason", "signed_by_name", "released_by", "released_at"]
    column_formatters = {
        "state": lambda v, c, m, n: state_badge(m, STATE_COLOURS),
        "items": lambda v, c, m, n: m.items_summary,
        "driver_id": lambda v, c, m, n: driver_id_text(m),
        "source": lambda v, c, m, n: m.source_label,
    }
    column_formatters_export = {"state": lambda v, c, m, n: m.state_label, "source": lambda v, c, m, n: m.source_label,
                                "items": lambda v, c, m, n: m.items_summary,
                                "driver_id": lambda v, c, m, n: driver_id_text(m)}
    column_default_sort = ("release_on", True)
    column_sortable_list = ["number", "release_on", "state"]
    column_searchable_list = ["number", "room_code", "applicant_name"]
    search_hint = _l("Pass no., room or applicant")
    can_edit = False
    can_delete = False

    def __init__(self, *args, **kwargs):
        self.column_filters = [FilterEqual("state", _l("State"), options=STATES),
                               FilterEqual("building_no", _l("Building no.")),
                               FilterEqual("applicant", _l("Whose items"), options=APPLICANTS),
                               FilterEqual("source", _l("Source"), options=SOURCES)]
        super().__init__(*args, **kwargs)

    can_create = False  # forms are registered on the release form (register_view)

    def get_query(self):
        return ItemRelease.objects.for_user(current_user)

    def step_summary(self, record) -> list:
        return [(_("Pass no."), record.number), (_("Room"), record.room_code or ""),
                (_("Applicant"), record.applicant_name), (_("Items and quantities"), record.items_summary),
                (_("Release day"), record.release_on.isoformat()), (_("Vehicle plate"), record.vehicle_plate or ""),
                (_("Driver"), f"{record.driver_name or ''} {driver_id_text(record)}".strip()),
                (_("State"), record.state_label)]

    def details_extra(self, model):
        extra = super().details_extra(model)
        extra["household_url"] = self.get_url("households.details_view", id=str(model.household.pk)) \
            if model.household is not None and can("residents", "details") else None
        extra["certificates"] = list(ReleaseCertificate.objects(release=model).only("id", "filename"))
        return extra

    @expose("/certificate/<file_id>")
    def certificate_view(self, file_id):
        if not can(AREA, "details"):
            abort(403)
        return send_stored_file(scoped_or_404(ReleaseCertificate, file_id),
                                as_attachment=request.args.get("download") == "1")

    @expose("/register/", methods=("GET", "POST"))
    def register_view(self):
        """The release form; `?renovation=<id>`: the large items of that renovation file (its household)."""
        if not can(AREA, "create"):
            abort(403)
        communities = user_communities()
        form = RegisterForm(request.form if request.method == "POST" else None)
        renovation_id = request.values.get("renovation") or form.renovation.data
        renovation = scoped_or_404(Renovation, renovation_id) if renovation_id else None
        form.set_up(communities, renovation, prefill=request.method == "GET")
        if request.method == "POST" and form.validate():
            household, community = form.whose(communities, renovation)
            if community is not None:
                try:
                    record = ItemRelease.register(current_user._get_current_object(), community,
                                                  household=household, renovation=renovation,
                                                  **form.arguments(renovation))
                    flash(_("Release form %(number)s registered: customer service checks the fees next.",
                            number=record.number), "success")
                    return redirect(self.get_url(".details_view", id=str(record.pk)))
                except DomainError as err:
                    show_refusal(form, err)
        renovation_url = url_for("renovations.details_view", id=str(renovation.pk)) \
            if renovation is not None and can("renovations", "details") else None
        return self.render("item_release/register.html", form=form, several=len(communities) > 1,
                           renovation=renovation, renovation_url=renovation_url)

    # --- the gate: look a pass up by its number (typed or read from the QR code) ---
    @expose("/gate/")
    def gate_view(self):
        if not can(AREA, "action:release"):
            abort(403)
        number = (request.args.get("number") or "").strip()
        found = find_pass(current_user._get_current_object(), number) if number else None
        if found is not None:
            return redirect(self.get_url(".step_view", step="release", id=str(found.pk)))
        if number:
            flash(_("No pass %(number)s in your communities.", number=number.upper()), "error")
        return self.render("item_release/gate.html", number=number)

    # --- prints ---
    def _print(self, template, **kwargs):
        lang = "en" if request.args.get("lang") == "en" else "zh_Hans_CN"
        with force_locale(lang):
            return self.render(template, lang=lang, printed_at=clock.now(), driver_id_text=driver_id_text, **kwargs)

    @expose("/print/")
    def print_view(self):
        if not can(AREA, "details"):
            abort(403)
        model = scoped_or_404(ItemRelease, request.args.get("id"))
        gate_url = pass_gate_url(model.number)
        return self._print("item_release/print.html", forms=[model], model=model, gate_url=gate_url,
                           qr=qr_svg(gate_url, title=model.number))

    # --- month end ---
    @expose("/month/", methods=("GET", "POST"))
    def month_view(self):
        if not can(AREA, "list"):
            abort(403)
        communities = user_communities()
        chosen = next((c for c in communities if str(c.pk) == request.values.get("community")), None) \
            or (communities[0] if communities else None)
        if chosen is None:
            abort(404)
        period = (request.values.get("period") or period_of(community_today(chosen)))[:7]
        if request.method == "POST":
            try:
                close_month(current_user._get_current_object(), chosen, period)
                flash(_("The month %(period)s is closed and archived.", period=period), "success")
            except DomainError as err:
                flash(err.message, "error")
            return redirect(self.get_url(".month_view", community=str(chosen.pk), period=period))
        try:
            forms = list(month_forms(chosen, period))
        except DomainError as err:
            flash(err.message, "error")
            return redirect(self.get_url(".month_view", community=str(chosen.pk)))
        closed = ReleaseMonth.objects(community=chosen, period=period).first()
        if request.args.get("print"):
            return self._print("item_release/print.html", forms=forms, model=forms[0] if forms else None,
                               community=chosen, period=period, gate_url=None)
        return self.render("item_release/month.html", forms=forms, closed=closed, period=period, community=chosen,
                           communities=communities, can_close=can(AREA, "action:close_month"))


def register(admin):
    admin.add_view(ItemReleaseView(ItemRelease, name=_l("Item release"), category=_l("Service"),
                                   endpoint="item_release"))
