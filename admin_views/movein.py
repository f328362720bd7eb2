"""Move-in files (入伙): the list, the file with its eight step pages, the handover-day board, prints.

The rules are in documents/movein.py; the step pages come from StepPageMixin (admin_views/steps.py):
each step's form below only names its fields and turns them into the step method's arguments.
"""
from datetime import date

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_admin.contrib.mongoengine.filters import FilterEqual
from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import (BooleanField, FieldList, FormField, IntegerField, RadioField, SelectField, SelectMultipleField,
                     StringField, TextAreaField)
from wtforms.widgets import CheckboxInput, ListWidget
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from admin_views.filters import chosen_community, community_choices
from admin_views.base import (CommunityFormMixin, EstateModelView, html_table, scoped_or_404, show_refusal,
                              user_communities)
from admin_views.datetimes import TypedDateField
from admin_views.steps import StepForm, StepPageMixin, state_badge
from app import clock
from app.i18n import TranslatedForm, current_language
from app.permissions import can
from documents.base import DomainError
from documents.deadlines import local_date, zone_of
from documents.movein import (AREA, CHECK_AREAS, DOCUMENTS_TO_BRING, ITEM_KINDS, LONG_WAIT_LIST, LONG_WAIT_MINUTES,
                              NOTICE_STATES, OUTCOMES, RENOVATION_CHOICES, STATES, STEPS, VISITORS, HandoverSlot,
                              MoveIn, MoveInNotice, board, issue_notices, long_waits)
from documents.residents import ID_TYPES

BOARD_PAGE_SIZE = 20
STATE_COLOURS = {"moved_in": "success"}


# --- step forms ---

class VerifyForm(StepForm):
    visitor = RadioField(_l("Who came"), choices=VISITORS, default="owner", validators=[InputRequired()])
    id_card_seen = BooleanField(_l("The owner's ID card seen"))
    contract_seen = BooleanField(_l("Purchase contract seen"))
    notice_seen = BooleanField(_l("Move-in notice seen"))
    agent_name = StringField(_l("Agent's name"), validators=[Optional(), Length(max=60)])
    poa_seen = BooleanField(_l("Power of attorney seen (agent)"))
    agent_id_seen = BooleanField(_l("Agent's own ID card seen"))


class SignForm(StepForm):
    signed_in_person = BooleanField(_l("The owner signed in person"),
                                    description=_l("Nobody may sign for the owner, not even an agent."))
    agreement_signed = BooleanField(_l("Preliminary property service agreement signed"))
    rules_signed = BooleanField(_l("Provisional owners' rules signed"))


class ArchiveForm(StepForm):
    documents_collected = BooleanField(_l("Copies of the documents collected"))
    owner_name = StringField(_l("Owner"), validators=[Optional(), Length(max=60)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=20)])
    id_type = SelectField(_l("ID type"), choices=ID_TYPES, default="id_card")
    id_number = StringField(_l("ID number"), validators=[Optional(), Length(max=30)])

    def prefill(self, record, user):
        super().prefill(record, user)
        self.owner_name.data = self.owner_name.data or record.owner_name
        self.phone.data = self.phone.data or record.owner_phone


class FeesForm(StepForm):
    intro_template = "movein/_fees_intro.html"
    auto_debit = BooleanField(_l("Bank auto-debit agreement signed"))
    bank = StringField(_l("Bank"), validators=[Optional(), Length(max=60)])
    account = StringField(_l("Account number"), validators=[Optional(), Length(max=40)],
                          description=_l("Only the last four digits are kept."))


class ItemsForm(StepForm):
    key_set_ids = SelectMultipleField(_l("Key sets from the key register"), choices=[],
                                      widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
                                      description=_l("Issued to the owner with this step; their keys are counted."))
    signed_for = BooleanField(_l("The owner signed for the items"))

    def for_record(self, record, user):
        self.key_set_ids.choices = [(str(k.pk), f"{k.label_code} · {k.kind_label} × {k.count}")
                                    for k in record.key_sets()]

    def arguments(self, record):
        return {"counts": {kind: getattr(self, kind).data or 0 for kind, _label in ITEM_KINDS},
                "signed_for": self.signed_for.data, "key_set_ids": self.key_set_ids.data or []}


