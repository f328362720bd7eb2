"""The key register's pages: key sets (list, create, edit, labels to print and to check), the batch
receipt from the developer, loans (lend, return, sign, chase, overdue list, the printable key loan
form 钥匙借用登记表) and the issue to the owner.

The rules are in documents/keys.py; these pages turn forms into its arguments and show its refusals
on the field they concern.
"""
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.mongoengine.filters import FilterEqual
from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from admin_views.filters import community_choices
from admin_views.base import (CommunityFormMixin, EstateModelView, html_table, scoped_or_404,
                              show_refusal, user_communities)
from admin_views.datetimes import TypedDateTimeField
from admin_views.fees.payments import print_language
from admin_views.steps import StepForm, StepPageMixin, state_badge
from app import clock
from app.permissions import can
from documents.base import DomainError
from documents.deadlines import local_text, to_utc, zone_of
from documents.keys import (AREA, BORROWER_KINDS, KEY_KINDS, KEY_STATES, LABEL_STATES, LOAN_STATES, KeyLoan,
                            KeyMovement, KeyReceipt, KeySet, current_household, end_of_today, find_key_set,
                            find_room, issue_to_owner, labels_to_renew, lend, overdue_count, overdue_loans,
                            receive_from_developer, return_by_label)
from documents.places import Building

KEY_COLOURS = {"in_cabinet": "success", "issued": "secondary", "on_loan": "warning", "lost": "danger"}
LOAN_COLOURS = {"awaiting_signature": "info", "on_loan": "warning", "returned": "success", "cancelled": "secondary"}
LABEL_COLOURS = {"ok": "success", "damaged": "warning", "unreadable": "danger"}
#: at most this many labels on one printed sheet request
LABEL_SHEET_LIMIT = 600


def _actor():
    return current_user._get_current_object()


def _chosen_community(communities, raw):
    return next((c for c in communities if str(c.pk) == (raw or "")), communities[0] if communities else None)


def _page_community(right):
    """A register page of one community: the role's right (else 403), the user's communities and the
    one chosen (``?community=…``, default the first; none: 404)."""
    if not can(AREA, right):
        abort(403)
    communities = user_communities()
    community = _chosen_community(communities, request.values.get("community"))
    if community is None:
        abort(404)
    return communities, community


def _label_badge(view, context, model, name):
    return Markup('<span class="badge badge-{} label-{}">{}</span>').format(
        LABEL_COLOURS.get(model.label_state, "info"), model.label_state,
        dict(LABEL_STATES).get(model.label_state, model.label_state))


def _key_set_link(view, context, model, name):
    key_set = model.key_set
    if key_set is None:
        return model.label_code or ""
    return Markup('<a href="{}">{}</a>').format(url_for("key_sets.details_view", id=str(key_set.pk)),
                                                model.label_code or key_set.label_code)


def _due_cell(view, context, model, name):
    text = local_text(model.expected_return_at, model.community)
    if model.is_overdue():
        return Markup('<span class="text-danger font-weight-bold overdue">{} ({})</span>').format(text, _("Overdue"))
    return text


def _chases_cell(view, context, model, name):
    return html_table([_("Chased on"), _("Chased by"), _("Note")],
                      [(local_text(c.at, model.community), c.by or "", c.note or "") for c in model.chases or []])


class LabelCheckForm(StepForm):
    label_state = SelectField(_l("Label"), choices=LABEL_STATES, default="ok")
    note = StringField(_l("Label note"), validators=[Optional(), Length(max=200)])


class LostForm(StepForm):
    note = TextAreaField(_l("How it was lost"), validators=[DataRequired(), Length(max=500)])


class OwnerReturnForm(StepForm):
    note = StringField(_l("Why the keys come back"), validators=[DataRequired(), Length(max=300)],
                       description=_l("E.g. the move-in handover was undone"))


