"""Admin view of resident archives: list by building/unit, universal search, masked personal data."""
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.babel import gettext as admin_gettext
from flask_admin.contrib.mongoengine.filters import FilterEqual
from flask_admin.form import Select2TagsField
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from wtforms import TextAreaField

from admin_views.base import EstateModelView, ScopedAjaxLoader, choice_label, scoped_or_404
from admin_views.files import read_upload, send_stored_file
from app.permissions import can, level_at_least
from documents import timeline
from documents.archive_access import level_for, read_full, shows_phones
from documents.base import DomainError, PermissionDenied
from documents.household_files import KINDS as FILE_KINDS, UPLOAD as FILE_UPLOAD, HouseholdFile, attach, files_of
from documents.places import Room
from documents.residents import ARCHIVE_STATUSES, ID_TYPES, RELATIONS, Household, search_households
from documents.validators import mask_id, mask_phone

AREA = "residents"


def _phones(model):
    """The household's phones as the reader may see them (their level on this archive)."""
    phones_ok = shows_phones(current_user, model)
    return ", ".join(p.phone if phones_ok else mask_phone(p.phone) for p in model.people() if p.phone)


def person_rows(people, level: str, with_lease=False) -> list[dict]:
    """People of one section as the page shows them at `level` (masked below it)."""
    rows = []
    for p in people or []:
        rows.append({
            "name": p.name, "relation": choice_label(RELATIONS, p.relation),
            "phone": p.phone if level_at_least(level, "contact") else mask_phone(p.phone or ""),
            "id_type": choice_label(ID_TYPES, p.id_type) if p.id_number else "",
            "id_number": (p.id_number if level == "full" else mask_id(p.id_number)) if p.id_number else "",
            "birthday": p.birthday if level == "full" else "",
            "work_unit": p.work_unit or "", "emergency_contact": p.emergency_contact or "",
            "lease": f"{p.lease_start or ''} – {p.lease_end or ''}" if with_lease and (p.lease_start or p.lease_end)
            else "",
        })
    return rows


def open_work(household) -> list[tuple[str, list]]:
    """(area label, open records) of the household: repairs, complaints, renovations."""
    from documents.complaints import Complaint
    from documents.renovations import Renovation
    from documents.renovations.common import OPEN_STATES
    from documents.repairs import Repair
    found = []
    for label, model, states, endpoint in (
            (_("Repairs"), Repair, Repair.OPEN_STATES, "repairs"),
            (_("Complaints"), Complaint, Complaint.OPEN_STATES, "complaints"),
            (_("Renovations"), Renovation, tuple(OPEN_STATES), "renovations")):
        records = list(model.objects(household=household, state__in=list(states)).limit(50))
        found.append((label, endpoint, records))
    return found


def household_actions(household, return_url) -> list[tuple[str, str, str]]:
    """(key, label, url) of what can be registered from the household page, household preset."""
    if household.status != "current":
        return []
    room = str(household.room.pk) if household.room else ""
    offers = [
        ("repair", "repairs", "create", _("Register a repair"), "repairs.create_view", {"room": room}),
        ("complaint", "complaints", "create", _("Register a complaint"), "complaints.create_view", {"room": room}),
        ("visit", "visits", "create", _("Log a visit"), "visits.log_view",
         {"target": "household", "id": str(household.pk)}),
        ("renovation", "renovations", "create", _("Open a renovation file"), "renovations.create_view",
         {"household": str(household.pk)}),
        ("vacancy", "vacancies", "action:apply", _("Apply for vacancy"), "vacancies.apply_view",
         {"household": str(household.pk)}),
    ]
    return [(key, label, url_for(endpoint, url=return_url, **args))
            for key, area, right, label, endpoint, args in offers if can(area, right)]


