"""The agenda's pages: "My work" (the home page), the bell and the notifications, the deliveries
a manager watches, and the service calendar of a community.

The questions are asked of documents/my_work.py (clocks the person answers for, escalations,
states waiting for their steps) and documents/notifications.py; this module only adds the links:
which list shows a workflow's records (with its state filter), which list has a "Deadline" filter.
"""
from datetime import date

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from mongoengine import ValidationError
from werkzeug.routing import BuildError
from wtforms import BooleanField, FieldList, Form, FormField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional, Regexp

from admin_views.base import SecureIndexView, SecurePage, scoped_or_404, user_communities
from admin_views.services import DueFilter
from app import clock
from app.permissions import can
from documents import audit, my_work
from documents.agenda import KINDS, OPEN
from documents.base import DomainError
from documents.bilingual import current_language
from documents.deadlines import due_status, local_text, zone_of
from documents.notifications import APP, EMAIL, FAILED, PENDING, ROBOT, Notification, mark_all_read, retry, \
    unread_count
from documents.service_calendar import POLICIES, TIME_RE, WEEKDAYS, DayHours, ServiceCalendar, default_hours
from documents.workflow import REGISTRY

PAGE_SIZE = 20
#: the handover page lists this many handovers, each with its "acknowledge" button when offered
HANDOVERS_SHOWN = 20
AUDIT_LABELS = {"service_calendar": _l("Service calendar saved")}
audit.register_action_labels(AUDIT_LABELS)


# --- where the records of a workflow are listed ---

def _admin():
    return current_app.extensions["estate_admin"]


def list_view_of(model):
    """The model view listing `model`'s records (None when the area has a page of its own)."""
    return next((v for v in _admin()._views if getattr(v, "model", None) is model), None)


def filter_arg(view, column: str, kind=None) -> str | None:
    """The URL argument of the view's filter on `column` (`flt0_<n>`), None when it has none."""
    for arg, (_index, flt) in (getattr(view, "_filter_args", None) or {}).items():
        if flt.column == column and (kind is None or isinstance(flt, kind)):
            return f"flt0_{arg}"
    return None


def offered(workflow, step) -> bool:
    """The portal offers the step: on the records' list and details pages (a step with a page), on
    another area's page (a return visit is a visit), or on the area's own page (a handover)."""
    return bool(step.page or step.area or list_view_of(workflow.model) is None)


def _record_url(endpoint: str, record_id) -> str | None:
    try:
        return url_for(endpoint, id=str(record_id))
    except BuildError:
        return None


# --- My work ---

class WaitingRow:
    """One workflow's line of "waiting for your step": per state, N records and the list link."""

    def __init__(self, name: str):
        self.name, self.states = name, []     # states: (WaitingState, count, url)

    @property
    def count(self) -> int:
        return sum(count for _w, count, _u in self.states)


def waiting_rows(user) -> list[WaitingRow]:
    rows = {}
    for waiting in my_work.waiting_states(user, offered):
        view = list_view_of(waiting.model)
        if view is not None:
            if not can(view.area, "list", user):
                continue
            state_arg = filter_arg(view, "state")
            count = view.get_query().filter(state=waiting.state).count()
            url = url_for(f"{view.endpoint}.index_view", **({state_arg: waiting.state} if state_arg else {}))
            name = str(view.name)
        else:
            # a page of its own (the shift handover): the records it shows with the step offered
            shown = waiting.model.objects.for_user(user).filter(state=waiting.state) \
                .order_by("-" + _time_field(waiting.model)).limit(HANDOVERS_SHOWN)
            count = sum(1 for record in shown if any(record.offers(s.name, user) for s in waiting.steps))
            url, name = _area_page(waiting.workflow.area)
        if count and url:
            rows.setdefault(name, WaitingRow(name)).states.append((waiting, count, url))
    return list(rows.values())


def _time_field(model) -> str:
    ordering = (model._meta.get("ordering") or ["-id"])[0]
    return ordering.lstrip("-+")


