"""Shift handover page: open work orders and complaints listed live, notes, acknowledgement."""
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from admin_views.base import SecurePage, scoped_or_404, user_communities
from admin_views.services import due_badge
from app import clock
from app.permissions import can
from documents.base import DomainError
from documents.deadlines import local_text, to_local, zone_of
from documents.handover import SHIFTS, SNAPSHOT_LIMIT, Handover, open_counts, open_items, open_kinds, write_handover

AREA = "handover"
PAGE_SIZE = 20
RECENT_HANDOVERS = 10
KIND_LABELS = {"repair": _l("Work orders"), "complaint": _l("Complaints")}


class HandoverForm(FlaskForm):
    community = SelectField(_l("Community"), choices=[], validators=[DataRequired()])
    shift = SelectField(_l("Shift"), choices=SHIFTS, validators=[DataRequired()])
    notes = TextAreaField(_l("Notes for the next shift"), validators=[Optional(), Length(max=4000)])


def default_shift(community) -> str:
    hour = to_local(clock.now(), zone_of(community)).hour
    return "day" if 8 <= hour < 20 else "night"


class HandoverView(SecurePage):
    area = AREA

    @expose("/", methods=("GET", "POST"))
    def index(self):
        communities = user_communities()
        ids = [c.pk for c in communities]
        form = HandoverForm(request.form if request.method == "POST" else None)
        form.community.choices = [(str(c.pk), c.display_name(request.accept_languages.best or "")) for c in communities]
        if request.method == "POST":
            if not can(AREA, "create"):
                abort(403)
            chosen = {str(c.pk): c for c in communities}.get(form.community.data)
            if form.validate() and chosen is not None:
                try:
                    write_handover(chosen, current_user._get_current_object(), form.shift.data, form.notes.data)
                except DomainError as err:
                    flash(err.message, "error")
                else:
                    flash(_("Handover written; the next shift will see it here."), "success")
                    return redirect(url_for(".index"))
        elif communities:
            form.community.data = str(communities[0].pk)
            form.shift.data = default_shift(communities[0])
        return self.render("handover/index.html", form=form, logs=self._recent(ids), due_badge=due_badge,
                           local_text=local_text, can_write=can(AREA, "create"), snapshot_limit=SNAPSHOT_LIMIT,
                           **self._open_work(ids))

    def _open_work(self, ids) -> dict:
        """Counts per kind and one page of the chosen kind's open items (?kind=, ?late=1, ?page=)."""
        counts = open_counts(ids)
        kind = request.args.get("kind", "repair")
        kind = kind if kind in open_kinds() else "repair"
        late_only = request.args.get("late") == "1"
        page = max(0, request.args.get("page", 0, type=int) or 0)
        chosen = next(c for c in counts if c.kind == kind)
        total = chosen.late if late_only else chosen.open
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(page, pages - 1)
        items = open_items(ids, kind, offset=page * PAGE_SIZE, limit=PAGE_SIZE, late_only=late_only)
        return {"counts": counts, "kind": kind, "late_only": late_only, "page": page, "pages": pages,
                "items": items, "kind_labels": KIND_LABELS}

    def _recent(self, ids):
        return list(Handover.objects(community__in=ids).order_by("-written_at").limit(RECENT_HANDOVERS))

    @expose("/acknowledge/", methods=("POST",))
    def acknowledge(self):
        if not can(AREA, "action:acknowledge"):
            abort(403)
        handover = scoped_or_404(Handover, request.form.get("id", ""))
        try:
            handover.perform("acknowledge", current_user._get_current_object())
        except DomainError as err:
            flash(err.message, "error")
        else:
            flash(_("Handover acknowledged."), "success")
        return redirect(url_for(".index"))


def register(admin):
    admin.add_view(HandoverView(name=_l("Shift handover"), category=_l("Service"), endpoint="handover"))