class KeySetView(StepPageMixin, CommunityFormMixin, EstateModelView):
    area = AREA
    step_forms = {"check_label": LabelCheckForm, "mark_lost": LostForm, "return_from_owner": OwnerReturnForm}
    list_template = "keys/key_set_list.html"
    details_template = "keys/key_set_details.html"
    column_list = ["label_code", "room_code", "kind", "count", "cabinet", "hook", "state", "label_state"]
    column_details_list = ["community", "label_code", "room_code", "kind", "count", "cabinet", "hook", "state",
                           "received_from", "received_at", "issued_signed_by", "issued_at", "issued_by",
                           "label_state", "label_checked_at", "label_checked_by", "label_note", "lost_note"]
    column_export_list = ["community", "label_code", "room_code", "building_no", "kind", "count", "cabinet", "hook",
                          "state", "label_state", "received_from", "issued_signed_by"]
    column_formatters = {"state": lambda v, c, m, n: state_badge(m, KEY_COLOURS), "label_state": _label_badge}
    column_formatters_export = {"state": lambda v, c, m, n: m.state_label,
                                "kind": lambda v, c, m, n: m.kind_label}
    column_default_sort = "sort_key"
    column_sortable_list = [("room_code", "sort_key"), "label_code", "state"]
    column_searchable_list = ["label_code", "room_code"]
    search_hint = _l("Label or room")
    form_columns = ["community", "room_code", "kind", "count", "label_code", "cabinet", "hook"]
    form_args = {"room_code": {"label": _l("Room"), "description": _l("Building-unit-room, e.g. 1-1-101")},
                 "label_code": {"description": _l("Left empty: the room and the kind, e.g. 1-1-101-E")}}
    row_steps = ()
    can_delete = False

    def __init__(self, *args, **kwargs):
        self.column_filters = [
            FilterEqual("building_no", _l("Building no.")),
            FilterEqual("state", _l("State"), options=KEY_STATES),
            FilterEqual("kind", _l("Key kind"), options=KEY_KINDS),
            FilterEqual("label_state", _l("Label"), options=LABEL_STATES),
        ]
        super().__init__(*args, **kwargs)

    def on_model_change(self, form, model, is_created):
        if model.community is not None:
            model.room = find_room(model.community, model.room_code)

    def step_summary(self, record) -> list:
        return [(_("Label code"), record.label_code), (_("Room"), record.room_code),
                (_("Key kind"), record.kind_label), (_("Cabinet"), record.place), (_("State"), record.state_label)]

    def details_extra(self, model):
        extra = super().details_extra(model)
        extra["movements"] = list(KeyMovement.objects(key_set=model.pk).order_by("-at").limit(50))
        extra["loans"] = list(KeyLoan.objects(key_set=model.pk).order_by("-requested_at").limit(20))
        extra["local"] = lambda at: local_text(at, model.community)
        user = _actor()
        extra["may_lend"] = model.allows("lend", user)
        extra["may_return"] = model.state == "on_loan" and can(AREA, "action:return_key")   # the loan's step
        extra["may_issue"] = model.allows("issue", user)
        return extra

    # --- issue to the owner (the move-in file's step 5 calls issue_to_owner too) ---
    @expose("/issue/", methods=("GET", "POST"))
    def issue_view(self):
        if not can(AREA, "action:issue"):
            abort(403)
        key_set = scoped_or_404(KeySet, request.args.get("id"))
        household = current_household(key_set.room)
        form = IssueForm(request.form if request.method == "POST" else None)
        form.label_code.data = key_set.label_code
        if request.method == "POST" and form.validate():
            try:
                issue_to_owner(key_set, household, _actor(), form.identity_checked.data, form.signed_by.data)
                flash(_("Keys %(label)s issued to %(name)s.", label=key_set.label_code, name=form.signed_by.data),
                      "success")
                return redirect(self.get_url(".details_view", id=str(key_set.pk)))
            except DomainError as err:
                show_refusal(form, err)
        elif request.method == "GET" and household is not None:
            owner = next(iter(household.owners or []), None)
            form.signed_by.data = owner.name if owner is not None else household.name
        return self.render("keys/form.html", form=form, title=_("Issue keys to the owner"), key_set=key_set,
                           household=household, submit=_("Issue keys"), form_id="issue-form",
                           back=self.get_url(".details_view", id=str(key_set.pk)))

    # --- labels: print a sheet, check them, renew them ---
    @expose("/labels/", methods=("GET",))
    def labels_view(self):
        """An A4 sheet of labels (a building's, or the labels to renew)."""
        _communities, community = _page_community("labels")
        building = (request.args.get("building") or "").strip()
        renew = request.args.get("renew") == "1"
        query = labels_to_renew(_actor(), community) if renew else KeySet.objects(community=community.pk)
        if building:
            query = query.filter(building_no=building)
        key_sets = list(query.order_by("sort_key", "kind").limit(LABEL_SHEET_LIMIT))
        lang = print_language()
        with force_locale(lang):
            return self.render("keys/labels.html", lang=lang, key_sets=key_sets, community=community,
                               building=building, renew=renew, printed_at=clock.now())

    @expose("/check/", methods=("GET", "POST"))
    def check_view(self):
        """The periodic label check of a building: each key set's label good, damaged or unreadable."""
        communities, community = _page_community("action:check_label")
        buildings = [b.number for b in Building.objects(community=community.pk).order_by("number")]
        building = request.values.get("building") or (buildings[0] if buildings else "")
        key_sets = list(KeySet.objects(community=community.pk, building_no=building, state__ne="lost")
                        .order_by("sort_key", "kind").limit(LABEL_SHEET_LIMIT))
        if request.method == "POST":
            if not FlaskForm().validate():
                abort(400)
            marked = 0
            for key_set in key_sets:
                chosen = request.form.get(f"label-{key_set.pk}")
                if chosen not in dict(LABEL_STATES):
                    continue
                try:
                    key_set.check_label(_actor(), chosen, request.form.get(f"note-{key_set.pk}", ""))
                    marked += chosen != "ok"
                except DomainError as err:
                    flash(_("%(record)s: %(message)s", record=key_set.label_code, message=err.message), "error")
            flash(_("Label check of building %(no)s recorded: %(n)d label(s) to renew.", no=building, n=marked),
                  "success")
            return redirect(self.get_url(".renew_view", community=str(community.pk)))
        return self.render("keys/check.html", community=community, communities=communities, buildings=buildings,
                           building=building, key_sets=key_sets, label_states=LABEL_STATES, form=FlaskForm())

    @expose("/renew/", methods=("GET", "POST"))
    def renew_view(self):
        """The labels to renew (damaged or unreadable); a renewed label is marked here."""
        communities, community = _page_community("labels")
        if request.method == "POST":
            if not can(AREA, "action:renew_label") or not FlaskForm().validate():
                abort(403)
            key_set = scoped_or_404(KeySet, request.form.get("id"))
            try:
                key_set.renew_label(_actor())
                flash(_("The label %(code)s was renewed.", code=key_set.label_code), "success")
            except DomainError as err:
                flash(err.message, "error")
            return redirect(self.get_url(".renew_view", community=str(community.pk)))
        key_sets = list(labels_to_renew(_actor(), community).order_by("sort_key").limit(LABEL_SHEET_LIMIT))
        return self.render("keys/renew.html", community=community, communities=communities, key_sets=key_sets,
                           may_renew=can(AREA, "action:renew_label"), form=FlaskForm(),
                           local=lambda at: local_text(at, community))