for _kind, _label in ITEM_KINDS:
    setattr(ItemsForm, _kind, IntegerField(_label, default=0, validators=[Optional(), NumberRange(min=0, max=99)]))


class DefectForm(TranslatedForm):
    area = SelectField(_l("Where"), choices=[("", "—")] + CHECK_AREAS, default="")
    description = StringField(_l("Defect"), validators=[Length(max=500)])


class InspectForm(StepForm):
    defects = FieldList(FormField(DefectForm), min_entries=4, max_entries=30,
                        label=_l("Defects (each becomes a repair work order)"))
    outcome = RadioField(_l("Outcome"), choices=OUTCOMES, validators=[InputRequired()])

    def arguments(self, record):
        rows = [(e.form.area.data, e.form.description.data) for e in self.defects.entries
                if (e.form.area.data or (e.form.description.data or "").strip())]
        failed = [area for area, _label in CHECK_AREAS if not getattr(self, f"ok_{area}").data]
        return {"failed_areas": failed, "defects": rows, "outcome": self.outcome.data}

    def done_message(self, record, outcome):
        opened = [d.work_order_no for d in record.defects if d.round == record.next_round() - 1]
        if opened:
            return _("Inspection recorded; work orders opened: %(numbers)s.", numbers=", ".join(opened))
        return None


for _area, _label in CHECK_AREAS:
    setattr(InspectForm, f"ok_{_area}", BooleanField(_label, default=True))


class HandbookForm(StepForm):
    handbook_given = BooleanField(_l("Residents' handbook handed out"))
    service_card_given = BooleanField(_l("Service card handed out"))
    tips_given = BooleanField(_l("Tips for moving in handed out"))
    checklist_filled = BooleanField(_l("Move-in checklist filled in"))


class FinishForm(StepForm):
    renovation = RadioField(_l("Renovation"), choices=RENOVATION_CHOICES, validators=[InputRequired()])


class ReasonForm(StepForm):
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=500)])


class UndoForm(ReasonForm):
    """The reason, below what undoing will reverse (the document says it)."""
    intro_template = "movein/_undo_intro.html"


# --- list cells ---

def _state_cell(view, context, model, name):
    badge = state_badge(model, STATE_COLOURS, default="warning" if model.waits_long() else "info")
    return badge


def _log_cell(view, context, model, name):
    kinds = {"skipped": _("skipped"), "undone": _("undone"), "done": ""}
    return html_table([_("Step"), _("At"), _("By"), _("What")],
                      [(model.step_label(e.step) + (f" ({kinds.get(e.kind)})" if kinds.get(e.kind) else ""),
                        _local(e.at), e.by_name or "", e.summary or "") for e in model.log or []])


def _defects_cell(view, context, model, name):
    areas = dict(CHECK_AREAS)
    rows = []
    for defect in model.defects or []:
        link = Markup('<a href="{}">{}</a>').format(
            view.get_url("repairs.details_view", id=str(defect.work_order.pk)), defect.work_order_no) \
            if defect.work_order is not None else ""
        withdrawn = f" ({_('withdrawn')})" if defect.withdrawn else ""
        rows.append((defect.round, str(areas.get(defect.area, defect.area)) + withdrawn, defect.description, link))
    if not rows:
        return ""
    head = "".join(Markup("<th>{}</th>").format(h) for h in (_("Inspection"), _("Where"), _("Defect"), _("Work order")))
    body = "".join(Markup("<tr>{}</tr>").format(Markup("").join(Markup("<td>{}</td>").format(c) for c in row))
                   for row in rows)
    return Markup('<table class="table table-sm table-bordered mb-0" id="defects"><thead><tr>{}</tr></thead>'
                  '<tbody>{}</tbody></table>').format(Markup(head), Markup(body))