def _area_page(area: str):
    view = next((v for v in _admin()._views if getattr(v, "area", None) == area
                 and getattr(v, "model", None) is None), None)
    if view is None:
        return None, ""
    return url_for(f"{view.endpoint}.index"), str(view.name)


def deadline_lists(user, communities, which: str) -> list[tuple[str, int, str]]:
    """(list name, how many records it shows, link) of every list with a "Deadline" filter set to
    `which` (overdue / today): the count is the agenda's, by index, as the filter reads it."""
    from documents.agenda import Clock
    from documents.deadlines import today_bounds
    now = clock.now()
    found = []
    for view in _admin()._views:
        arg = filter_arg(view, "due_at", DueFilter)
        if arg is None or not can(view.area, "list", user):
            continue
        collection = view.model._get_collection_name()
        if which == "overdue":
            count = Clock.objects(collection=collection, phase=OPEN, due_at__lt=now,
                                  community__in=[c.pk for c in communities]).count()
        else:
            count = 0
            for community in communities:
                start, end = today_bounds(now, zone_of(community))
                count += Clock.objects(collection=collection, phase=OPEN, community=community.pk,
                                       due_at__gte=start, due_at__lt=end).count()
        found.append((str(view.name), count, url_for(f"{view.endpoint}.index_view", **{arg: which})))
    return found


def clock_item(clock_, now):
    """What a line of a clock group shows."""
    kind = clock_.kind_def
    status, text = due_status(clock_.due_at, now)
    return {"clock": clock_, "kind": clock_.kind_label, "label": clock_.record_label or "",
            "url": _record_url(kind.endpoint, clock_.record_id) if kind else None,
            "community": clock_.community.display_name(current_language()) if clock_.community else "",
            "due": local_text(clock_.due_at, clock_.community), "status": status, "status_text": text,
            "level": str(kind.ladder[clock_.level - 1].label) if kind and 0 < clock_.level <= len(kind.ladder)
            else ""}


class MyWorkView(SecureIndexView):
    """The home page: the search box, then what waits for the person who logged in."""

    @expose("/")
    def index(self):
        user = current_user._get_current_object()
        now = clock.now()
        communities = user_communities()
        groups = [
            (my_work.overdue(user, now), _("Overdue"), deadline_lists(user, communities, "overdue")),
            (my_work.due_today(user, communities, now), _("Due today"), deadline_lists(user, communities, "today")),
        ]
        if my_work.escalation_rungs(user):          # only roles a ladder reaches have escalations
            groups.append((my_work.escalated(user), _("Escalated to you"), deadline_lists(user, communities, "overdue")))
        patrols = my_work.patrols_due(user, communities, now) if can("renovations", "patrols_due") else 0
        return self.render("agenda/my_work.html", now=now, communities=communities,
                           groups=[(g, title, [clock_item(c, now) for c in g.items], lists)
                                   for g, title, lists in groups],
                           waiting=waiting_rows(user), patrols=patrols, limit=my_work.LIMIT)


# --- notifications: the bell and the person's own list ---

def _page_number() -> int:
    try:
        return max(0, int(request.args.get("page", 0)))
    except ValueError:
        return 0


