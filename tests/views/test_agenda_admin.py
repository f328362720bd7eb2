"""The manager's agenda pages: the service calendar (roles, communities, a save that changes a
complaint's deadline policy, audited) and the e-mail / robot deliveries with "send again";
the staff e-mail and the community robot webhook in their forms."""
from app import clock
from documents.audit import AuditEntry
from documents.notifications import FAILED, PENDING, ROBOT, SENT, Notification
from documents.service_calendar import WORKING, ServiceCalendar
from tests.conftest import csrf_token_of
from tests.services_support import (freeze_shanghai, make_complaint, request_context,  # noqa: F401
                                    separate_logins, shanghai)


def calendar_form(world, **changes) -> dict:
    """The calendar form as the browser posts it: Mon-Fri 08:30-17:30 with lunch, weekends closed."""
    data = {"version": "0", "closed_days": ""}
    for day in range(7):
        prefix = f"hours-{day}-"
        data.update({prefix + "weekday": str(day), prefix + "opens": "08:30", prefix + "closes": "17:30",
                     prefix + "lunch_from": "12:00", prefix + "lunch_to": "13:30"})
        if day < 5:
            data[prefix + "open"] = "y"
    from documents.agenda import KINDS
    for name, kind in KINDS.items():
        data[f"policy_{name}"] = kind.policy
    data.update(changes)
    return data


def test_only_managers_and_admins_reach_the_calendar(app, world, client_as):
    for role in ("clerk", "supervisor", "housekeeper", "cashier", "culture"):
        client = client_as(role)
        assert client.get("/admin/service-calendar/").status_code == 403, role
        assert client.post("/admin/service-calendar/", data=calendar_form(world)).status_code == 403, role
    assert ServiceCalendar.objects.count() == 0
    page = client_as("manager").get("/admin/service-calendar/").data.decode()
    assert "Complaint handling" in page and "Working time" in page and 'id="calendar-save"' in page
    assert "Renovation patrol" in page and "Monday" in page
    # a manager of B never opens A's calendar
    response = client_as("manager_b").get(f"/admin/service-calendar/?community={world['A'].pk}")
    assert response.status_code == 404
    assert client_as("admin").get(f"/admin/service-calendar/?community={world['B'].pk}").status_code == 200


def test_a_saved_working_time_policy_sets_the_next_complaints_deadline(app, world, client_as):
    client = client_as("manager")
    response = client.post(f"/admin/service-calendar/?community={world['A'].pk}", data=calendar_form(
        world, policy_complaint_handling=WORKING, closed_days="2026-12-31\n2026-12-30"))
    assert response.status_code == 302
    calendar = ServiceCalendar.objects.get(community=world["A"])
    assert calendar.policies == {"complaint_handling": WORKING}
    assert [d.isoformat() for d in calendar.closed_days] == ["2026-12-30", "2026-12-31"]
    entry = AuditEntry.objects(collection="service_calendars").first()
    assert entry is not None and entry.actor_name == "manager"
    assert any(c.field.startswith("policies") for c in entry.changes)
    # Tuesday 16:00, class 1 (4 h): 1.5 h today until 17:30, 2.5 h from 08:30 the next morning
    freeze_shanghai(2026, 11, 24, 16, 0)
    complaint = make_complaint(world, complaint_class=1)
    assert complaint.handle_due_at == shanghai(2026, 11, 25, 11, 0)
    # B keeps calendar time
    from documents.places import Room
    in_b = make_complaint(world, room=Room.objects(community=world["B"]).first(), community=world["B"])
    assert in_b.handle_due_at == shanghai(2026, 11, 24, 20, 0)
    page = client.get(f"/admin/service-calendar/?community={world['A'].pk}").data.decode()
    assert "2026-12-30\n2026-12-31" in page


def test_a_bad_calendar_is_refused_on_its_field(app, world, client_as):
    client = client_as("manager")
    page = client.post("/admin/service-calendar/", data=calendar_form(
        world, **{"hours-0-opens": "18:00", "closed_days": "tomorrow"})).data.decode()
    assert "is not a date like 2026-12-31" in page or "open before it closes" in page
    assert ServiceCalendar.objects.count() == 0
    page = client.post("/admin/service-calendar/", data=calendar_form(world, **{"hours-0-opens": "8h"})).data.decode()
    assert "Use HH:MM" in page and ServiceCalendar.objects.count() == 0
    page = client.post("/admin/service-calendar/", data=calendar_form(world, **{"hours-0-opens": "18:00"})).data.decode()
    assert "Monday: the office must open before it closes." in page
    assert ServiceCalendar.objects.count() == 0