def _items_cell(view, context, model, name):
    return html_table([_("Item"), _("Count")], [(model.item_label(i.kind), i.count) for i in model.items or []])


def _local(value):
    from app.i18n import datetime_local
    return datetime_local(value) if value else ""


class MoveInView(StepPageMixin, EstateModelView):
    area = AREA
    step_forms = {"verify": VerifyForm, "sign": SignForm, "archive": ArchiveForm, "fees": FeesForm,
                  "items": ItemsForm, "inspect": InspectForm, "handbook": HandbookForm, "finish": FinishForm,
                  "skip": ReasonForm, "undo": UndoForm}
    row_steps = ()
    details_template = "movein/details.html"
    column_list = ["room_code", "owner_name", "appointment_on", "state", "state_since"]
    column_details_list = ["community", "room_code", "owner_name", "owner_phone", "household", "appointment_on",
                           "state", "state_since", "visitor", "agent_name", "auto_debit", "bank", "account_masked",
                           "receipt_no", "items", "defects", "renovation", "moved_in_on", "log"]
    column_formatters = {"state": _state_cell, "log": _log_cell, "defects": _defects_cell, "items": _items_cell,
                         "state_since": lambda v, c, m, n: _local(m.state_since)}
    column_formatters_export = {"state": lambda v, c, m, n: m.state_label}
    column_default_sort = ("sort_key", False)
    column_sortable_list = ["appointment_on", "state"]
    column_searchable_list = ["room_code", "owner_name"]
    search_hint = _l("Room or owner")
    can_edit = False
    can_delete = False

    def __init__(self, *args, **kwargs):
        self.column_filters = [FilterEqual("state", _l("Waiting for"), options=STATES),
                               FilterEqual("building_no", _l("Building no."))]
        super().__init__(*args, **kwargs)

    can_create = False  # files are opened on the open form (open_view)

    def step_summary(self, record) -> list:
        return [(_("Room"), record.room_code), (_("Owner"), record.owner_name),
                (_("Waiting for"), record.state_label)]

    def details_extra(self, model):
        extra = super().details_extra(model)
        extra["steps"] = [(index + 1, name, label) for index, (name, label) in enumerate(STEPS)]
        extra["current"] = model.step_number()
        extra["account_url"] = self.get_url("fee_accounts.household", id=str(model.household.pk)) \
            if model.household is not None and can("fees", "details") else None
        extra["household_url"] = self.get_url("households.details_view", id=str(model.household.pk)) \
            if model.household is not None and can("residents", "details") else None
        extra["renovation_url"] = self.get_url("renovations.create_view") \
            if model.renovation == "offered" and can("renovations", "create") else None
        return extra

    # ---- opening a file ----
    @expose("/open/", methods=("GET", "POST"))
    def open_view(self):
        if not can(AREA, "create"):
            abort(403)
        communities = user_communities()
        form = OpenForm(request.form if request.method == "POST" else None)
        form.community.choices = community_choices(communities)
        notice = scoped_or_404(MoveInNotice, request.args.get("notice")) if request.args.get("notice") else None
        if request.method == "GET":
            form.room.data = notice.room_code if notice is not None else request.args.get("room", "")
            form.appointment_on.data = notice.appointment_on if notice is not None else None
        elif form.validate():
            chosen = chosen_community(communities, form.community)
            if chosen is not None:
                try:
                    user = current_user._get_current_object()
                    record = notice.open_file(user, form.owner_name.data, form.owner_phone.data) \
                        if notice is not None else MoveIn.open(user, chosen, form.room.data, form.owner_name.data,
                                                               form.owner_phone.data, form.appointment_on.data)
                    flash(_("Move-in file of %(room)s opened: verify the documents first.", room=record.room_code),
                          "success")
                    return redirect(self.get_url(".details_view", id=str(record.pk)))
                except DomainError as err:
                    show_refusal(form, err)
        return self.render("movein/open.html", form=form, several=len(communities) > 1 and notice is None,
                           notice=notice)

    # ---- the handover-day board ----
    @expose("/board/")
    def board_view(self):
        if not can(AREA, "list"):
            abort(403)
        communities = user_communities()
        if not communities:
            abort(404)
        community = {str(c.pk): c for c in communities}.get(request.args.get("community")) or communities[0]
        today = local_date(clock.now(), zone_of(community))
        try:
            day = date.fromisoformat(request.args.get("day")) if request.args.get("day") else today
        except ValueError:
            day = today
        page = max(0, request.args.get("page", 0, type=int) or 0)
        now = clock.now()
        rows, counts = board(community, day, offset=page * BOARD_PAGE_SIZE, limit=BOARD_PAGE_SIZE)
        waiting, waiting_count = long_waits(community, day, now)
        total = sum(counts.values())
        pages = max(1, -(-total // BOARD_PAGE_SIZE))
        return self.render("movein/board.html", rows=rows, counts=counts, steps=STEPS, total=total,
                           done=counts.get("moved_in", 0), day=day, community=community, communities=communities,
                           community_name=community.display_name(current_language()),
                           page=page, pages=pages, threshold=LONG_WAIT_MINUTES, now=now, waiting=waiting,
                           waiting_count=waiting_count, waiting_limit=LONG_WAIT_LIST)

    # ---- prints (A4, Chinese or English) ----
    @expose("/print/inspection/")
    def print_inspection(self):
        return self._print("movein/print_inspection.html")

    @expose("/print/checklist/")
    def print_checklist(self):
        return self._print("movein/print_checklist.html")

    @expose("/print/items/")
    def print_items(self):
        return self._print("movein/print_items.html")

    def _print(self, template):
        if not can(AREA, "details"):
            abort(403)
        model = scoped_or_404(MoveIn, request.args.get("id"))
        lang = "en" if request.args.get("lang") == "en" else "zh_Hans_CN"
        with force_locale(lang):
            return self.render(template, model=model, lang=lang, printed_at=clock.now(), steps=STEPS,
                               check_areas=CHECK_AREAS, item_kinds=dict(ITEM_KINDS), outcomes=dict(OUTCOMES),
                               area_labels=dict(CHECK_AREAS))


class OpenForm(FlaskForm):
    community = SelectField(_l("Community"), choices=[], validators=[Optional()])
    room = StringField(_l("Room"), validators=[Optional(), Length(max=30)],
                       description=_l("Building-unit-room, e.g. 3-2-1201"))
    owner_name = StringField(_l("Owner"), validators=[Optional(), Length(max=60)])
    owner_phone = StringField(_l("Owner's phone"), validators=[Optional(), Length(max=20)])
    appointment_on = TypedDateField(_l("Appointment day"), validators=[Optional()])


# --- notices and appointment slots ---

class BookForm(StepForm):
    slot_id = SelectField(_l("Appointment slot"), choices=[], validators=[Optional()])

    def for_record(self, record, user):
        today = local_date(clock.now(), zone_of(record.community))
        slots = HandoverSlot.objects(community=record.community, day__gte=today).order_by("day", "starts").limit(200)
        self.slot_id.choices = [("", "—")] + [
            (str(s.pk), _("%(slot)s (%(free)d of %(capacity)d free)", slot=str(s), free=s.free, capacity=s.capacity))
            for s in slots]


class NoticeView(StepPageMixin, EstateModelView):
    area = AREA
    step_forms = {"book": BookForm}
    row_steps = ("book",)
    list_template = "movein/notice_list.html"
    details_template = "movein/notice_details.html"
    column_list = ["room_code", "state", "appointment_on", "appointment_starts", "issued_at"]
    column_details_list = ["community", "number", "room_code", "state", "appointment_on", "appointment_starts",
                           "issued_at", "issued_by_name", "move_in"]
    column_formatters = {"state": lambda v, c, m, n: state_badge(m, {"opened": "success", "booked": "primary"}),
                         "issued_at": lambda v, c, m, n: _local(m.issued_at)}
    column_default_sort = ("sort_key", False)
    column_sortable_list = ["appointment_on", "state"]
    column_searchable_list = ["room_code"]
    search_hint = _l("Room")
    can_edit = False
    can_delete = False

    def __init__(self, *args, **kwargs):
        self.column_filters = [FilterEqual("state", _l("State"), options=NOTICE_STATES),
                               FilterEqual("building_no", _l("Building no.")),
                               FilterEqual("appointment_on", _l("Appointment day"))]
        super().__init__(*args, **kwargs)

    can_create = False  # notices are issued for a building or a list of rooms (issue_view)

    def step_summary(self, record) -> list:
        return [(_("Room"), record.room_code), (_("State"), record.state_label)]

    def details_extra(self, model):
        extra = super().details_extra(model)
        extra["open_url"] = self.get_url("move_ins.open_view", notice=str(model.pk)) \
            if model.move_in is None and model.offers("open_file", current_user) else None
        extra["file_url"] = self.get_url("move_ins.details_view", id=str(model.move_in.pk)) \
            if model.move_in is not None else None
        return extra

    @expose("/issue/", methods=("GET", "POST"))
    def issue_view(self):
        if not can(AREA, "create"):
            abort(403)
        communities = user_communities()
        form = IssueForm(request.form if request.method == "POST" else None)
        form.community.choices = community_choices(communities)
        if request.method == "POST" and form.validate():
            chosen = chosen_community(communities, form.community)
            if chosen is not None:
                try:
                    created = issue_notices(current_user._get_current_object(), chosen, form.building_no.data or "",
                                            form.rooms.data or "")
                    flash(_("%(n)d move-in notices issued.", n=len(created)), "success")
                    return redirect(self.get_url(".index_view"))
                except DomainError as err:
                    show_refusal(form, err)
        return self.render("movein/issue.html", form=form, several=len(communities) > 1)

    @expose("/print/")
    def print_notice(self):
        if not can(AREA, "details"):
            abort(403)
        model = scoped_or_404(MoveInNotice, request.args.get("id"))
        lang = "en" if request.args.get("lang") == "en" else "zh_Hans_CN"
        with force_locale(lang):
            return self.render("movein/print_notice.html", model=model, lang=lang, printed_at=clock.now(),
                               documents=DOCUMENTS_TO_BRING)


class IssueForm(FlaskForm):
    community = SelectField(_l("Community"), choices=[], validators=[Optional()])
    building_no = StringField(_l("Building no."), validators=[Optional(), Length(max=10)],
                              description=_l("Every room of the building without a current archive or a notice"))
    rooms = TextAreaField(_l("Or these rooms"), validators=[Optional(), Length(max=5000)],
                          description=_l("Building-unit-room, separated by commas or lines, e.g. 3-2-1201, 3-2-1202"))


class SlotView(CommunityFormMixin, EstateModelView):
    area = AREA
    column_list = ["day", "starts", "capacity", "booked"]
    form_columns = ["community", "day", "starts", "capacity"]
    form_args = {"starts": {"description": _l("Time of day, e.g. 09:00")}}
    column_default_sort = [("day", False), ("starts", False)]
    column_sortable_list = ["day"]
    can_delete = False


def register(admin):
    admin.add_view(NoticeView(MoveInNotice, name=_l("Move-in notices"), category=_l("Service"),
                              endpoint="move_in_notices"))
    admin.add_view(SlotView(HandoverSlot, name=_l("Handover slots"), category=_l("Service"), endpoint="move_in_slots"))
    admin.add_view(MoveInView(MoveIn, name=_l("Move-in files"), category=_l("Service"), endpoint="move_ins"))
