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
    # Archives are kept permanently: no role deletes one (moving out and merging keep them).
    # Standing levels (ARCHIVE_LEVELS below): "view_phones" is the contact level, "view_id_numbers"
    # the full level; anything above a role's level needs an approved access request.
    "residents": {
        "manager": ALL - {"delete"} | {"action:move_out", "action:merge", "view_id_numbers", "view_phones",
                                       "import"},
        "supervisor": WRITE | {"export", "action:move_out", "view_phones"},
        "clerk": WRITE | {"export", "action:move_out", "view_phones", "import"},
        "housekeeper": READ | {"view_phones"},
        "cashier": READ,
        "culture": READ,
    },
    # Access requests to archives above one's level: anyone who reads archives asks (and sees
    # their own requests); the office director (manager) approves or rejects and sees them all.
    "archive_access": {
        "manager": READ | {"export", "action:request", "action:approve", "action:reject", "review"},
        **{role: READ | {"action:request"} for role in ("supervisor", "clerk", "housekeeper", "cashier",
                                                          "culture")},
    },
    # The access register (every read at full level): reviewed and exported by the manager.
    "access_register": {
        "manager": READ | {"export"},
    },
    "lookup": {role: {"list"} for role in
               ("manager", "supervisor", "clerk", "housekeeper", "cashier", "culture")},
    "staff": {
        "admin": ALL - {"delete"} | {"action:deactivate", "action:activate"},
    },
    "renovations": {
        # clerk opens and submits files, issues passes and item releases; supervisor approves,
        # rejects, inspects and signs hot work; housekeeper patrols and inspects (own buildings: the
        # workflow's authorize hook in documents/renovations/file.py); cashier takes the fees and
        # deposit and refunds it; manager does all, and approves refunds above the community's limit.
        "manager": ALL | {f"action:{a}" for a in (
            "submit", "flat_inspection", "approve", "reject", "pay_fees", "start", "set_phase",
            "initial_inspection", "final_inspection", "approve_refund", "refund", "archive", "issue_permit",
            "approve_hot_work", "revoke_permit", "log_patrol", "rectify", "attach", "remove_attachment")}
        | {"view_id_numbers", "view_phones", "patrols_due"},
        "supervisor": READ | {"edit", "export", "view_id_numbers", "view_phones", "patrols_due"}
        | {f"action:{a}" for a in ("approve", "reject", "flat_inspection", "initial_inspection",
                                   "final_inspection", "start", "set_phase", "rectify", "issue_permit",
                                   "approve_hot_work", "revoke_permit", "attach", "archive")},
        "clerk": WRITE | {"export", "view_id_numbers", "view_phones"}
        | {f"action:{a}" for a in ("submit", "start", "issue_permit", "revoke_permit", "attach",
                                   "remove_attachment", "archive")},
        "housekeeper": READ | {"view_phones", "patrols_due"}
        | {f"action:{a}" for a in ("log_patrol", "flat_inspection", "initial_inspection",
                                   "final_inspection", "set_phase", "start", "rectify", "attach")},
        "cashier": READ | {"export", "action:pay_fees", "action:refund"},
    },
    "audit": {
        "manager": READ | {"export"}, "admin": READ,
    },
    # Community events: plans, events, venues/bookings, sign-ups, records (photos, feedback).
    "events": {
        "manager": ALL | {"view_phones", "action:submit", "action:approve", "action:reject",
                          "action:revise", "action:publish", "action:mark_held", "action:record",
                          "action:cancel", "action:sign_up", "action:cancel_signup", "action:attend",
                          "action:book_venue", "action:cancel_booking", "action:edit_venues",
                          "action:add_record"},
        "supervisor": READ | {"export", "view_phones", "action:approve", "action:reject",
                              "action:cancel"},
        "culture": WRITE | {"export", "view_phones", "action:submit", "action:revise",
                            "action:publish", "action:mark_held", "action:record", "action:cancel",
                            "action:attend", "action:book_venue", "action:cancel_booking",
                            "action:edit_venues", "action:add_record"},
        "clerk": READ | {"export", "view_phones", "action:sign_up", "action:cancel_signup",
                         "action:attend", "action:book_venue", "action:cancel_booking"},
        "housekeeper": READ,
    },
    "notices": {
        "manager": ALL | {"action:publish", "action:withdraw"},
        "supervisor": WRITE | {"export", "action:publish", "action:withdraw"},
        "culture": WRITE,
        "clerk": WRITE,
        "housekeeper": READ,
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
        # senior management reads every community's complaints (level-2 escalations reach them)
        "executive": READ | {"export"},
    },
    "visits": {
        "manager": READ | {"create", "export"},
        "supervisor": READ | {"create", "export"},
        "clerk": READ | {"create", "export"},
        "housekeeper": READ | {"create"},
    },
    "handover": {role: {"list", "details", "create", "action:acknowledge"}
                 for role in ("manager", "supervisor", "clerk", "housekeeper")},
    # Fees: the cashier keeps the items' rates, generates the month's bills, charges, takes
    # payments and prints receipts; a supervisor voids a wrong receipt (with a reason); the manager
    # does everything; clerks and housekeepers read (housekeepers: dunning of their buildings).
    # The day's reconciliation: cashier, supervisor, manager; opening balances at go-live: cashier, manager.
    "fees": {
        "manager": ALL | {f"action:{a}" for a in ("generate_bills", "charge", "take_payment", "void")}
        | {"action:reconcile", "action:import_opening"},
        "cashier": WRITE | {"export"} | {f"action:{a}" for a in ("generate_bills", "charge", "take_payment")}
        | {"action:reconcile", "action:import_opening"},
        "supervisor": READ | {"export", "action:void"} | {"action:reconcile"},
        "clerk": READ,
        "housekeeper": READ,
    },
    # the agenda: a community's service calendar (office hours, closed days, deadline policy per
    # clock kind), and the e-mail / group-robot deliveries that wait or failed
    "calendar": {"manager": {"list", "edit"}, "admin": {"list", "edit"}},
    "deliveries": {"manager": {"list", "action:retry"}, "admin": {"list", "action:retry"}},
}


#: What a reader of an archive sees, lowest first: summary (room, names, masked contact),
#: contact (phone numbers), full (ID numbers and the archive's documents).
ARCHIVE_LEVELS = ("summary", "contact", "full")


def archive_standing_level(user=None) -> str:
    """The level a user's roles give on every archive of their communities, without a request."""
    if can("residents", "view_id_numbers", user):
        return "full"
    if can("residents", "view_phones", user):
        return "contact"
    return "summary"


def level_at_least(level: str, wanted: str) -> bool:
    return ARCHIVE_LEVELS.index(level) >= ARCHIVE_LEVELS.index(wanted)


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

