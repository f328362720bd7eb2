"""Admin views of community events: plans, events, venues, bookings, sign-ups, calendar, records.

Views stay thin: every state change calls the document's rule and flashes its outcome. Custom
routes that change state are POST, check the permission server side and load the record through
the user's community scope (another community's id gives 404). Photos are served only here.
"""
import calendar
import io
from datetime import date, datetime, timedelta

from bson import ObjectId
from flask import abort, flash, redirect, request, send_file
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.mongoengine.filters import FilterEqual
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from mongoengine import ValidationError
from wtforms.validators import InputRequired

from admin_views.base import (CommunityFormMixin, EstateModelView, ScopedAjaxLoader, SecurePage, masked_phone,
                              money_cell, scoped_or_404)
from admin_views.files import read_upload, send_stored_file
from admin_views.filters import CommunityFilter, LocalDateBetweenFilter, ReferenceFilter
from app.permissions import can
from documents.base import DomainError
from documents.bilingual import current_language, to_local, to_utc
from documents.deadlines import local_text
from documents.events import (AREA, BOOKING_STATES, EVENT_STATES, EVENT_TYPES, PHOTO_UPLOAD,
                              PLAN_STATES, SIGNUP_STATES, AnnualPlan, Event, EventPhoto, SignUp,
                              Venue, VenueBooking, label)
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
    from app import clock
    since = clock.now() - timedelta(days=120)
    events = Event.objects.for_user(current_user).filter(start__gte=since, state__in=["published", "held",
                                                                                "recorded", "cancelled"])
    return [(str(e.pk), f"{local_text(e.start, e.community, '%m-%d')} {e.title}")
            for e in events.order_by("start").limit(200)]


TRANSITION_LABELS = {
    "submit": _l("Submit for approval"), "approve": _l("Approve"), "reject": _l("Reject"),
    "revise": _l("Reopen for changes"), "publish": _l("Publish"), "mark_held": _l("Mark as held"),
    "record": _l("Record summary"), "cancel": _l("Cancel event"),
}


# --- the shared base of this area's views -------------------------------------------------------

class EventsAreaView(EstateModelView):
    """Views of the events area. `verbs` maps Flask-Admin's rights to this area's permissions,
    so that e.g. creating a sign-up needs `action:sign_up`, not the right to create events
    ("never": no role may, e.g. edit a sign-up)."""

    area = AREA
    verbs: dict = {}
    list_template = "events/list.html"

    def allowed(self, perm: str) -> bool:
        return can(self.area, self.verbs.get(perm, perm))

    transition_labels = TRANSITION_LABELS
    #: transitions: name -> input the rule needs besides the user (None, "reason" or "summary")
    transitions: dict = {}
    #: state -> transitions offered in that state
    flow: dict = {}

    def offered(self, model, with_input=True):
        """The transitions this user may start on `model` now (name, label, input)."""
        out = []
        for name in self.flow.get(model.state, []):
            needs = self.transitions[name]
            if (not with_input and needs) or not self.timely(name, model):
                continue
            if self.allowed(f"action:{name}"):
                out.append((name, self.transition_labels[name], needs))
        return out

    def row_transitions(self, row):
        return self.offered(row, with_input=False)

    @expose("/transition/", methods=("POST",))
    def transition(self):
        name = request.form.get("name", "")
        if name not in self.transitions:
            abort(400)
        if not self.allowed(f"action:{name}"):
            abort(403)
        model = scoped_or_404(self.model, request.form.get("id"))
        needs = self.transitions[name]
        args = [request.form.get(needs, "")] if needs else []
        try:
            result = getattr(model, name)(staff(), *args)
        except DomainError as err:
            flash_error(err)
        else:
            flash(_("%(record)s: %(action)s.", record=str(model), action=self.transition_labels[name]),
                  "success")
            self.after_transition(name, model, result)
        target = request.form.get("next") or ""
        if target.startswith("/") and not target.startswith("//"):
            return redirect(target)
        return redirect(self.get_url(".details_view", id=str(model.pk)))

    def after_transition(self, name, model, result):
        pass

    def timely(self, name, model) -> bool:
        """Hide buttons whose time has not come (the rule refuses them anyway)."""
        return True