def _one_page(query) -> dict:
    """The page of `query` asked for by ?page= (PAGE_SIZE notifications, their references read in one
    go) and what the pager (admin_ext/_macros.html) needs: page, pages, total."""
    page = _page_number()
    total = query.count()
    notes = list(query.skip(page * PAGE_SIZE).limit(PAGE_SIZE).select_related(max_depth=1))
    return {"notes": notes, "page": page, "total": total, "pages": max(1, -(-total // PAGE_SIZE))}


class NotificationsView(SecurePage):
    """Every logged-in person's own in-portal notifications, newest first."""

    def is_accessible(self):
        return current_user.is_authenticated

    def is_visible(self):
        return False          # reached from the bell in the top bar

    def _own(self):
        return Notification.objects(recipient=current_user.pk, channel=APP)

    @expose("/")
    def index(self):
        return self.render("agenda/notifications.html", **_one_page(self._own().order_by("-created_at")),
                           local_text=local_text)

    @expose("/open/<note_id>")
    def open(self, note_id):
        """Marks the notification read and goes to its record (someone else's: 404)."""
        note = scoped_note(self._own(), note_id)
        note.mark_read()
        return redirect(_record_url(note.endpoint, note.record_id) if note.endpoint and note.record_id
                        else url_for(".index"))

    @expose("/read/", methods=("POST",))
    def read(self):
        note = scoped_note(self._own(), request.form.get("id", ""))
        note.mark_read()
        return redirect(url_for(".index", page=request.form.get("page", 0)))

    @expose("/read-all/", methods=("POST",))
    def read_all(self):
        count = mark_all_read(current_user._get_current_object())
        flash(_("%(n)d notifications marked read.", n=count), "success")
        return redirect(url_for(".index"))


def scoped_note(query, raw_id):
    from bson import ObjectId
    if not ObjectId.is_valid(str(raw_id or "")):
        abort(404)
    note = query.filter(pk=str(raw_id)).first()
    if note is None:
        abort(404)
    return note


class DeliveriesView(SecurePage):
    """E-mail and group-robot messages of the manager's communities still waiting or failed."""
    area = "deliveries"

    @expose("/")
    def index(self):
        query = Notification.objects(channel__in=[EMAIL, ROBOT], state__in=[PENDING, FAILED]) \
            .for_user(current_user).order_by("-created_at")
        return self.render("agenda/deliveries.html", **_one_page(query), local_text=local_text,
                           can_retry=can(self.area, "action:retry"))

    @expose("/retry/", methods=("POST",))
    def retry(self):
        if not can(self.area, "action:retry"):
            abort(403)
        note = scoped_or_404(Notification, request.form.get("id", ""))
        if note.channel == APP:
            abort(404)
        if note.state != FAILED:
            flash(_("Only a failed delivery is sent again; this one is still waiting for its turn."), "error")
        else:
            retry(note)
            flash(_("The message will be sent again within a minute."), "success")
        return redirect(url_for(".index"))


# --- the service calendar ---

class DayForm(Form):
    weekday = HiddenField()
    open = BooleanField(_l("Open"))
    opens = StringField(_l("Opens"), validators=[Optional(), Regexp(TIME_RE, message=_l("Use HH:MM, e.g. 08:30."))])
    closes = StringField(_l("Closes"), validators=[Optional(), Regexp(TIME_RE, message=_l("Use HH:MM, e.g. 17:30."))])
    lunch_from = StringField(_l("Lunch break from"),
                             validators=[Optional(), Regexp(TIME_RE, message=_l("Use HH:MM, e.g. 12:00."))])
    lunch_to = StringField(_l("Lunch break to"),
                           validators=[Optional(), Regexp(TIME_RE, message=_l("Use HH:MM, e.g. 13:30."))])


class CalendarForm(FlaskForm):
    version = HiddenField()
    hours = FieldList(FormField(DayForm), min_entries=7, max_entries=7)
    closed_days = TextAreaField(_l("Extra closed days"), description=_l(
        "One date a line, e.g. 2026-12-31; public holidays and make-up working days are known already."))


def calendar_form_class():
    """The calendar form with one policy choice per clock kind (the kinds the areas declared)."""
    fields = {f"policy_{name}": SelectField(kind.label, choices=POLICIES) for name, kind in sorted(KINDS.items())}
    return type("ServiceCalendarForm", (CalendarForm,), fields)


def parse_days(text: str) -> list[date]:
    days = []
    for part in (text or "").replace(",", "\n").replace("，", "\n").split():
        try:
            days.append(date.fromisoformat(part.strip()))
        except ValueError:
            raise DomainError(_("“%(text)s” is not a date like 2026-12-31.", text=part), field="closed_days") \
                from None
    return sorted(set(days))


class ServiceCalendarView(SecurePage):
    """A community's office hours, extra closed days and the deadline policy of each clock kind."""
    area = "calendar"

    @expose("/", methods=("GET", "POST"))
    def index(self):
        communities = user_communities()
        if not communities:
            abort(404)
        chosen = request.values.get("community") or str(communities[0].pk)
        community = {str(c.pk): c for c in communities}.get(chosen)
        if community is None:
            abort(404)
        calendar = ServiceCalendar.of(community)
        form_class = calendar_form_class()
        can_edit = can(self.area, "edit")
        if request.method == "POST":
            if not can_edit:
                abort(403)
            form = form_class(request.form)
            if form.validate():
                try:
                    self._save(calendar, form)
                except DomainError as err:
                    _field_error(form, err)
                else:
                    flash(_("The service calendar of %(community)s was saved.",
                            community=community.display_name(current_language())), "success")
                    return redirect(url_for(".index", community=chosen))
        else:
            form = form_class(data=self._data(calendar))
        return self.render("agenda/calendar.html", form=form, community=community, communities=communities,
                           chosen=chosen, can_edit=can_edit, weekdays=dict(WEEKDAYS),
                           kinds=sorted(KINDS.items()), zone=str(zone_of(community)))

    def _data(self, calendar) -> dict:
        by_day = {h.weekday: h for h in (calendar.hours or default_hours())}
        hours = []
        for day, _label in WEEKDAYS:
            h = by_day.get(day) or DayHours(weekday=day, open=False)
            hours.append({"weekday": str(day), "open": h.open, "opens": h.opens, "closes": h.closes,
                          "lunch_from": h.lunch_from or "", "lunch_to": h.lunch_to or ""})
        data = {"version": str(calendar.version or 0), "hours": hours,
                "closed_days": "\n".join(d.isoformat() for d in sorted(calendar.closed_days or []))}
        for name, kind in KINDS.items():
            data[f"policy_{name}"] = calendar.policy_for(name, kind.policy)
        return data

    def _save(self, calendar, form):
        before = audit.snapshot(calendar) if calendar.pk else {}
        hours = []
        for (day, _label), entry in zip(WEEKDAYS, form.hours.entries):
            sub = entry.form
            hours.append(DayHours(weekday=day, open=bool(sub.open.data), opens=sub.opens.data or "08:30",
                                  closes=sub.closes.data or "17:30", lunch_from=sub.lunch_from.data or None,
                                  lunch_to=sub.lunch_to.data or None))
        calendar.hours = hours
        calendar.closed_days = parse_days(form.closed_days.data)
        calendar.policies = {name: form[f"policy_{name}"].data for name, kind in KINDS.items()
                             if form[f"policy_{name}"].data != kind.policy}
        expected = int(form.version.data or 0) if calendar.pk else None
        try:
            calendar.save_versioned(expected)
        except ValidationError as err:
            from documents.workflow import domain_error_from
            raise domain_error_from(err) from None
        audit.record("service_calendar", calendar, audit.diff(before, audit.snapshot(calendar)),
                     actor=current_user._get_current_object())


def _field_error(form, err):
    field = form._fields.get(err.field) if err.field else None
    if field is None and err.field == "hours":
        field = form.hours
    if field is not None:
        field.errors = list(field.errors or []) + [err.message]
    else:
        flash(err.message, "error")


# --- registration ---

def register(admin):
    admin.add_view(NotificationsView(name=_l("Notifications"), endpoint="notifications", url="notifications"))
    admin.add_view(DeliveriesView(name=_l("Message deliveries"), category=_l("Administration"),
                                  endpoint="deliveries", url="deliveries"))
    admin.add_view(ServiceCalendarView(name=_l("Service calendar"), category=_l("Administration"),
                                       endpoint="service_calendar", url="service-calendar"))

    @admin.app.context_processor
    def bell():
        """`unread_notifications()` for the top bar: one count per request, only when the bar shows it."""
        def count():
            if not current_user.is_authenticated:
                return 0
            if "unread_notifications" not in g:
                g.unread_notifications = unread_count(current_user._get_current_object())
            return g.unread_notifications
        return {"unread_notifications": count}
