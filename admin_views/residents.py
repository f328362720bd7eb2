"""Admin view of resident archives: list by building/unit, universal search, masked personal data."""
from flask import flash
from flask_admin.actions import action
from flask_admin.form import Select2TagsField
from flask_admin.contrib.mongoengine.filters import FilterEqual
from flask_babel import gettext as _, lazy_gettext as _l
from wtforms import TextAreaField

from admin_views.base import (EstateModelView, ScopedAjaxLoader, choice_label, html_table,
                              masked_id, masked_phone)
from app.permissions import can
from documents import timeline
from documents.base import DomainError
from documents.places import Room
from documents.residents import (ARCHIVE_STATUSES, ID_TYPES, RELATIONS, Household,
                                 search_households)

AREA = "residents"


def _people_table(people, with_lease=False):
    headers = [_("Name"), _("Relation"), _("Phone"), _("ID type"), _("ID number"), _("Birthday"),
               _("Work unit"), _("Emergency contact")]
    if with_lease:
        headers += [_("Lease start"), _("Lease end")]
    rows = []
    for p in people or []:
        row = [p.name, choice_label(RELATIONS, p.relation), masked_phone(AREA, p.phone or ""),
               choice_label(ID_TYPES, p.id_type) if p.id_number else "",
               masked_id(AREA, p.id_number or "") if p.id_number else "",
               p.birthday or "", p.work_unit or "", p.emergency_contact or ""]
        if with_lease:
            row += [p.lease_start or "", p.lease_end or ""]
        rows.append(row)
    return html_table(headers, rows)


def _phones(model):
    return ", ".join(masked_phone(AREA, p.phone) for p in model.people() if p.phone)




class HouseholdView(EstateModelView):
    area = AREA
    details_template = "admin_ext/household_details.html"
    column_list = ["room_code", "name", "owners", "phones", "status", "tags", "move_in_date"]
    column_details_list = ["community", "room_code", "other_rooms", "name", "status", "move_in_date",
                           "move_out_date", "owners", "members", "tenants", "vehicles", "pets", "tags",
                           "notes", "extra_fields"]
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
    column_formatters_detail = dict(_text, **{
        "owners": lambda v, c, m, n: _people_table(m.owners),
        "members": lambda v, c, m, n: _people_table(m.members),
        "tenants": lambda v, c, m, n: _people_table(m.tenants, with_lease=True),
        "vehicles": lambda v, c, m, n: html_table(
            [_("Plate number"), _("Parking space"), _("Make and colour")],
            [[x.plate, x.parking_space or "", x.description or ""] for x in m.vehicles]),
        "pets": lambda v, c, m, n: html_table(
            [_("Kind"), _("Name"), _("Dog licence / vaccination")],
            [[x.kind, x.name or "", x.licence or ""] for x in m.pets]),
        "extra_fields": lambda v, c, m, n: html_table(
            [_("Field name"), _("Value")], [[x.key, x.value or ""] for x in m.extra_fields]),
    })

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

    def create_form(self, obj=None):
        form = super().create_form(obj)
        from flask import request
        room_id = request.args.get("room")
        if room_id and not form.room.data:
            room = ScopedAjaxLoader("room", Room, fields=["code"]).get_one(room_id)
            if room is not None:
                form.room.data = room
        return form

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        if not can(AREA, "view_id_numbers"):  # never hand full ID numbers to a masked role
            for name in ("owners", "members", "tenants"):
                if name in form._fields:
                    del form[name]
        return form

    def details_extra(self, model):
        return {"timeline": timeline.for_household(model)}

    def render(self, template, **kwargs):
        if template == self.details_template and kwargs.get("model") is not None:
            kwargs.update(self.details_extra(kwargs["model"]))
        return super().render(template, **kwargs)

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


def register(admin):
    admin.add_view(HouseholdView(Household, name=_l("Resident archives"), category=_l("Residents"),
                                 endpoint="households"))
