"""The one role -> permission map. Views, actions and document rules all ask `can()`.

A permission is a verb on an area: "list", "details", "create", "edit", "delete", "export",
"action:<name>" for a named action, or a special right such as "view_id_numbers".
"""
from flask_login import current_user

READ = {"list", "details"}
WRITE = READ | {"create", "edit"}
ALL = WRITE | {"delete", "export"}

#: the roles that keep the key store (seed 003 4.7: nobody else enters it): they receive keys from the
#: developer, issue them to owners, lend and take them back and check the labels. Configurable here.
KEY_KEEPER_ROLES = ("clerk",)
KEY_KEEPER_RIGHTS = WRITE | {"export", "labels"} | {f"action:{a}" for a in (
    "receive", "issue", "lend", "approve", "return_key", "chase", "mark_lost", "check_label", "renew_label")}

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
    # Rental agency (seed 003 代租): customer service (clerk) keeps listings and prospects and signs
    # leases; the cashier takes and returns the money; the housekeeper checks let flats daily; the
    # supervisor oversees (抽查、监督) and takes reported complaints; owner data: "view_owner".
    "rental": {
        "manager": ALL | {"view_owner", "action:take_deposit", "action:no_deal", "action:sign", "action:withdraw",
                          "action:relist", "action:log_check", "action:complain", "action:solve", "action:report"},
        "supervisor": READ | {"edit", "export", "view_owner", "action:withdraw", "action:relist",
                              "action:log_check", "action:complain", "action:solve", "action:report"},
        "clerk": WRITE | {"export", "view_owner", "action:sign", "action:withdraw", "action:relist",
                          "action:complain", "action:solve", "action:report"},
        "cashier": READ | {"export", "action:take_deposit", "action:no_deal", "action:sign"},
        "housekeeper": READ | {"action:log_check", "action:complain", "action:solve", "action:report"},
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
    # Information feedback (信息反馈记录表): the front desk logs and answers; a major matter is
    # reported to management first. Liaison slips (工作联系单): the front desk issues them; any
    # staff member who takes one signs for it (as themselves) and replies (documents/feedback.py).
    "feedback": {
        "manager": WRITE | {"export", "action:report", "action:answer", "intake"},
        "supervisor": WRITE | {"export", "action:report", "action:answer", "intake"},
        "clerk": WRITE | {"export", "action:report", "action:answer", "intake"},
        "housekeeper": READ,
        "executive": READ | {"export"},
    },
    "liaison_slips": {
        **{role: WRITE | {"export", "print", "action:sign", "action:report_up", "action:reply"}
           for role in ("manager", "supervisor", "clerk")},
        "housekeeper": READ | {"print", "action:sign", "action:report_up", "action:reply"},
        "executive": READ | {"export"},
    },
    # Complaint relays (003 §4.2): any staff member records a complaint they received and its relay;
    # handling lines are written by whoever writes them, under their own name.
    "complaint_relays": {
        **{role: WRITE | {"export", "action:tell_superior", "action:write_line", "action:link_repair"}
           for role in ("manager", "supervisor", "clerk")},
        "housekeeper": READ | {"create", "action:tell_superior", "action:write_line"},
        "executive": READ | {"export"},
    },
    # The reports (issue 13): supervisors and managers read them all, senior management company-wide;
    # front-desk clerks the daily report (documents/reports/). Figures scoped to one's communities.
    "reports": {
        **{role: {"list", "daily", "complaints", "export", "print"} for role in ("manager", "supervisor", "executive")},
        "clerk": {"list", "daily", "export", "print"},
    },
    "handover": {role: {"list", "details", "create", "action:acknowledge"}
                 for role in ("manager", "supervisor", "clerk", "housekeeper")},
    # Move-in (documents/movein.py): front-desk clerks open files and take the counter steps,
    # housekeepers guide the owner (items, inspection, handbook), the cashier confirms the fees
    # (step 4), a supervisor may also skip or undo a step (with a reason), the manager does all. Clerks
    # issue move-in notices, keep the handover days' appointment slots and book owners into them.
    "movein": {
        "manager": ALL - {"delete"} | {f"action:{a}" for a in (
            "verify", "sign", "archive", "fees", "items", "inspect", "handbook", "finish", "skip", "undo", "book")},
        "supervisor": READ | {"export"} | {f"action:{a}" for a in (
            "verify", "sign", "archive", "fees", "items", "inspect", "handbook", "finish", "skip", "undo", "book")},
        "clerk": READ | {"create", "edit"} | {f"action:{a}" for a in (
            "verify", "sign", "archive", "items", "handbook", "finish", "book")},
        "housekeeper": READ | {f"action:{a}" for a in ("items", "inspect", "handbook")},
        "cashier": READ | {"action:fees"},
    },
    # Fees: the cashier keeps the items' rates, generates the month's bills, charges, takes
    # payments and prints receipts; a supervisor voids a wrong receipt (with a reason); the manager
    # does everything; clerks read; housekeepers read and record dunning contacts (催缴) for the
    # buildings they look after (documents/fees/dunning.py), cashiers and managers community-wide.
    # The day's reconciliation: cashier, supervisor, manager; opening balances at go-live: cashier, manager.
    "fees": {
        "manager": ALL | {f"action:{a}" for a in ("generate_bills", "charge", "take_payment", "void", "dunning",
                                                  "reconcile", "import_opening")},
        "cashier": WRITE | {"export"} | {f"action:{a}" for a in ("generate_bills", "charge", "take_payment",
                                                                 "dunning", "reconcile", "import_opening")},
        "supervisor": READ | {"export", "action:void", "action:reconcile"},
        "clerk": READ,
        "housekeeper": READ | {"action:dunning"},
    },
    # Vacant units (seed 003 空置房): the front desk and housekeepers (own buildings) take the
    # application with the owner's original ID, sign the opinion, read the meters and tell the owner
    # of the end; the service-centre director (manager) signs off or rejects; the cashier receives
    # the signed application; a supervisor reads.
    "vacancies": {
        "manager": READ | {"export"} | {f"action:{a}" for a in (
            "apply", "review", "approve", "reject", "receive", "remind", "withdraw", "read_meters")},
        "clerk": READ | {"export"} | {f"action:{a}" for a in (
            "apply", "review", "remind", "withdraw", "read_meters")},
        "housekeeper": READ | {f"action:{a}" for a in ("apply", "review", "remind", "withdraw", "read_meters")},
        "cashier": READ | {"export", "action:receive"},
        "supervisor": READ | {"export"},
    },
    # Monthly inspections of every vacant unit and basement, their coverage, and the full round
    # after a storm, which the director starts.
    "vacant_inspections": {
        "manager": READ | {"export", "coverage", "action:inspect", "action:storm_round"},
        "supervisor": READ | {"export", "coverage"},
        "clerk": READ | {"export", "coverage", "action:inspect"},
        "housekeeper": READ | {"coverage", "action:inspect"},
    },
    # The key register (documents/keys.py): the key keepers move keys; managers and supervisors read
    # the register and watch overdue loans; housekeepers read it.
    "keys": {
        **{role: set(KEY_KEEPER_RIGHTS) for role in KEY_KEEPER_ROLES},
        **{role: READ | {"export", "labels"} for role in ("manager", "supervisor") if role not in KEY_KEEPER_ROLES},
        **{role: READ for role in ("housekeeper",) if role not in KEY_KEEPER_ROLES},
    },
    # Item release (seed 003 物品放行): the front desk registers forms and agrees to release once the
    # fees are settled; a supervisor may override arrears with a reason; the gate guard only looks
    # passes up and marks them released; the manager also closes a month (month-end archive).
    "item_release": {
        "manager": READ | {"create", "export", "view_id_numbers"} | {f"action:{a}" for a in (
            "confirm_fees", "override_arrears", "sign", "release", "cancel", "close_month")},
        "supervisor": READ | {"create", "export", "view_id_numbers"} | {f"action:{a}" for a in (
            "confirm_fees", "override_arrears", "sign", "cancel", "close_month")},
        "clerk": READ | {"create", "export"} | {f"action:{a}" for a in ("confirm_fees", "sign", "cancel")},
        "housekeeper": READ | {"action:confirm_fees"},
        "guard": {"list", "details", "action:release"},
    },
    # Lost & found (seed 003 物品拾遗): the front desk (客户接待员) registers, keeps, hands over to the
    # administration office and records claims; the office's head (supervisor / manager) hands items
    # unclaimed for 3 months to the company; other staff read (they hand items in at the desk).
    "lost_found": {
        "manager": READ | {"create", "export", "view_id_numbers"} | {f"action:{a}" for a in (
            "to_office", "to_company", "claim")},
        "supervisor": READ | {"create", "export", "view_id_numbers"} | {f"action:{a}" for a in (
            "to_office", "to_company", "claim")},
        "clerk": READ | {"create", "export"} | {f"action:{a}" for a in ("to_office", "claim")},
        "housekeeper": READ,
    },
    # Satisfaction surveys (意见征询, documents/surveys.py): supervisors and the manager write the
    # questionnaires and open/close surveys; the front desk and housekeepers hand questionnaires out and
    # enter the paper answers; results and their export for the office and senior management.
    "surveys": {
        **{role: WRITE | {"export", "results"} | {f"action:{a}" for a in ("open", "close", "hand_out", "enter")}
           for role in ("manager", "supervisor")},
        "clerk": READ | {"results", "action:hand_out", "action:enter"},
        "housekeeper": READ | {"action:hand_out", "action:enter"},
        "executive": READ | {"results", "export"},
    },
    # The KPI page (documents/reports/kpi.py): managers and supervisors for their communities, senior
    # management company-wide (it sees every community).
    "kpi": {role: READ | {"export"} for role in ("manager", "supervisor", "executive")},
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
    user = user if user is not None else current_user._get_current_object()
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    area_map = PERMISSIONS.get(area) or {}
    # as `perm in permissions_of(user.roles, area)`, without making the set (asked per list row)
    return any(perm in area_map.get(role, ()) for role in user.roles or ())

