"""Admin views of community events: plans, events, venues, bookings, sign-ups, calendar, records.

Views stay thin: every state change is a step of the document's workflow, taken on the one step
page (admin_views/steps.py) whose buttons come from the document; what differs per step is its
form here. Custom routes (photos, feedback, the sign-up sheet) check the permission server side
and load the record through the user's community scope (another community's id gives 404).
"""
import calendar
import io
from datetime import date, datetime, timedelta

from bson import ObjectId
from flask import abort, flash, redirect, request, send_file
from flask_admin import expose
from flask_admin.contrib.mongoengine.filters import FilterEqual
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from mongoengine import ValidationError
from wtforms import TextAreaField
from wtforms.validators import InputRequired, Length

from admin_views.base import (CommunityFormMixin, EstateModelView, SecurePage, household_loader, masked_phone,
                              scoped_or_404)
from admin_views.exports import safe_cell
from admin_views.files import read_upload, send_stored_file
from admin_views.filters import CommunityFilter, LocalDateBetweenFilter, ReferenceFilter
from admin_views.steps import ConfirmStepForm, StepForm, StepPageMixin
from app import clock
from app.permissions import can
from documents import audit
from documents.base import DomainError
from documents.bilingual import to_local, to_utc
from documents.deadlines import local_text
from documents.events import (AREA, BOOKING_STATES, EVENT_STATES, EVENT_TYPES, FIRST_YEAR, LAST_YEAR,
                              PHOTO_UPLOAD, PLAN_STATES, SIGNUP_STATES, AnnualPlan, Event, EventPhoto,
                              SignUp, Venue, VenueBooking)
from documents.money import money_text
from documents.places import Community, parse_room_code
from documents.residents import Household


def staff():
    """The acting Staff document (document rules take it, not the proxy)."""
    return current_user._get_current_object()


def flash_error(err: DomainError):
    flash(err.message, "error")


# --- filters -----------------------------------------------------------------------------------

def event_choices():
    """Sign-ups are filtered by the user's events of the last months and the coming ones."""
    since = clock.now() - timedelta(days=120)
    events = Event.objects.for_user(current_user).filter(start__gte=since, state__in=["published", "held",
                                                                                "recorded", "cancelled"])
    return [(str(e.pk), f"{local_text(e.start, e.community, '%m-%d')} {e.title}")
            for e in events.order_by("start").limit(200)]


# --- the forms of the steps that need input ----------------------------------------------------

class ReasonForm(StepForm):
    """Reject, withdraw: the reason is required by the document."""
    reason = TextAreaField(_l("Reason"), validators=[Length(max=500)])


class CancelEventForm(ReasonForm):
    @classmethod
    def warnings_after(cls, record, outcome) -> list[str]:
        if not outcome:
            return []
        return [_("Please inform %(n)d signed-up households; they are listed on the event page.", n=len(outcome))]


class SummaryForm(StepForm):
    summary = TextAreaField(_l("Summary"), validators=[Length(max=10000)],
                            description=_l("Summary: attendance, what happened, what to improve"))


class CancelBookingForm(StepForm):
    reason = TextAreaField(_l("Reason for cancelling"), validators=[Length(max=500)],
                           description=_l("Optional"))


class CancelSignUpForm(ConfirmStepForm):
    def done_message(self, record, outcome) -> str:
        return _("The sign-up of %(household)s was cancelled.", household=str(record.household))

    @classmethod
    def warnings_after(cls, record, outcome) -> list[str]:
        return [_("%(household)s moved up from the waiting list; please let them know.",
                  household=str(moved.household)) for moved in outcome or []]


# --- the shared base of this area's views -------------------------------------------------------

class EventsAreaView(EstateModelView):
    """Views of the events area. `verbs` maps Flask-Admin's rights to this area's permissions,
    so that e.g. creating a sign-up needs `action:sign_up`, not the right to create events
    ("never": no role may, e.g. edit a sign-up)."""

    area = AREA
    verbs: dict = {}

    def allowed(self, perm: str) -> bool:
        return can(self.area, self.verbs.get(perm, perm))


def _title(view, context, model, name):
    return model.title


# --- annual plans ------------------------------------------------------------------------------

