"""Access requests to archives (asked by anyone, decided by the manager) and the access register."""
from datetime import datetime, time

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from admin_views.filters import community_choices
from admin_views.base import EstateModelView, scoped_or_404, show_refusal, user_communities
from admin_views.datetimes import TypedDateField
from admin_views.steps import StepForm, StepPageMixin, state_badge
from app import clock
from app.permissions import can
from documents.archive_access import LEVEL_CHOICES, AccessRecord, AccessRequest
from documents.base import DomainError
from documents.deadlines import to_local, to_utc, zone_of
from documents.residents import Household

STATE_COLOURS = {"requested": "warning", "approved": "success", "rejected": "secondary"}


class AskForm(FlaskForm):
    community = SelectField(_l("Community"), choices=[], validators=[Optional()])
    level = SelectField(_l("Level asked for"), choices=LEVEL_CHOICES, default="full")
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=500)],
                           description=_l("What you need the archive for, e.g. the case or the owner's request"))
    starts_on = TypedDateField(_l("From"), validators=[DataRequired()])
    ends_on = TypedDateField(_l("Until"), validators=[DataRequired()])


class DecisionForm(StepForm):
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=500)])


class AccessRequestView(StepPageMixin, EstateModelView):
    area = "archive_access"
    step_forms = {"approve": DecisionForm, "reject": DecisionForm}
    column_list = ["state", "requester_name", "room_code", "level", "reason", "starts_at", "ends_at",
                   "decided_by"]
    column_details_list = ["community"] + column_list + ["decided_at", "decision_note"]
    column_export_list = column_details_list
    column_labels = {"room_code": _l("Archive")}
    column_default_sort = ("starts_at", True)
    column_sortable_list = ["starts_at", "state"]
    column_formatters = {"state": lambda v, c, m, n: state_badge(m, STATE_COLOURS),
                         "room_code": lambda v, c, m, n: m.room_code or _("All archives of the community")}
    column_formatters_export = {"room_code": column_formatters["room_code"]}

    can_create = False  # asked from the household page or the "Request access" form (ask_view)

    can_edit = False
    can_delete = False

    def get_query(self):
        """The manager reviews the requests of their communities; anyone else sees their own."""
        query = AccessRequest.objects.for_user(current_user).filter(state__ne="new")
        return query if can(self.area, "review") else query.filter(requested_by=current_user.pk)

    @expose("/ask/", methods=("GET", "POST"))
    def ask_view(self):
        if not can(self.area, "action:request"):
            abort(403)
        household = scoped_or_404(Household, request.args.get("household")) \
            if request.args.get("household") else None
        form = AskForm(request.form if request.method == "POST" else None)
        communities = user_communities()
        form.community.choices = community_choices(communities)
        if request.method == "GET":
            today = to_local(clock.now(), zone_of(household.community if household else
                                                   (communities[0] if communities else None))).date()
            form.starts_on.data = form.starts_on.data or today
            form.ends_on.data = form.ends_on.data or today
        elif form.validate():
            community = household.community if household else next(
                (c for c in communities if str(c.pk) == form.community.data), None)
            if community is None:
                form.community.errors = [_("Choose the community.")]
            else:
                zone = zone_of(community)
                try:
                    AccessRequest.ask(current_user._get_current_object(), community, household, form.level.data,
                                      form.reason.data, to_utc(datetime.combine(form.starts_on.data, time.min), zone),
                                      to_utc(datetime.combine(form.ends_on.data, time(23, 59, 59)), zone))
                    flash(_("Your request was sent to the office director for approval."), "success")
                    return redirect(self.get_url("households.details_view", id=str(household.pk))
                                    if household else self.get_url(".index_view"))
                except DomainError as err:
                    err.field = {"starts_at": "starts_on", "ends_at": "ends_on"}.get(err.field, err.field)
                    show_refusal(form, err)
        return self.render("residents/ask_access.html", form=form, household=household)

    def step_summary(self, record) -> list:
        return [(_("Requested by"), record.requester_name), (_("Archive"), record.room_code or
                                                              _("All archives of the community")),
                (_("Level asked for"), dict(LEVEL_CHOICES).get(record.level, record.level)),
                (_("Reason"), record.reason), (_("State"), record.state_label)]


class AccessRegisterView(EstateModelView):
    area = "access_register"
    can_view_details = False
    can_edit = False
    can_delete = False

    can_create = False

    column_list = ["at", "staff_name", "room_code", "what", "why", "ip"]
    column_export_list = ["at", "community", "staff_name", "room_code", "what", "why", "ip"]
    column_default_sort = ("at", True)
    column_sortable_list = ["at"]
    list_select_related = False

    def __init__(self, *args, **kwargs):
        from flask_admin.contrib.mongoengine.filters import FilterEqual
        self.column_filters = [FilterEqual("staff_name", _l("Staff")), FilterEqual("room_code", _l("Room"))]
        super().__init__(*args, **kwargs)


def register(admin):
    admin.add_view(AccessRequestView(AccessRequest, name=_l("Access requests"), category=_l("Residents"),
                                     endpoint="access_requests"))
    admin.add_view(AccessRegisterView(AccessRecord, name=_l("Access register"), category=_l("Residents"),
                                      endpoint="access_register"))