def _title(view, context, model, name):
    return model.title


def _state(view, context, model, name):
    return label(model.STATES, model.state)


def _community(view, context, model, name):
    return model.community.display_name(current_language()) if model.community else ""


# --- annual plans ------------------------------------------------------------------------------

class AnnualPlanView(CommunityFormMixin, EventsAreaView):
    details_template = "events/plan_details.html"
    column_list = ["year", "title", "budget", "planned", "state", "community"]
    column_details_list = ["community", "year", "title_zh", "title_en", "budget", "state",
                           "rejection_reason", "goals_zh", "goals_en", "decided_by", "decided_at"]
    column_sortable_list = ["year", "state"]
    column_default_sort = ("year", True)
    column_filters = [CommunityFilter(), FilterEqual("state", _l("State"), options=PLAN_STATES),
                      FilterEqual("year", _l("Year"))]
    form_columns = ["community", "year", "title_zh", "title_en", "budget", "goals_zh", "goals_en"]
    column_labels = {"year": _l("Year"), "title": _l("Title"), "budget": _l("Budget (yuan)"),
                     "planned": _l("Planned in events"), "state": _l("State"), "community": _l("Community"),
                     "title_zh": _l("Title (Chinese)"), "title_en": _l("Title (English)"),
                     "goals_zh": _l("Goals (Chinese)"), "goals_en": _l("Goals (English)"),
                     "rejection_reason": _l("Reason for rejection"), "decided_by": _l("Decided by"),
                     "decided_at": _l("Decided at")}
    column_formatters = {"title": _title, "state": _state, "community": _community, "budget": money_cell,
                         "planned": lambda v, c, m, n: money_text(m.planned_total())}
    column_formatters_detail = {"state": _state, "community": _community, "budget": money_cell,
                                "decided_at": lambda v, c, m, n: local_text(m.decided_at, m.community)}
    transitions = {"submit": None, "approve": None, "reject": "reason"}
    flow = {"draft": ["submit"], "rejected": ["submit"], "submitted": ["approve", "reject"]}

    def on_model_change(self, form, model, is_created):
        if is_created:
            model.created_by = staff()

    def on_model_delete(self, model):
        if model.state != "draft" or Event.objects(plan=model).first():
            raise DomainError(_("Only a draft plan without events can be deleted."))

    def details_extra(self, plan):
        return dict(plan_events=list(plan.events()), planned=plan.planned_total(),
                    transitions=self.offered(plan), local_text=local_text)


# --- events ------------------------------------------------------------------------------------