class AnnualPlanView(StepPageMixin, CommunityFormMixin, EventsAreaView):
    details_template = "events/plan_details.html"
    step_forms = {"reject": ReasonForm}
    row_steps = ("submit", "approve")
    column_list = ["year", "title", "budget", "planned", "state", "community"]
    column_details_list = ["community", "year", "title_zh", "title_en", "budget", "state",
                           "rejection_reason", "goals_zh", "goals_en", "decided_by", "decided_at"]
    column_sortable_list = ["year", "state"]
    column_default_sort = ("year", True)
    column_filters = [CommunityFilter(), FilterEqual("state", _l("State"), options=PLAN_STATES),
                      FilterEqual("year", _l("Year"))]
    form_columns = ["community", "year", "title_zh", "title_en", "budget", "goals_zh", "goals_en"]
    column_labels = {"title": _l("Title"),
                     "planned": _l("Planned in events"),
                     }
    column_formatters = {"title": _title, "planned": lambda v, c, m, n: money_text(m.planned_total())}

    def on_model_change(self, form, model, is_created):
        if is_created:
            model.created_by = staff()

    def on_model_delete(self, model):
        if not model.can_delete():
            raise DomainError(_("Only a draft plan without events can be deleted."))

    def step_summary(self, plan) -> list:
        return [(_("Annual plan"), str(plan)), (_("Budget (yuan)"), money_text(plan.budget)),
                (_("Planned in events"), money_text(plan.planned_total())), (_("State"), plan.state_label)]

    def details_extra(self, plan):
        extra = super().details_extra(plan)
        extra.update(plan_events=list(plan.events()), planned=plan.planned_total(), local_text=local_text)
        return extra


# --- events ------------------------------------------------------------------------------------