def test_two_managers_saving_at_once_do_not_overwrite_each_other(app, world, client_as):
    client = client_as("manager")
    client.post("/admin/service-calendar/", data=calendar_form(world))
    stale = calendar_form(world, version="1", policy_complaint_handling=WORKING)
    assert client.post("/admin/service-calendar/", data=calendar_form(world, version="1")).status_code == 302
    page = client.post("/admin/service-calendar/", data=stale).data.decode()
    assert "Someone else saved this record" in page
    assert ServiceCalendar.objects.get(community=world["A"]).policies == {}


def robot_note(world, community, state, key):
    return Notification(key=key, channel=ROBOT, recipient_key=str(community.pk), community=community,
                        message="breach", values={"record": key, "clock": "repair_arrival",
                                                  "due": shanghai(2026, 11, 23, 9, 0).isoformat()},
                        endpoint="repairs.details_view", record_id=str(world["hh_a"].pk), state=state,
                        attempts=6 if state == FAILED else 1, last_error="connection refused",
                        created_at=shanghai(2026, 11, 23, 9, 0)).save()


def test_the_manager_sees_failed_deliveries_of_their_communities_and_sends_one_again(app, world, client_as):
    failed = robot_note(world, world["A"], FAILED, "A-failed")
    robot_note(world, world["A"], PENDING, "A-waiting")
    robot_note(world, world["A"], SENT, "A-sent")
    other = robot_note(world, world["B"], FAILED, "B-failed")
    client = client_as("manager")
    page = client.get("/admin/deliveries/").data.decode()
    assert "A-failed" in page and "A-waiting" in page and "A-sent" not in page and "B-failed" not in page
    assert "connection refused" in page and page.count('class="btn btn-sm btn-outline-primary retry"') == 1
    token = csrf_token_of(page.encode())
    assert client.post("/admin/deliveries/retry/", data={"csrf_token": token, "id": str(other.pk)}).status_code == 404
    assert other.reload().state == FAILED
    clock.freeze(shanghai(2026, 11, 24, 9, 0))
    client.post("/admin/deliveries/retry/", data={"csrf_token": token, "id": str(failed.pk)})
    failed.reload()
    assert failed.state == PENDING and failed.attempts == 0 and failed.next_try_at == shanghai(2026, 11, 24, 9, 0)
    for role in ("clerk", "supervisor"):
        assert client_as(role).get("/admin/deliveries/").status_code == 403
        assert client_as(role).post("/admin/deliveries/retry/", data={"id": str(other.pk)}).status_code == 403


def test_deliveries_are_paginated_newest_first(app, world, client_as):
    from datetime import timedelta
    for n in range(25):
        note = robot_note(world, world["A"], FAILED, f"D{n:02d}")
        note.update(set__created_at=shanghai(2026, 11, 23, 9, 0) + timedelta(minutes=n))
    client = client_as("manager")
    first = client.get("/admin/deliveries/").data.decode()
    assert first.index("D24") < first.index("D23") and "D04" not in first and "1 / 2" in first
    assert '<li class="page-item disabled"><a class="page-link" href="/admin/deliveries/?page=-1">' in first
    assert '<li class="page-item "><a class="page-link" href="/admin/deliveries/?page=1">' in first
    second = client.get("/admin/deliveries/?page=1").data.decode()
    assert "D04" in second and "D24" not in second and "2 / 2" in second
    assert '<li class="page-item disabled"><a class="page-link" href="/admin/deliveries/?page=2">' in second
    robot_note(world, world["B"], FAILED, "B-only")
    assert "pagination" not in client_as("manager_b").get("/admin/deliveries/").data.decode()   # one page


def test_staff_email_and_community_robot_webhook_are_in_their_forms(app, world, client_as):
    admin = client_as("admin")
    staff = world["staff"]["clerk"]
    form = admin.get(f"/admin/staff/edit/?id={staff.pk}").data.decode()
    assert 'name="email"' in form and "E-mail" in form
    community_form = admin.get(f"/admin/communities/edit/?id={world['A'].pk}").data.decode()
    assert 'name="robot_webhook"' in community_form and "Group robot webhook" in community_form
