"""Archive lookup (楼栋单元查询): community -> building -> unit grid, and the universal search box."""
from flask import redirect, request, url_for
from flask_login import current_user
from flask_admin import expose
from flask_babel import lazy_gettext as _l

from admin_views.base import SecurePage
from app.permissions import can
from documents.places import ROOM_STATUSES, Building, Community, Room, Unit, parse_room_code, room_sort_key
from documents.residents import Household, search_households, unit_grid

STATUS_COLOURS = {"unsold": "secondary", "vacant": "light", "occupied": "success",
                  "renovating": "warning", "rented": "info"}
MAX_RESULTS = 50


def household_phones(household) -> str:
    """The phones of a household, masked below the reader's contact level (confirms a tail match)."""
    from documents.archive_access import shows_phones
    from documents.validators import mask_phone
    shown = shows_phones(current_user, household)
    return ", ".join(p.phone if shown else mask_phone(p.phone) for p in household.people() if p.phone)


def rooms_without_archive(term: str) -> list:
    """A typed room code whose room has no current archive: offered as "create archive"."""
    code = parse_room_code(term)
    if not code:
        return []
    rooms = list(Room.objects.for_user(current_user).filter(code=code).order_by("sort_key").limit(5))
    taken = set(Household.objects(room__in=[r.pk for r in rooms], status="current").scalar("room"))
    taken_ids = {getattr(room, "pk", room) for room in taken}
    return [room for room in rooms if room.pk not in taken_ids]


def _pick(choices, raw_id):
    """The record with this id among the allowed choices, or None (never an error, never another's).

    The choices are the lists the page shows anyway, so picking costs no further query.
    """
    raw_id = str(raw_id or "")
    return next((item for item in choices if str(item.pk) == raw_id), None) if raw_id else None


class LookupView(SecurePage):
    area = "lookup"

    @property
    def allowed_create_archive(self):
        return can("residents", "create")

    @expose("/")
    def index(self):
        communities = list(Community.objects.for_user(current_user))
        community = _pick(communities, request.args.get("community"))
        if community is None and len(communities) == 1:
            community = communities[0]
        # numbers are text ("10" < "2"); order them as people count: 1, 2, … 10
        buildings = sorted(Building.objects(community=community), key=lambda b: room_sort_key(b.number, "", "")) \
            if community else []
        building = _pick(buildings, request.args.get("building"))
        units = list(Unit.objects(building=building).order_by("number")) if building else []
        unit = _pick(units, request.args.get("unit"))
        if unit is None and len(units) == 1:
            unit = units[0]
        grid = unit_grid(unit) if unit else []
        return self.render("admin_ext/lookup.html", communities=communities, community=community,
                           buildings=buildings, building=building, units=units, unit=unit, grid=grid,
                           statuses=dict(ROOM_STATUSES), colours=STATUS_COLOURS)

    @expose("/search")
    def search(self):
        term = request.args.get("q", "")[:60]
        results, empty_rooms = [], []
        if term.strip():
            query = search_households(Household.objects.for_user(current_user), term)
            results = list(query.order_by("sort_key").limit(MAX_RESULTS + 1))
            empty_rooms = rooms_without_archive(term) if self.allowed_create_archive else []
            if len(results) == 1 and parse_room_code(term) and not empty_rooms:   # 3-2-1202: its page
                return redirect(url_for("households.details_view", id=str(results[0].pk)))
        return self.render("admin_ext/search.html", term=term, results=results[:MAX_RESULTS],
                           more=len(results) > MAX_RESULTS, phones=household_phones, empty_rooms=empty_rooms)


def register(admin):
    admin.add_view(LookupView(name=_l("Archive lookup"), category=_l("Residents"), endpoint="lookup"))