class EventView(StepPageMixin, CommunityFormMixin, EventsAreaView):
    local_time_fields = ("start", "end")
    details_template = "events/event_details.html"
    step_forms = {"reject": ReasonForm, "cancel": CancelEventForm, "record": SummaryForm}
    #: the list offers the steps that need no input; the others are on the event's page
    row_steps = ("submit", "approve", "revise", "publish", "mark_held")
    column_list = ["start", "title", "event_type", "where", "places", "state", "community"]
    column_details_list = ["community", "plan", "title_zh", "title_en", "event_type", "start", "end",
                           "venue", "place", "capacity", "taken", "budget", "organiser",
                           "target_buildings", "state", "rejection_reason", "cancel_reason",
                           "description_zh", "description_en", "summary", "created_by", "decided_by"]
    column_export_list = ["start", "end", "title", "event_type", "where", "capacity", "taken", "budget",
                          "organiser", "state"]
    column_sortable_list = ["start", "state", "event_type"]
    column_default_sort = ("start", True)
    column_searchable_list = ["title_zh", "title_en", "organiser"]
    search_hint = _l("Title or organiser")
    column_filters = [
        CommunityFilter(),
        FilterEqual("state", _l("State"), options=EVENT_STATES),
        FilterEqual("event_type", _l("Type"), options=EVENT_TYPES),
        LocalDateBetweenFilter("start", _l("Date")),
    ]
    form_columns = ["community", "plan", "title_zh", "title_en", "event_type", "start", "end", "venue",
                    "place", "capacity", "budget", "organiser", "target_buildings", "description_zh",
                    "description_en"]
    form_args = {
        "target_buildings": {"allow_blank": True, "blank_text": _l("All buildings"),
                             "description": _l("Empty: households of every building may sign up")},
        "start": {"description": _l("Local time of the community, e.g. 2026-09-25 19:00:00")},
        "title_zh": {"description": _l("Either title may be empty; the other language is shown then.")},
    }
    column_labels = {
        "title": _l("Title"),
        "where": _l("Venue"), "places": _l("Places (taken / capacity)"),
    }
    column_formatters = {
        "title": _title, "where": lambda v, c, m, n: m.where,
        "places": lambda v, c, m, n: f"{m.taken or 0} / {m.capacity or 0}",
    }
    column_formatters_detail = dict(column_formatters, **{
        "target_buildings": lambda v, c, m, n: ", ".join(b.number for b in m.target_buildings),
    })
    column_formatters_export = column_formatters

    def on_model_change(self, form, model, is_created):
        self.store_local_times(model)
        model.target_buildings = model.target_buildings or []
        if is_created:
            model.created_by = staff()
            model.state = "draft"

    def after_model_change(self, form, model, is_created):
        if not is_created:
            promoted = model.promote_waiting(staff())
            if promoted:
                flash(_("%(n)d households moved up from the waiting list.", n=len(promoted)), "success")

    def on_model_delete(self, model):
        if not model.can_delete():
            raise DomainError(_("Only a draft without sign-ups can be deleted; cancel the event instead."))

    def step_summary(self, event) -> list:
        return [(_("Event"), event.title),
                (_("Start"), f"{local_text(event.start, event.community)} – "
                             f"{local_text(event.end, event.community, '%H:%M')}"),
                (_("Venue"), event.where), (_("Places (taken / capacity)"), f"{event.taken or 0} / {event.capacity}"),
                (_("State"), event.state_label)]

    def details_extra(self, event):
        extra = super().details_extra(event)
        user = staff()
        extra.update(
            event=event, user=user, signups=list(event.signups().select_related(max_depth=1)),
            photos=list(event.photos()), feedback=list(event.feedback()),
            average=event.feedback_average(), local_text=local_text,
            phone=lambda value: masked_phone(AREA, value or ""),
            can_sign_up=event.may_sign_up(user), can_record=event.may_add_records(user),
            can_export=self.allowed("export"), to_call=event.households_to_call(),
        )
        return extra

    # --- photos (GridFS), served only through this scoped view ---
    @expose("/photo/")
    def photo(self):
        photo = scoped_or_404(EventPhoto, request.args.get("id"))
        if request.args.get("size") == "thumb":
            return send_stored_file(photo, "thumbnail", mimetype="image/jpeg",
                                    download_name=f"photo-{photo.pk}.jpg", max_age=3600)
        return send_stored_file(photo, "image", max_age=3600)

    @expose("/photos/add/", methods=("POST",))
    def add_photo(self):
        if not self.allowed("action:add_record"):
            abort(403)
        event = scoped_or_404(Event, request.form.get("id"))
        upload = request.files.get("photo")
        try:
            event.add_photo(staff(), read_upload(upload, PHOTO_UPLOAD), request.form.get("caption", ""),
                            upload.filename if upload else "")
        except DomainError as err:
            flash_error(err)
        else:
            flash(_("The photo was added."), "success")
        return redirect(self.get_url(".details_view", id=str(event.pk)) + "#photos")

    @expose("/photos/delete/", methods=("POST",))
    def delete_photo(self):
        if not self.allowed("action:add_record"):
            abort(403)
        photo = scoped_or_404(EventPhoto, request.form.get("photo"))
        event_id = str(photo.event.pk)
        try:
            photo.remove(staff())
        except DomainError as err:
            flash_error(err)
        else:
            flash(_("The photo was deleted."), "success")
        return redirect(self.get_url(".details_view", id=event_id) + "#photos")

    @expose("/feedback/add/", methods=("POST",))
    def add_feedback(self):
        if not self.allowed("action:add_record"):
            abort(403)
        event = scoped_or_404(Event, request.form.get("id"))
        back = redirect(self.get_url(".details_view", id=str(event.pk)) + "#feedback")
        typed = request.form.get("room", "").strip()
        household = None
        if typed:
            code = parse_room_code(typed)
            household = Household.objects(community=event.community, room_codes=code,
                                          status="current").first() if code else None
            if household is None:
                flash(_("No current household with room %(code)s.", code=typed[:20]), "error")
                return back
        try:
            event.add_feedback(staff(), request.form.get("rating"), request.form.get("comment", ""),
                               household=household, resident_name=request.form.get("resident_name", ""))
        except DomainError as err:
            flash_error(err)
        else:
            flash(_("The feedback was recorded."), "success")
        return back


# --- venues and bookings -----------------------------------------------------------------------

class VenueView(CommunityFormMixin, EventsAreaView):
    verbs = {"create": "action:edit_venues", "edit": "action:edit_venues", "delete": "action:edit_venues"}
    column_list = ["name", "location", "capacity", "active", "community"]
    column_details_list = ["community", "name_zh", "name_en", "location", "capacity", "active"]
    form_columns = ["community", "name_zh", "name_en", "location", "capacity", "active"]
    column_filters = [CommunityFilter()]
    column_labels = {"name": _l("Name"),
                     }
    column_formatters = {"name": lambda v, c, m, n: str(m)}
    column_formatters_detail = {}

    def on_model_delete(self, model):
        if not model.can_delete():
            raise DomainError(_("The venue has bookings or events; mark it as not in use instead."))