class IssueForm(FlaskForm):
    label_code = StringField(_l("Label code"), render_kw={"readonly": True})
    identity_checked = BooleanField(_l("The owner's original ID card was checked"))
    signed_by = StringField(_l("Signed for by"), validators=[Optional(), Length(max=60)],
                            description=_l("The owner signs the handover record themselves"))


class ReceiptForm(FlaskForm):
    """The batch receipt of a building's keys from the developer."""
    community = SelectField(_l("Community"), choices=[], validators=[Optional()])
    building = StringField(_l("Building no."), validators=[DataRequired(), Length(max=10)])
    received_from = StringField(_l("Handed over by (developer)"), validators=[Optional(), Length(max=60)])
    received_at = TypedDateTimeField(_l("Received on"), validators=[Optional()])
    cabinet = StringField(_l("Cabinet"), validators=[Optional(), Length(max=20)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


def _count_field(label):
    return IntegerField(label, validators=[Optional(), NumberRange(min=0, max=20)])


for _kind, _label in KEY_KINDS:
    setattr(ReceiptForm, f"count_{_kind}", _count_field(_label))


class KeyReceiptView(EstateModelView):
    area = AREA
    list_template = "keys/receipt_list.html"
    column_list = ["received_at", "building_no", "received_from", "received_by", "sets_created", "note"]
    column_default_sort = ("received_at", True)
    column_sortable_list = ["received_at"]
    can_create = can_edit = can_delete = False
    can_view_details = False

    @expose("/receive/", methods=("GET", "POST"))
    def receive_view(self):
        if not can(AREA, "action:receive"):
            abort(403)
        communities = user_communities()
        form = ReceiptForm(request.form if request.method == "POST" else None)
        form.community.choices = community_choices(communities)
        if request.method == "GET":
            getattr(form, "count_entrance").data = 2
            getattr(form, "count_mailbox").data = 1
        elif form.validate():
            community = _chosen_community(communities, form.community.data)
            building = Building.objects(community=community.pk, number=form.building.data.strip()).first() \
                if community else None
            if building is None:
                form.building.errors = list(form.building.errors) + [
                    _("There is no building %(no)s in this community.", no=form.building.data)]
            else:
                kinds = {kind: getattr(form, f"count_{kind}").data for kind, _label in KEY_KINDS}
                received_at = to_utc(form.received_at.data, zone_of(community)) if form.received_at.data else None
                try:
                    receipt = receive_from_developer(_actor(), building, form.received_from.data, received_at,
                                                     kinds, cabinet=form.cabinet.data, note=form.note.data)
                    flash(_("Keys of building %(no)s received: %(n)d key set(s) registered.", no=building.number,
                            n=receipt.sets_created), "success")
                    return redirect(url_for("key_sets.index_view"))
                except DomainError as err:
                    if err.field == "kinds":
                        form.count_entrance.errors = list(form.count_entrance.errors) + [err.message]
                    else:
                        show_refusal(form, err)
        return self.render("keys/form.html", form=form, title=_("Receive keys from the developer"),
                           submit=_("Register receipt"), form_id="receipt-form", several=len(communities) > 1,
                           back=self.get_url(".index_view"),
                           intro=_("One key set per room and kind is registered for the whole building; rooms "
                                   "that already have a key set of a kind keep it."))


# --- loans ---

class LendForm(FlaskForm):
    """钥匙借用登记表: who borrows which key, why, until when."""
    community = SelectField(_l("Community"), choices=[], validators=[Optional()])
    label_code = StringField(_l("Label code"), validators=[Optional(), Length(max=40)])
    borrower_kind = SelectField(_l("Borrower is"), choices=BORROWER_KINDS, default="contractor")
    borrower_name = StringField(_l("Borrower"), validators=[Optional(), Length(max=60)])
    borrower_id_number = StringField(_l("Borrower's ID number"), validators=[Optional(), Length(max=30)],
                                     description=_l("From the ID the borrower shows"))
    purpose = StringField(_l("Purpose"), validators=[Optional(), Length(max=300)])
    expected_return_at = TypedDateTimeField(
        _l("Expected return"), validators=[Optional()],
        description=_l("Contractors and repair staff return the key today; left empty: by the end of the day. "
                       "The sales department's loan waits for its supervisor's signature."))


class ReturnForm(FlaskForm):
    community = SelectField(_l("Community"), choices=[], validators=[Optional()])
    label_code = StringField(_l("Label code"), validators=[Optional(), Length(max=40)])
    note = StringField(_l("Return note"), validators=[Optional(), Length(max=300)])


class SignatureForm(StepForm):
    signed_by = StringField(_l("Supervisor's signature"), validators=[DataRequired(), Length(max=60)],
                            description=_l("The name of the sales department's supervisor who signed the form"))


class ReturnStepForm(StepForm):
    note = StringField(_l("Return note"), validators=[Optional(), Length(max=300)])


class ChaseForm(StepForm):
    note = TextAreaField(_l("Note"), validators=[DataRequired(), Length(max=500)],
                         description=_l("Whom you called or visited and what they said"))


class CancelForm(StepForm):
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=300)])