class EventView(CommunityFormMixin, EventsAreaView):
    local_time_fields = ("start", "end")
    details_template = "events/event_details.html"
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
        "start": _l("Start"), "end": _l("End"), "title": _l("Title"), "event_type": _l("Type"),
        "where": _l("Venue"), "places": _l("Places (taken / capacity)"), "state": _l("State"),
        "community": _l("Community"), "plan": _l("Annual plan"), "title_zh": _l("Title (Chinese)"),
        "title_en": _l("Title (English)"), "venue": _l("Venue"), "place": _l("Other place"),
        "capacity": _l("Capacity (people)"), "taken": _l("Places taken"), "budget": _l("Budget (yuan)"),
        "organiser": _l("Organiser"), "target_buildings": _l("Target buildings"),
        "rejection_reason": _l("Reason for rejection"), "cancel_reason": _l("Reason for cancelling"),
        "description_zh": _l("Description (Chinese)"), "description_en": _l("Description (English)"),
        "summary": _l("Summary"), "created_by": _l("Created by"), "decided_by": _l("Decided by"),
    }
    column_formatters = {
        "start": lambda v, c, m, n: local_text(m.start, m.community),
        "end": lambda v, c, m, n: local_text(m.end, m.community),
        "title": _title, "state": _state, "community": _community, "budget": money_cell,
        "event_type": lambda v, c, m, n: m.type_label,
        "where": lambda v, c, m, n: m.where,
        "places": lambda v, c, m, n: f"{m.taken or 0} / {m.capacity or 0}",
    }
    column_formatters_detail = dict(column_formatters, **{
        "target_buildings": lambda v, c, m, n: ", ".join(b.number for b in m.target_buildings),
        "created_by": lambda v, c, m, n: m.created_by.display_name if m.created_by else "",
        "decided_by": lambda v, c, m, n: m.decided_by.display_name if m.decided_by else "",
        "plan": lambda v, c, m, n: str(m.plan) if m.plan else "",
        "venue": lambda v, c, m, n: str(m.venue) if m.venue else "",
    })
    column_formatters_export = {
        "start": lambda v, c, m, n: local_text(m.start, m.community),
        "end": lambda v, c, m, n: local_text(m.end, m.community),
        "title": _title, "state": _state, "event_type": lambda v, c, m, n: m.type_label,
        "where": lambda v, c, m, n: m.where, "budget": lambda v, c, m, n: str(m.budget or ""),
    }
    transitions = {"submit": None, "approve": None, "reject": "reason", "revise": None, "publish": None,
                   "mark_held": None, "record": "summary", "cancel": "reason"}
    flow = {"draft": ["submit", "cancel"], "submitted": ["approve", "reject", "cancel"],
            "approved": ["publish", "cancel"], "rejected": ["revise", "cancel"],
            "published": ["mark_held", "cancel"], "held": ["record"]}

    def on_model_change(self, form, model, is_created):
        self.store_local_times(model)
        model.target_buildings = model.target_buildings or []
        if is_created:
            model.created_by = staff()
            model.state = "draft"

    def after_model_change(self, form, model, is_created):
        if not is_created and model.state == "published":
            promoted = model.promote_waiting(staff())
            if promoted:
                flash(_("%(n)d households moved up from the waiting list.", n=len(promoted)), "success")

    def on_model_delete(self, model):
        if not model.can_delete():
            raise DomainError(_("Only a draft without sign-ups can be deleted; cancel the event instead."))

    def timely(self, name, model) -> bool:
        from app import clock
        if name == "mark_held":
            return model.start <= clock.now()
        if name in ("submit", "publish"):
            return model.start > clock.now()
        return True

    def after_transition(self, name, model, result):
        if name == "cancel" and result:
            flash(_("Please inform %(n)d signed-up households; they are listed on the event page.",
                    n=len(result)), "warning")

    def details_extra(self, event):
        from app import clock
        signups = list(event.signups().select_related(max_depth=1))
        return dict(
            event=event, transitions=self.offered(event), signups=signups,
            photos=list(event.photos()), feedback=list(event.feedback()),
            average=event.feedback_average(), local_text=local_text,
            phone=lambda value: masked_phone(AREA, value or ""),
            signup_label=lambda s: label(SIGNUP_STATES, s.state),
            can_sign_up=self.allowed("action:sign_up") and event.state == "published",
            can_attend=self.allowed("action:attend") and event.state in ("published", "held")
            and to_local(clock.now(), event.community).date() >= event.local_start().date(),
            can_cancel_signup=self.allowed("action:cancel_signup") and event.state == "published",
            can_record=self.allowed("action:add_record") and event.state in ("held", "recorded"),
            can_export=self.allowed("export"),
            to_call=[s for s in signups if s.state in ("confirmed", "waiting")]
            if event.state == "cancelled" else [],
        )

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
        household = None
        code = parse_room_code(request.form.get("room", ""))
        if request.form.get("room", "").strip():
            household = Household.objects(community=event.community, room_codes=code,
                                          status="current").first() if code else None
            if household is None:
                flash(_("No current household with room %(code)s.", code=request.form.get("room", "")[:20]),
                      "error")
                return redirect(self.get_url(".details_view", id=str(event.pk)) + "#feedback")
        try:
            event.add_feedback(staff(), request.form.get("rating"), request.form.get("comment", ""),
                               household=household, resident_name=request.form.get("resident_name", ""))
        except DomainError as err:
            flash_error(err)
        else:
            flash(_("The feedback was recorded."), "success")
        return redirect(self.get_url(".details_view", id=str(event.pk)) + "#feedback")