class VenueBookingView(StepPageMixin, EventsAreaView):
    verbs = {"create": "action:book_venue", "edit": "never", "delete": "never"}
    details_template = "events/details.html"
    step_forms = {"cancel_booking": CancelBookingForm}
    bulk_steps = {"cancel_booking": _l("Cancel the selected bookings?")}
    column_list = ["venue", "start", "end", "purpose", "booked_for", "event", "state", "community"]
    column_details_list = ["community", "venue", "start", "end", "purpose", "booked_for", "contact_phone",
                           "event", "state", "cancel_reason", "created_by", "created_at"]
    form_columns = ["venue", "start", "end", "purpose", "booked_for", "contact_phone"]
    form_args = {"venue": {"validators": [InputRequired()]},
                 "start": {"description": _l("Local time of the community, e.g. 2026-09-25 19:00:00")}}
    column_sortable_list = ["start", "state"]
    column_default_sort = ("start", True)
    column_filters = [CommunityFilter(), FilterEqual("state", _l("State"), options=BOOKING_STATES),
                      LocalDateBetweenFilter("start", _l("Date"))]
    column_formatters = {"event": lambda v, c, m, n: m.event.title if m.event else "",
                         "purpose": lambda v, c, m, n: m.purpose_text}
    column_formatters_detail = dict(column_formatters, **{
        "contact_phone": lambda v, c, m, n: masked_phone(AREA, m.contact_phone or ""),
    })

    def record_problems(self, form, model, is_created):
        """A booking is made by its venue (`Venue.book`): the venue's checks and the booking's own
        (end after start, the phone) on the values the form put into `model`, all at once."""
        venue = model.venue
        if venue is None:
            return []
        model.community = venue.community
        model.start, model.end = (to_utc(value, venue.community) if value else None
                                  for value in (model.start, model.end))
        problems = venue.booking_problems(model.start, model.end)
        try:
            model.validate()
        except ValidationError as err:
            problems.append(err)
        return problems

    def create_model(self, form):
        venue = form.venue.data
        if venue is None or not Venue.objects.for_user(current_user).filter(pk=venue.pk).first():
            flash(_("Choose a venue of your community."), "error")
            return False
        if self.draft_refused(form):
            return False
        try:
            return venue.book(to_utc(form.start.data, venue.community), to_utc(form.end.data, venue.community),
                              staff(), purpose=form.purpose.data, booked_for=form.booked_for.data,
                              contact_phone=form.contact_phone.data)
        except (DomainError, ValidationError) as err:
            return self._refuse(form, err, create=True)

    def step_summary(self, booking) -> list:
        return [(_("Venue"), str(booking.venue)),
                (_("Start"), f"{local_text(booking.start, booking.community)} – "
                             f"{local_text(booking.end, booking.community, '%H:%M')}"),
                (_("Purpose"), booking.describe()), (_("State"), booking.state_label)]


# --- sign-ups ----------------------------------------------------------------------------------

def _signup_household(view, context, model, name):
    return model.household.name if model.household else ""


def _signup_room(view, context, model, name):
    return model.household.room_code if model.household else ""


