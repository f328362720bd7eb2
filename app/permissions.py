"""The one role -> permission map. Views, actions and document rules all ask `can()`.

A permission is a verb on an area: "list", "details", "create", "edit", "delete", "export",
"action:<name>" for a named action, or a special right such as "view_id_numbers".
"""
from flask_login import current_user

READ = {"list", "details"}
WRITE = READ | {"create", "edit"}
ALL = WRITE | {"delete", "export"}

PERMISSIONS: dict[str, dict[str, set]] = {
    "communities": {
        "admin": ALL, "manager": READ,
    },
    "places": {
        "admin": ALL | {"action:generate_rooms"},
        "manager": ALL | {"action:generate_rooms"},
        "supervisor": READ | {"export"},
        "clerk": READ | {"edit"},
        "housekeeper": READ,
    },
    "residents": {
        "manager": ALL | {"action:move_out", "view_id_numbers", "view_phones"},
        "supervisor": WRITE | {"export", "action:move_out", "view_id_numbers", "view_phones"},
        "clerk": WRITE | {"export", "action:move_out", "view_id_numbers", "view_phones"},
        "housekeeper": READ | {"view_phones"},
        "cashier": READ,
        "culture": READ,
    },
    "lookup": {role: {"list"} for role in
               ("manager", "supervisor", "clerk", "housekeeper", "cashier", "culture")},
    "staff": {
        "admin": ALL - {"delete"} | {"action:deactivate", "action:activate"},
    },
    "audit": {
        "manager": READ | {"export"}, "admin": READ,
    },
    # Service requests: the front desk registers, dispatches and records what technicians report;
    # housekeepers register patrol finds and confirm public-area repairs; the supervisor also
    # closes without a visit and cancels; the manager may do everything.
    "repairs": {
        "manager": ALL | {f"action:{a}" for a in ("dispatch", "arrive", "start_review", "back_on_site",
                                                   "complete", "sign_off", "close", "cancel",
                                                   "first_rain", "add_photo")},
        "supervisor": WRITE | {"export"} | {f"action:{a}" for a in (
            "dispatch", "arrive", "start_review", "back_on_site", "complete", "sign_off", "close",
            "cancel", "first_rain", "add_photo")},
        "clerk": WRITE | {"export"} | {f"action:{a}" for a in (
            "dispatch", "arrive", "start_review", "back_on_site", "complete", "sign_off", "first_rain",
            "add_photo")},
        "housekeeper": READ | {"create", "action:sign_off", "action:add_photo"},
        "cashier": READ,
    },
    # Complaints: the front desk registers and records handlers' replies; the supervisor assigns,
    # closes and watches escalations; a housekeeper records handling of complaints given to them.
    "complaints": {
        "manager": ALL | {"action:assign", "action:handle", "action:handle_any", "action:close"},
        "supervisor": WRITE | {"export", "action:assign", "action:handle", "action:handle_any",
                               "action:close"},
        "clerk": WRITE | {"export", "action:handle", "action:handle_any"},
        "housekeeper": READ | {"action:handle"},
    },
    "visits": {
        "manager": READ | {"create", "export"},
        "supervisor": READ | {"create", "export"},
        "clerk": READ | {"create", "export"},
        "housekeeper": READ | {"create"},
    },
    "handover": {role: {"list", "details", "create", "action:acknowledge"}
                 for role in ("manager", "supervisor", "clerk", "housekeeper")},
}


def permissions_of(roles, area: str) -> set:
    area_map = PERMISSIONS.get(area, {})
    granted = set()
    for role in roles or []:
        granted |= area_map.get(role, set())
    return granted


def can(area: str, perm: str, user=None) -> bool:
    """Does `user` (default: the logged-in user) hold `perm` on `area`?"""
    user = user if user is not None else current_user
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return perm in permissions_of(user.roles, area)