# --- venues and bookings -----------------------------------------------------------------------

class VenueView(CommunityFormMixin, EventsAreaView):
    verbs = {"create": "action:edit_venues", "edit": "action:edit_venues", "delete": "action:edit_venues"}
    column_list = ["name", "location", "capacity", "active", "community"]
    column_details_list = ["community", "name_zh", "name_en", "location", "capacity", "active"]
    form_columns = ["community", "name_zh", "name_en", "location", "capacity", "active"]
    column_filters = [CommunityFilter()]
    column_labels = {"name": _l("Name"), "location": _l("Location"), "capacity": _l("Capacity (people)"),
                     "active": _l("In use"), "community": _l("Community"), "name_zh": _l("Name (Chinese)"),
                     "name_en": _l("Name (English)")}
    column_formatters = {"name": lambda v, c, m, n: str(m), "community": _community}
    column_formatters_detail = {"community": _community}

    def on_model_delete(self, model):
        if VenueBooking.objects(venue=model).first() or Event.objects(venue=model).first():
            raise DomainError(_("The venue has bookings or events; mark it as not in use instead."))


class VenueBookingView(EventsAreaView):
    verbs = {"create": "action:book_venue", "edit": "never", "delete": "never"}
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
    column_labels = {"venue": _l("Venue"), "start": _l("Start"), "end": _l("End"), "purpose": _l("Purpose"),
                     "booked_for": _l("Booked for"), "event": _l("Event"), "state": _l("State"),
                     "community": _l("Community"), "contact_phone": _l("Contact phone"),
                     "cancel_reason": _l("Reason for cancelling"), "created_by": _l("Booked by"),
                     "created_at": _l("Booked at")}
    column_formatters = {
        "start": lambda v, c, m, n: local_text(m.start, m.community),
        "end": lambda v, c, m, n: local_text(m.end, m.community),
        "event": lambda v, c, m, n: m.event.title if m.event else "",
        "venue": lambda v, c, m, n: str(m.venue), "state": _state, "community": _community,
    }
    column_formatters_detail = dict(column_formatters, **{
        "contact_phone": lambda v, c, m, n: masked_phone(AREA, m.contact_phone or ""),
        "created_by": lambda v, c, m, n: m.created_by.display_name if m.created_by else "",
        "created_at": lambda v, c, m, n: local_text(m.created_at, m.community),
    })

    def create_model(self, form):
        venue = form.venue.data
        if venue is None or not Venue.objects.for_user(current_user).filter(pk=venue.pk).first():
            flash(_("Choose a venue of your community."), "error")
            return False
        try:
            return venue.book(to_utc(form.start.data, venue.community), to_utc(form.end.data, venue.community),
                              staff(), purpose=form.purpose.data, booked_for=form.booked_for.data,
                              contact_phone=form.contact_phone.data)
        except (DomainError, ValidationError) as err:
            return self._refuse(form, err, create=True)

    @action("cancel_booking", _l("Cancel booking"), _l("Cancel the selected bookings?"))
    def action_cancel(self, ids):
        done = 0
        for booking in self.get_query().filter(pk__in=ids):
            if booking.event is not None and booking.event.state not in ("cancelled",):
                flash(_("%(booking)s belongs to an event; cancel the event instead.", booking=str(booking)),
                      "error")
                continue
            try:
                booking.cancel(staff(), _("cancelled from the list"))
                done += 1
            except DomainError as err:
                flash(f"{booking}: {err.message}", "error")
        if done:
            flash(_("%(n)d bookings were cancelled.", n=done), "success")