class SignUpView(StepPageMixin, EventsAreaView):
    verbs = {"create": "action:sign_up", "edit": "never", "delete": "never"}
    details_template = "events/details.html"
    step_forms = {"cancel_signup": CancelSignUpForm}
    row_steps = ("attend", "cancel_signup")
    bulk_steps = {"cancel_signup": _l("Cancel the selected sign-ups?"),
                  "attend": _l("Tick attendance of the selected sign-ups?")}
    column_list = ["event", "room", "household", "people", "contact_phone", "state", "attended", "created_at"]
    column_details_list = ["community", "event", "room", "household", "people", "contact_phone", "state",
                           "position", "attended", "attended_at", "created_by", "created_at", "cancelled_at"]
    column_export_list = ["event", "room", "household", "people", "contact_phone", "state", "attended",
                          "created_at"]
    form_columns = ["event", "household", "people", "contact_phone"]
    form_args = {"event": {"validators": [InputRequired()]}, "household": {"validators": [InputRequired()]},
                 "people": {"default": 1},
                 "contact_phone": {"description": _l("Empty: the first phone of the archive is used")}}
    column_sortable_list = ["created_at", "state"]
    column_default_sort = ("created_at", True)
    column_filters = [ReferenceFilter("event", _l("Event"), choices=event_choices),
                      FilterEqual("state", _l("State"), options=SIGNUP_STATES),
                      FilterEqual("attended", _l("Attended"), options=[("1", _l("Yes")), ("0", _l("No"))]),
                      CommunityFilter()]
    column_labels = {"room": _l("Room"),
                     }
    column_formatters = {
        "event": lambda v, c, m, n: m.event.title if m.event else "",
        "room": _signup_room, "household": _signup_household,
        "contact_phone": lambda v, c, m, n: masked_phone(AREA, m.contact_phone or ""),
        "attended": lambda v, c, m, n: _("Yes") if m.attended else "",
    }
    column_formatters_export = column_formatters

    def __init__(self, *args, **kwargs):
        self.form_ajax_refs = {
            "household": household_loader(_l("Type a room code or a name, e.g. 3-2-12")),
        }
        super().__init__(*args, **kwargs)

    def create_form(self, obj=None):
        form = super().create_form(obj)
        form.event.queryset = Event.objects.for_user(current_user).filter(state="published").order_by("start")
        chosen = request.args.get("event")
        if chosen and not form.event.data and ObjectId.is_valid(chosen):
            form.event.data = form.event.queryset.filter(pk=chosen).first()
        return form

    def record_problems(self, form, model, is_created):
        """A sign-up is made by its event (`Event.sign_up`): that method's checks on the values the
        form put into `model`, all at once."""
        if model.event is None:
            return []
        return model.event.sign_up_problems(model.household, model.people, model.contact_phone)

    def create_model(self, form):
        event = form.event.data
        if event is None or not Event.objects.for_user(current_user).filter(pk=event.pk).first():
            flash(_("Choose a published event of your community."), "error")
            return False
        if self.draft_refused(form):
            return False
        try:
            signup = event.sign_up(form.household.data, form.people.data, form.contact_phone.data, staff())
        except (DomainError, ValidationError) as err:
            return self._refuse(form, err, create=True)
        if signup.state == "confirmed":
            flash(_("%(household)s is signed up (%(n)d people).", household=str(signup.household),
                    n=signup.people), "success")
        else:
            flash(_("The event is full: %(household)s is number %(n)d on the waiting list.",
                    household=str(signup.household), n=signup.waiting_number()), "warning")
        return signup

    def get_save_return_url(self, model, is_created=False):
        return self.get_url("events.details_view", id=str(model.event.pk)) + "#signups"

    def step_summary(self, signup) -> list:
        household = signup.household
        return [(_("Event"), signup.event.title),
                (_("Household"), f"{household.room_code} {household.name}" if household else ""),
                (_("Number of people"), signup.people), (_("State"), signup.state_label)]

    # --- the sign-up sheet of one event as an Excel workbook ---
    @expose("/export-event/")
    def export_event(self):
        if not self.allowed("export"):
            abort(403)
        event = scoped_or_404(Event, request.args.get("event"))
        signups = list(SignUp.objects(event=event).order_by("position").select_related(max_depth=1))
        data = signups_workbook(event, signups)
        name = f"signups-{local_text(event.start, event.community, '%Y%m%d')}-{event.pk}.xlsx"
        audit.record("export_signups", event, note=str(len(signups)), actor=staff())
        return send_file(io.BytesIO(data), as_attachment=True, download_name=name,
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def signups_workbook(event, signups) -> bytes:
    """The event's sign-up sheet: a title block, translated headers, one row per household."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = _("Sign-ups")[:31]
    sheet.append([safe_cell(event.title)])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([f"{local_text(event.start, event.community)} – {local_text(event.end, event.community, '%H:%M')}",
                  safe_cell(event.where)])
    sheet.append([_("Places (taken / capacity)"), f"{event.taken or 0} / {event.capacity}"])
    sheet.append([])
    headers = [_("No."), _("Room"), _("Household"), _("Number of people"), _("Contact phone"), _("State"),
               _("Waiting list no."), _("Attended"), _("Signed up at")]
    sheet.append(headers)
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    waiting_no = 0
    for index, signup in enumerate(signups, start=1):
        if signup.state == "waiting":
            waiting_no += 1
        sheet.append([safe_cell(value) for value in (
            index, signup.household.room_code if signup.household else "",
            signup.household.name if signup.household else "", signup.people,
            masked_phone(AREA, signup.contact_phone or ""), signup.state_label,
            waiting_no if signup.state == "waiting" else None,
            _("Yes") if signup.attended else _("No"),
            to_local(signup.created_at, event.community).replace(tzinfo=None),
        )])
        sheet.cell(row=sheet.max_row, column=9).number_format = "yyyy-mm-dd hh:mm"
    for column, width in enumerate([6, 12, 18, 10, 16, 12, 10, 8, 18], start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- calendar ----------------------------------------------------------------------------------

def month_shown(raw: str | None, today: date) -> tuple[date, str | None]:
    """The first day of the month asked for (`YYYY-MM`), or of today's month and why."""
    if not raw:
        return today.replace(day=1), None
    try:
        year, month = (int(part) for part in raw.split("-"))
        if FIRST_YEAR <= year <= LAST_YEAR:
            return date(year, month, 1), None
    except ValueError:
        pass
    return today.replace(day=1), _("“%(month)s” is not a month the calendar can show (a year from %(first)d to "
                                   "%(last)d and a month, e.g. 2026-05); here is the current month.",
                                   month=raw[:20], first=FIRST_YEAR, last=LAST_YEAR)


class EventCalendarView(SecurePage):
    """A month at a glance: events and venue bookings per day, in the community's local time."""

    area = AREA

    @expose("/")
    def index(self):
        communities = list(Community.objects.for_user(current_user))
        community = self._community(communities)
        today = to_local(clock.now(), community).date() if community else clock.now().date()
        first, problem = month_shown(request.args.get("month"), today)
        if problem:
            flash(problem, "warning")
        weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
        days = {day: [] for week in weeks for day in week}
        if community is not None:
            self._fill(days, community, weeks[0][0], weeks[-1][-1] + timedelta(days=1))
        for items in days.values():
            items.sort(key=lambda item: item["start"])
        previous = (first - timedelta(days=1)).replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return self.render("events/calendar.html", weeks=weeks, days=days, first=first, today=today,
                           community=community, communities=communities, previous=previous,
                           following=following, weekdays=weekday_names(),
                           can_create=can(AREA, "create"), can_book=can(AREA, "action:book_venue"))

    @staticmethod
    def _community(communities):
        raw = request.args.get("community")
        if raw and ObjectId.is_valid(raw):
            chosen = next((c for c in communities if str(c.pk) == raw), None)
            if chosen is not None:
                return chosen
        return communities[0] if communities else None

    def _fill(self, days, community, first_day, after_last_day):
        start = to_utc(datetime.combine(first_day, datetime.min.time()), community)
        end = to_utc(datetime.combine(after_last_day, datetime.min.time()), community)
        events = Event.objects(community=community, start__lt=end, end__gt=start,
                               state__nin=["rejected"]).select_related(max_depth=1)
        for event in events:
            self._place(days, event.local_start(), event.local_end(), {
                "kind": "event", "state": event.state, "state_label": event.state_label,
                "title": event.title, "where": event.where, "start": event.local_start(),
                "url": self.get_url("events.details_view", id=str(event.pk)),
                "places": f"{event.taken or 0}/{event.capacity}"})
        bookings = VenueBooking.objects(community=community, state="booked", event=None,
                                        start__lt=end, end__gt=start).select_related(max_depth=1)
        for booking in bookings:
            local_start, local_end = to_local(booking.start, community), to_local(booking.end, community)
            self._place(days, local_start, local_end, {
                "kind": "booking", "state": booking.state, "state_label": booking.state_label,
                "title": booking.purpose or booking.booked_for or _("Booking"), "where": str(booking.venue),
                "start": local_start,
                "url": self.get_url("venuebookings.details_view", id=str(booking.pk))})

    @staticmethod
    def _place(days, local_start, local_end, item):
        day = local_start.date()
        last = (local_end - timedelta(microseconds=1)).date() if local_end > local_start else day
        while day <= last:
            if day in days:
                days[day].append(item)
            day += timedelta(days=1)


def weekday_names():
    return [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]


def register(admin):
    category = _l("Community events")
    admin.add_view(EventView(Event, name=_l("Events"), category=category, endpoint="events"))
    admin.add_view(EventCalendarView(name=_l("Calendar"), category=category, endpoint="event_calendar"))
    admin.add_view(SignUpView(SignUp, name=_l("Sign-ups"), category=category, endpoint="signups"))
    admin.add_view(AnnualPlanView(AnnualPlan, name=_l("Annual plans"), category=category,
                                  endpoint="eventplans"))
    admin.add_view(VenueBookingView(VenueBooking, name=_l("Venue bookings"), category=category,
                                    endpoint="venuebookings"))
    admin.add_view(VenueView(Venue, name=_l("Venues"), category=category, endpoint="venues"))