def _lend(community, form):
    """The lend form's step: the loan, and what to say (a sales loan waits for its signature)."""
    due = form.expected_return_at.data
    loan = lend(find_key_set(community, form.label_code.data), _actor(), form.borrower_name.data,
                form.borrower_id_number.data, form.borrower_kind.data, form.purpose.data,
                to_utc(due, zone_of(community)) if due else None)
    if loan.state == "awaiting_signature":
        return loan, _("Loan of %(label)s registered: record the supervisor's signature before handing out the "
                       "key.", label=loan.label_code), "warning"
    return loan, _("Key %(label)s lent to %(who)s until %(due)s.", label=loan.label_code, who=loan.borrower_name,
                   due=local_text(loan.expected_return_at, community)), "success"


def _take_back(community, form):
    loan = return_by_label(community, form.label_code.data, _actor(), form.note.data)
    return loan, _("Key %(label)s is back in the cabinet.", label=loan.label_code), "success"


class KeyLoanView(StepPageMixin, EstateModelView):
    area = AREA
    step_forms = {"approve": SignatureForm, "return_key": ReturnStepForm, "chase": ChaseForm, "cancel": CancelForm}
    list_template = "keys/loan_list.html"
    details_template = "keys/loan_details.html"
    column_list = ["state", "label_code", "room_code", "borrower_name", "borrower_kind", "purpose", "lent_at",
                   "expected_return_at", "returned_at"]
    column_details_list = ["community", "label_code", "room_code", "key_kind", "key_count", "borrower_name",
                           "borrower_kind", "borrower_id_number", "purpose", "state", "requested_at", "signed_by",
                           "lent_at", "lent_by_name", "expected_return_at", "returned_at", "returned_to",
                           "return_note", "chases"]
    column_export_list = ["community", "label_code", "room_code", "borrower_name", "borrower_kind", "purpose", "state",
                          "lent_at", "expected_return_at", "returned_at", "lent_by_name", "returned_to"]
    column_formatters = {"state": lambda v, c, m, n: state_badge(m, LOAN_COLOURS), "label_code": _key_set_link,
                         "expected_return_at": _due_cell, "chases": _chases_cell}
    column_formatters_export = {"state": lambda v, c, m, n: m.state_label,
                                "borrower_kind": lambda v, c, m, n: m.borrower_kind_label}
    column_default_sort = ("requested_at", True)
    column_sortable_list = ["expected_return_at", "lent_at", "state"]
    column_searchable_list = ["label_code", "room_code", "borrower_name"]
    search_hint = _l("Label, room or borrower")
    row_steps = ("return_key", "chase")
    can_create = can_edit = can_delete = False

    def __init__(self, *args, **kwargs):
        self.column_filters = [
            FilterEqual("state", _l("State"), options=[(k, v) for k, v in LOAN_STATES if k != "new"]),
            FilterEqual("borrower_kind", _l("Borrower is"), options=BORROWER_KINDS),
            FilterEqual("building_no", _l("Building no.")),
        ]
        super().__init__(*args, **kwargs)

    def get_query(self):
        return KeyLoan.objects.for_user(current_user).filter(state__ne="new")

    def step_summary(self, record) -> list:
        return [(_("Label code"), record.label_code), (_("Room"), record.room_code),
                (_("Borrower"), f"{record.borrower_name} ({record.borrower_kind_label})"),
                (_("Purpose"), record.purpose),
                (_("Expected return"), local_text(record.expected_return_at, record.community)),
                (_("State"), record.state_label)]

    def _form_page(self, form, communities, title, submit, form_id, intro=None):
        return self.render("keys/form.html", form=form, title=title, submit=submit, form_id=form_id,
                           several=len(communities) > 1, back=self.get_url(".index_view"), intro=intro)

    def _label_form_view(self, form_class, right, act, title, submit, form_id, intro=None):
        """A register form that names a key set by its label (lend, take back): the role's right, the
        community, the label filled in from ``?key_set=…``; on a valid POST ``act(community, form)``
        takes the step in documents/keys.py and returns (loan, message, category) — its refusal is
        shown on the field it names, nothing typed is lost."""
        if not can(AREA, right):
            abort(403)
        communities = user_communities()
        form = form_class(request.form if request.method == "POST" else None)
        form.community.choices = community_choices(communities)
        if request.method == "GET" and request.args.get("key_set"):
            key_set = scoped_or_404(KeySet, request.args.get("key_set"))
            form.label_code.data, form.community.data = key_set.label_code, str(key_set.community.pk)
        elif request.method == "POST" and form.validate():
            try:
                loan, message, category = act(_chosen_community(communities, form.community.data), form)
                flash(message, category)
                return redirect(self.get_url(".details_view", id=str(loan.pk)))
            except DomainError as err:
                show_refusal(form, err)
        return self._form_page(form, communities, title, submit, form_id, intro=intro)

    @expose("/lend/", methods=("GET", "POST"))
    def lend_view(self):
        return self._label_form_view(LendForm, "action:lend", _lend, _("Lend a key"), _("Lend key"), "lend-form",
                                     intro=_("Check the borrower's ID; the borrower signs the key loan form."))

    @expose("/return/", methods=("GET", "POST"))
    def return_view(self):
        return self._label_form_view(ReturnForm, "action:return_key", _take_back, _("Take a key back"),
                                     _("Take key back"), "return-form")

    @expose("/overdue/", methods=("GET",))
    def overdue_view(self):
        if not can(AREA, "list"):
            abort(403)
        loans = list(overdue_loans(_actor()).order_by("expected_return_at").limit(200))
        return self.render("keys/overdue.html", loans=loans, count=overdue_count(_actor()),
                           may_chase=can(AREA, "action:chase"),
                           local=lambda loan, at: local_text(at, loan.community))

    @expose("/print/", methods=("GET",))
    def print_view(self):
        """The key loan form (钥匙借用登记表), A4, in Chinese or English, with signature lines."""
        if not can(AREA, "details"):
            abort(403)
        loan = scoped_or_404(KeyLoan, request.args.get("id"))
        lang = print_language()
        with force_locale(lang):
            return self.render("keys/loan_form.html", lang=lang, loan=loan, community=loan.community,
                               printed_at=clock.now(), local=lambda at: local_text(at, loan.community) if at else "",
                               same_day_end=local_text(end_of_today(loan.community), loan.community))