# --- sign-ups ----------------------------------------------------------------------------------

def _signup_household(view, context, model, name):
    return model.household.name if model.household else ""


def _signup_room(view, context, model, name):
    return model.household.room_code if model.household else ""


class SignUpView(EventsAreaView):
    verbs = {"create": "action:sign_up", "edit": "never", "delete": "never"}
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
    column_filters = [ReferenceFilter("event", _l("Event"), choices=event_choices), FilterEqual("state", _l("State"), options=SIGNUP_STATES),
                      FilterEqual("attended", _l("Attended"), options=[("1", _l("Yes")), ("0", _l("No"))]),
                      CommunityFilter()]
    column_labels = {"event": _l("Event"), "room": _l("Room"), "household": _l("Household"),
                     "people": _l("Number of people"), "contact_phone": _l("Contact phone"),
                     "state": _l("State"), "attended": _l("Attended"), "created_at": _l("Signed up at"),
                     "position": _l("Order of sign-up"), "attended_at": _l("Attendance ticked at"),
                     "created_by": _l("Signed up by"), "cancelled_at": _l("Cancelled at"),
                     "community": _l("Community")}
    column_formatters = {
        "event": lambda v, c, m, n: m.event.title if m.event else "",
        "room": _signup_room, "household": _signup_household, "state": _state,
        "contact_phone": lambda v, c, m, n: masked_phone(AREA, m.contact_phone or ""),
        "attended": lambda v, c, m, n: _("Yes") if m.attended else "",
        "created_at": lambda v, c, m, n: local_text(m.created_at, m.community),
        "attended_at": lambda v, c, m, n: local_text(m.attended_at, m.community),
        "cancelled_at": lambda v, c, m, n: local_text(m.cancelled_at, m.community),
        "created_by": lambda v, c, m, n: m.created_by.display_name if m.created_by else "",
        "community": _community,
    }
    column_formatters_export = column_formatters

    def __init__(self, *args, **kwargs):
        self.form_ajax_refs = {
            "household": ScopedAjaxLoader("household", Household, fields=["room_code", "name"],
                                          prefix_fields=["room_code"], order_by="sort_key",
                                          placeholder=_l("Type a room code or a name, e.g. 3-2-12")),
        }
        super().__init__(*args, **kwargs)

    def create_form(self, obj=None):
        form = super().create_form(obj)
        form.event.queryset = Event.objects.for_user(current_user).filter(state="published").order_by("start")
        chosen = request.args.get("event")
        if chosen and not form.event.data and ObjectId.is_valid(chosen):
            form.event.data = form.event.queryset.filter(pk=chosen).first()
        return form

    def create_model(self, form):
        event = form.event.data
        if event is None or not Event.objects.for_user(current_user).filter(pk=event.pk).first():
            flash(_("Choose a published event of your community."), "error")
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

    # --- cancelling and attendance, one by one (from the event page) or for a selection ---
    def _back(self, signup):
        return redirect(self.get_url("events.details_view", id=str(signup.event.pk)) + "#signups")

    @expose("/cancel/", methods=("POST",))
    def cancel(self):
        if not self.allowed("action:cancel_signup"):
            abort(403)
        signup = scoped_or_404(SignUp, request.form.get("id"))
        self._cancel_one(signup)
        return self._back(signup)

    def _cancel_one(self, signup) -> bool:
        try:
            promoted = signup.cancel(staff())
        except DomainError as err:
            flash(f"{signup.household}: {err.message}", "error")
            return False
        flash(_("The sign-up of %(household)s was cancelled.", household=str(signup.household)), "success")
        for moved in promoted:
            flash(_("%(household)s moved up from the waiting list; please let them know.",
                    household=str(moved.household)), "warning")
        return True

    @expose("/attend/", methods=("POST",))
    def attend(self):
        if not self.allowed("action:attend"):
            abort(403)
        signup = scoped_or_404(SignUp, request.form.get("id"))
        try:
            signup.set_attended(staff(), request.form.get("attended", "1") == "1")
        except DomainError as err:
            flash(f"{signup.household}: {err.message}", "error")
        return self._back(signup)

    @action("cancel_signup", _l("Cancel sign-up"), _l("Cancel the selected sign-ups?"))
    def action_cancel(self, ids):
        for signup in self.get_query().filter(pk__in=ids):
            self._cancel_one(signup)

    @action("attend", _l("Tick attendance"), _l("Tick attendance of the selected sign-ups?"))
    def action_attend(self, ids):
        done = 0
        for signup in self.get_query().filter(pk__in=ids):
            try:
                signup.set_attended(staff(), True)
                done += 1
            except DomainError as err:
                flash(f"{signup.household}: {err.message}", "error")
        if done:
            flash(_("Attendance ticked for %(n)d households.", n=done), "success")

    # --- the sign-up sheet of one event as an Excel workbook ---
    @expose("/export-event/")
    def export_event(self):
        if not self.allowed("export"):
            abort(403)
        event = scoped_or_404(Event, request.args.get("event"))
        signups = list(SignUp.objects(event=event).order_by("position").select_related(max_depth=1))
        data = signups_workbook(event, signups)
        name = f"signups-{local_text(event.start, event.community, '%Y%m%d')}-{event.pk}.xlsx"
        from documents import audit
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
    sheet.append([event.title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([f"{local_text(event.start, event.community)} – {local_text(event.end, event.community, '%H:%M')}",
                  event.where])
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
        sheet.append([
            index, signup.household.room_code if signup.household else "",
            signup.household.name if signup.household else "", signup.people,
            masked_phone(AREA, signup.contact_phone or ""), label(SIGNUP_STATES, signup.state),
            waiting_no if signup.state == "waiting" else None,
            _("Yes") if signup.attended else "",
            to_local(signup.created_at, event.community),
        ])
        sheet.cell(row=sheet.max_row, column=9).number_format = "yyyy-mm-dd hh:mm"
    for column, width in enumerate([6, 12, 18, 10, 16, 12, 10, 8, 18], start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- calendar ----------------------------------------------------------------------------------

class EventCalendarView(SecurePage):
    """A month at a glance: events and venue bookings per day, in the community's local time."""

    area = AREA

    @expose("/")
    def index(self):
        from app import clock
        communities = list(Community.objects.for_user(current_user))
        community = None
        raw = request.args.get("community")
        if raw and ObjectId.is_valid(raw):
            community = Community.objects.for_user(current_user).filter(pk=raw).first()
        if community is None and communities:
            community = communities[0]
        today = to_local(clock.now(), community).date() if community else clock.now().date()
        try:
            year, month = [int(part) for part in request.args.get("month", "").split("-")]
            first = date(year, month, 1)
        except ValueError:
            first = today.replace(day=1)
        weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
        days = {day: [] for week in weeks for day in week}
        if community is not None:
            start = to_utc(datetime.combine(weeks[0][0], datetime.min.time()), community)
            end = to_utc(datetime.combine(weeks[-1][-1] + timedelta(days=1), datetime.min.time()), community)
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
                    "kind": "booking", "state": "booked", "state_label": label(BOOKING_STATES, "booked"),
                    "title": booking.purpose or booking.booked_for or _("Booking"), "where": str(booking.venue),
                    "start": local_start,
                    "url": self.get_url("venuebookings.details_view", id=str(booking.pk))})
        for items in days.values():
            items.sort(key=lambda item: item["start"])
        previous = (first - timedelta(days=1)).replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return self.render("events/calendar.html", weeks=weeks, days=days, first=first, today=today,
                           community=community, communities=communities, previous=previous,
                           following=following, weekdays=weekday_names(),
                           can_create=can(AREA, "create"), can_book=can(AREA, "action:book_venue"))

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