class HouseholdView(EstateModelView):
    area = AREA
    column_list = ["room_code", "name", "owners", "phones", "status", "tags", "move_in_date"]
    column_export_list = ["room_code", "name", "owners", "phones", "status", "tags", "move_in_date",
                          "move_out_date", "vehicles"]
    column_sortable_list = [("room_code", "sort_key"), "name", "move_in_date", "status"]
    column_default_sort = "sort_key"
    column_searchable_list = ["name"]  # search goes through search_households(), see _search
    search_hint = _l("3-2-1201, name or phone tail")
    column_filters = [
        FilterEqual("building_no", _l("Building no.")),
        FilterEqual("unit_no", _l("Unit no.")),
        FilterEqual("status", _l("Archive status"), options=ARCHIVE_STATUSES),
        FilterEqual("tags", _l("Tag")),
    ]
    column_labels = {
        "room_code": _l("Room"),
        "phones": _l("Phones"),
    }
    form_columns = ["room", "other_rooms", "name", "status", "move_in_date", "move_out_date", "owners",
                    "members", "tenants", "vehicles", "pets", "tags", "notes", "extra_fields"]
    form_args = {"name": {"description": _l("Usually the main owner's name, e.g. 张伟")},
                 "tags": {"save_as_list": True}, "notes": {"render_kw": {"rows": 3}}}
    # one box of tags instead of a card per tag; room for a paragraph of notes
    form_overrides = {"tags": Select2TagsField, "notes": TextAreaField}
    list_select_related = False  # the list shows only the household's own (denormalised) fields

    # plain-text renderings shared by the list, the details page and the export
    _text = {
        "owners": lambda v, c, m, n: ", ".join(p.name for p in m.owners),
        "phones": lambda v, c, m, n: _phones(m),
        "other_rooms": lambda v, c, m, n: ", ".join(r.code for r in m.other_rooms),
        "vehicles": lambda v, c, m, n: ", ".join(x.plate for x in m.vehicles),
    }
    column_formatters = _text
    column_formatters_export = _text

    def __init__(self, *args, **kwargs):
        self.form_ajax_refs = {
            "room": ScopedAjaxLoader("room", Room, fields=["code"], prefix_fields=["code"],
                                     order_by="sort_key", placeholder=_l("Type a room code, e.g. 3-2-12")),
            "other_rooms": ScopedAjaxLoader("other_rooms", Room, fields=["code"], prefix_fields=["code"],
                                            order_by="sort_key",
                                            placeholder=_l("Type a room code, e.g. 3-2-12")),
        }
        super().__init__(*args, **kwargs)

    def search_placeholder(self):
        return _("3-2-1201, name or phone tail")

    def _search(self, query, term):
        return search_households(query, term)

    def on_model_change(self, form, model, is_created):
        if model.room is not None:
            model.community = model.room.community

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        if obj is not None and level_for(current_user, obj) != "full":   # never hand out full ID numbers
            for name in ("owners", "members", "tenants"):
                if name in form._fields:
                    del form[name]
        return form

    # --- the household page (一户一档) ---
    @expose("/details/")
    def details_view(self):
        household = self.get_one(request.args.get("id"))     # scoped by get_query()
        if household is None:
            flash(admin_gettext("Record does not exist."), "error")
            return redirect(self.get_url(".index_view"))
        user = current_user._get_current_object()
        level = level_for(user, household)
        shown = "contact" if level_at_least(level, "contact") else "summary"
        if request.args.get("full") == "1":
            try:
                read_full(user, household, what=_("Full archive"), ip=request.remote_addr)
                shown = "full"
            except PermissionDenied as err:
                flash(err.message, "error")
        return_url = request.full_path.rstrip("?")
        return self.render(
            "residents/household.html", household=household, shown=shown, level=level,
            can_read_full=level == "full", owners=person_rows(household.owners, shown),
            members=person_rows(household.members, shown),
            tenants=person_rows(household.tenants, shown, with_lease=True),
            files=files_of(household) if shown == "full" else [], file_count=HouseholdFile.objects(
                household=household).count(), file_kinds=FILE_KINDS,
            open_work=open_work(household), actions=household_actions(household, return_url),
            timeline=timeline.for_household(household), history=self.render_history(household),
            history_level=shown, field_label=self.field_label, field_value=self.field_value,
            merged=household.merged_archives(), status=choice_label(ARCHIVE_STATUSES, household.status),
            can_edit_archive=self.can_edit and household.status != "merged", return_url=return_url,
            can_request=can("archive_access", "action:request"))

    @expose("/file/", methods=("POST",))
    def attach_file(self):
        household = scoped_or_404(Household, request.args.get("id"))
        upload = request.files.get("file")
        try:
            attach(household, current_user._get_current_object(), request.form.get("kind", ""),
                   getattr(upload, "filename", ""), read_upload(upload, FILE_UPLOAD))
            flash(_("The document was added to the archive."), "success")
        except DomainError as err:
            flash(err.message, "error")
        return redirect(self.get_url(".details_view", id=str(household.pk)))

    @expose("/file/<file_id>/")
    def file_view(self, file_id):
        """One document of the archive: read at full level only, and registered."""
        record = scoped_or_404(HouseholdFile, file_id)
        try:
            read_full(current_user._get_current_object(), record.household,
                      what=f"{record.kind_label}: {record.filename}", ip=request.remote_addr)
        except PermissionDenied:
            abort(403)
        return send_stored_file(record, download_name=record.filename)

    @action("move_out", _l("Move out"),
            _l("Mark the selected households as moved out? Their archives are kept."))
    def action_move_out(self, ids):
        done = 0
        for household in self.get_query().filter(pk__in=ids):
            try:
                household.move_out()
                done += 1
            except DomainError as err:
                flash(f"{household}: {err.message}", "error")
        if done:
            flash(_("%(n)d households were marked as moved out.", n=done), "success")


    @action("merge", _l("Merge duplicates"),
            _l("Merge the selected archives of one household? The first in room order is kept; the "
               "others are kept too, marked as merged into it, with their history."))
    def action_merge(self, ids):
        chosen = list(self.get_query().filter(pk__in=ids).order_by("sort_key", "id"))
        if len(chosen) < 2:
            flash(_("Choose at least two archives of the same household."), "error")
            return
        keeper = next((h for h in chosen if h.status == "current"), chosen[0])
        for duplicate in chosen:
            if duplicate.pk == keeper.pk:
                continue
            try:
                duplicate.merge_into(keeper, current_user._get_current_object())
                flash(_("%(dup)s was merged into %(keeper)s.", dup=str(duplicate), keeper=str(keeper)), "success")
            except DomainError as err:
                flash(f"{duplicate}: {err.message}", "error")


def register(admin):
    admin.add_view(HouseholdView(Household, name=_l("Resident archives"), category=_l("Residents"),
                                 endpoint="households"))