class KeyMovementView(EstateModelView):
    area = AREA
    column_list = ["at", "label_code", "room_code", "kind", "person", "actor_name", "note"]
    column_default_sort = ("at", True)
    column_sortable_list = ["at"]
    column_searchable_list = ["label_code", "room_code"]
    search_hint = _l("Label or room")
    can_create = can_edit = can_delete = False
    can_view_details = False

    def __init__(self, *args, **kwargs):
        self.column_filters = [FilterEqual("kind", _l("Movement"), options=[
            ("receive", _l("Received from the developer")), ("issue", _l("Issued to the owner")),
            ("lend", _l("Lent")), ("return", _l("Returned")), ("lost", _l("Reported lost"))])]
        super().__init__(*args, **kwargs)


def register(admin):
    category = _l("Keys")
    admin.add_view(KeySetView(KeySet, name=_l("Key register"), category=category, endpoint="key_sets"))
    admin.add_view(KeyLoanView(KeyLoan, name=_l("Key loans"), category=category, endpoint="key_loans"))
    admin.add_view(KeyReceiptView(KeyReceipt, name=_l("Keys received"), category=category, endpoint="key_receipts"))
    admin.add_view(KeyMovementView(KeyMovement, name=_l("Key movements"), category=category,
                                   endpoint="key_movements"))

