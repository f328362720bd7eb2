"""Admin views of places: communities, buildings (with room generation), units and rooms."""
from flask import flash
from flask_admin.actions import action
from flask_admin.contrib.mongoengine.filters import FilterEqual
from flask_babel import gettext as _, lazy_gettext as _l
from wtforms import IntegerField
from wtforms.validators import NumberRange, Optional

from admin_views.base import EstateModelView
from documents.base import DomainError
from documents.places import ROOM_STATUSES, ROOM_USES, Building, Community, Room, Unit


class CommunityView(EstateModelView):
    area = "communities"
    column_list = ["code", "name_zh", "name_en", "address", "timezone", "refund_approval_limit"]
    column_searchable_list = ["code", "name_zh", "name_en"]
    form_columns = ["code", "name_zh", "name_en", "address", "timezone", "refund_approval_limit", "robot_webhook"]
    form_args = {"robot_webhook": {"description": _l(
        "The URL of the community's WeCom or DingTalk group robot: overdue and escalated work is posted "
        "there. Leave empty for none.")}}
    can_delete = False


class BuildingView(EstateModelView):
    area = "places"
    column_list = ["community", "number", "name", "floors"]
    column_sortable_list = ["number"]
    column_filters = ["number"]
    column_searchable_list = ["number", "name"]
    form_columns = ["community", "number", "name", "floors", "generate_units", "generate_rooms_per_floor"]
    form_extra_fields = {
        "generate_units": IntegerField(_l("Generate units"), validators=[Optional(), NumberRange(1, 20)],
                                       description=_l("Optional: create this many units with their rooms")),
        "generate_rooms_per_floor": IntegerField(_l("Rooms per floor"),
                                                 validators=[Optional(), NumberRange(1, 30)]),
    }

    def after_model_change(self, form, model, is_created):
        units = form._fields.get("generate_units")
        per_floor = form._fields.get("generate_rooms_per_floor")
        if units is not None and units.data and per_floor is not None and per_floor.data and model.floors:
            self._generate(model, units.data, model.floors, per_floor.data)

    def _generate(self, building, units, floors, per_floor):
        try:
            created = building.generate_units_and_rooms(units, floors, per_floor)
        except DomainError as err:
            flash(err.message, "error")
            return
        from documents import audit
        audit.record("generate_rooms", building, note=f"units={units} floors={floors} "
                                                      f"rooms_per_floor={per_floor} created={created}")
        flash(_("%(n)d rooms were created.", n=created), "success")

    @action("generate_rooms", _l("Generate missing rooms"),
            _l("Create the missing units and rooms (2 units, rooms 1–2 per floor) for the selected buildings?"))
    def action_generate_rooms(self, ids):
        for building in self.get_query().filter(pk__in=ids):
            if building.floors:
                self._generate(building, 2, building.floors, 2)


class UnitView(EstateModelView):
    area = "places"
    column_list = ["community", "building", "number"]
    form_columns = ["community", "building", "number"]


class RoomView(EstateModelView):
    area = "places"
    column_list = ["code", "floor", "area", "use", "status"]
    column_sortable_list = [("code", "sort_key"), "floor", "status"]
    column_default_sort = "sort_key"
    column_searchable_list = ["code"]
    column_filters = [
        FilterEqual("building_no", _l("Building no.")),
        FilterEqual("unit_no", _l("Unit no.")),
        FilterEqual("status", _l("Status"), options=ROOM_STATUSES),
        FilterEqual("use", _l("Use"), options=ROOM_USES),
    ]
    form_columns = ["community", "building", "unit", "floor", "number", "area", "use", "status"]
    list_select_related = False

    def _search(self, query, term):
        from documents.places import parse_room_code
        code = parse_room_code(term) or str(term).strip().upper()
        return query.filter(code__startswith=code[:30])


def register(admin):
    category = _l("Places")
    admin.add_view(CommunityView(Community, name=_l("Communities"), category=category,
                                 endpoint="communities"))
    admin.add_view(BuildingView(Building, name=_l("Buildings"), category=category, endpoint="buildings"))
    admin.add_view(UnitView(Unit, name=_l("Units"), category=category, endpoint="units"))
    admin.add_view(RoomView(Room, name=_l("Rooms"), category=category, endpoint="rooms"))
