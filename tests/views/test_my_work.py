"""My work (the home page), per role: what shows, counts that match the lists they link to, never
another community's records; the bell and the notifications page."""
import re
from html import unescape

from app import clock
from documents.agenda import Clock, sweep
from documents.notifications import APP, Notification, unread_count
from tests.conftest import csrf_token_of
from tests.services_support import (freeze_shanghai, make_complaint, make_repair,  # noqa: F401
                                    request_context, separate_logins, shanghai)
from tests.support import filter_arg


def group(html: str, name: str) -> str:
    """The card of one group of My work."""
    match = re.search(rf'id="group-{name}".*?(?=<div class="col-xl-3|\Z)', html, flags=re.S)
    assert match, f"no group {name}"
    return match.group(0)


def group_count(html: str, name: str) -> int:
    return int(re.search(r'group-count">(\d+)<', group(html, name)).group(1))


def links(html: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'href="([^"]+)"', html)]


def list_total(client, url: str) -> int:
    """The number of records a list page says it shows (Flask-Admin's "List (N)")."""
    page = client.get(url).data.decode()
    match = re.search(r"List\s*\((\d+)\)", page)
    return int(match.group(1)) if match else 0


def overdue_world(world):
    """In A: an undispatched repair and an unassigned class-1 complaint, both overdue and swept; a
    repair due later today; in B: an overdue repair. Now: 2026-11-23 15:00 Shanghai."""
    from documents.places import Room
    freeze_shanghai(2026, 11, 23, 9, 0)
    late_repair = make_repair(world, appointment_at=shanghai(2026, 11, 23, 10, 0))
    complaint = make_complaint(world, complaint_class=1)                       # due 13:00
    room_b = Room.objects(community=world["B"]).first()
    other = make_repair(world, room=room_b, community=world["B"], registered_by=world["staff"]["clerk_b"],
                        appointment_at=shanghai(2026, 11, 23, 10, 0))
    clock.freeze(shanghai(2026, 11, 23, 14, 0))
    today_repair = make_repair(world, room="1-1-201", appointment_at=shanghai(2026, 11, 23, 20, 0))
    clock.freeze(shanghai(2026, 11, 23, 15, 0))
    sweep()
    return late_repair, complaint, other, today_repair


def test_clerk_sees_overdue_and_due_today_with_links_and_list_counts(app, world, client_as):
    late_repair, complaint, other, today_repair = overdue_world(world)
    client = client_as("clerk")
    html = client.get("/admin/").data.decode()
    assert 'name="q"' in html                                    # the search box stays
    overdue = group(html, "overdue")
    assert late_repair.number in overdue and f"/admin/repairs/details/?id={late_repair.pk}" in overdue
    assert complaint.number not in overdue                      # a complaint's deadline is the supervisor's
    assert str(other.pk) not in html                            # never another community's
    assert group_count(html, "overdue") == 1
    today = group(html, "today")
    assert today_repair.number in today and late_repair.number not in today
    assert group_count(html, "today") == 1
    assert 'id="group-escalated"' not in html                  # no ladder reaches the front desk
    # "all (N)": the list with the Deadline filter shows exactly N records
    deadline = filter_arg(app, "repairs", "due_at")
    for name, which in (("overdue", "overdue"), ("today", "today")):
        for url in links(group(html, name)):
            if f"{deadline}={which}" in url:
                shown = re.search(r"all \((\d+)\)", group(html, name)[group(html, name).index(url.split("?")[0]):])
                assert int(shown.group(1)) == list_total(client, url)
                break
        else:
            raise AssertionError(f"no repairs link with the {which} filter")
    assert list_total(client, f"/admin/repairs/?{deadline}=overdue") == 1
    assert list_total(client, f"/admin/repairs/?{deadline}=today") == 2      # 10:15 (late) and 20:15


def test_every_all_link_count_matches_its_list(app, world, client_as):
    overdue_world(world)
    for who in ("clerk", "supervisor", "manager", "clerk_b"):
        client = client_as(who)
        html = client.get("/admin/").data.decode()
        found = re.findall(r'<a href="([^"]+)" class="d-block all-link">[^<]*\((\d+)\)</a>', html)
        assert found, who
        for url, count in found:
            assert list_total(client, unescape(url)) == int(count), (who, url)


def test_supervisor_sees_what_was_escalated_and_the_waiting_steps(app, world, client_as):
    late_repair, complaint, other, _today = overdue_world(world)
    client = client_as("supervisor")
    html = client.get("/admin/").data.decode()
    escalated = group(html, "escalated")
    assert complaint.number in escalated and late_repair.number in escalated and str(other.pk) not in escalated
    assert group_count(html, "escalated") == 2
    assert f"/admin/complaints/details/?id={complaint.pk}" in escalated
    # waiting for their step: the complaint waits to be assigned, the repairs to be dispatched
    waiting = group(html, "waiting")
    state_arg = filter_arg(app, "complaints", "state")
    urls = dict(re.findall(r'<a href="([^"]+)" class="d-inline-block mr-2 waiting-state" data-state="(\w+)"',
                           waiting))
    by_state = {state: unescape(url) for url, state in urls.items()}
    assert f"{state_arg}=received" in by_state["received"]
    counts = dict(re.findall(r'data-state="(\w+)".*?badge-light border">(\d+)<', waiting, flags=re.S))
    for state, url in by_state.items():
        assert list_total(client, url) == int(counts[state]), state
    assert int(counts["reported"]) == 2                         # A's two repairs, not B's


def test_a_housekeeper_sees_the_complaints_given_to_them_and_no_one_elses(app, world, client_as):
    freeze_shanghai(2026, 11, 23, 9, 0)
    keeper, supervisor = world["staff"]["housekeeper"], world["staff"]["supervisor"]
    mine = make_complaint(world, complaint_class=1)
    mine.assign(supervisor, "engineering", keeper)
    theirs = make_complaint(world, complaint_class=1, room="1-1-201")
    theirs.assign(supervisor, "engineering", world["staff"]["clerk"])
    html = client_as("housekeeper").get("/admin/").data.decode()
    today = group(html, "today")
    assert mine.number in today and theirs.number not in today
    assert theirs.number not in group(html, "overdue")


def test_patrols_due_for_the_housekeeper_match_the_patrols_page(app, world, client_as):
    from tests.renovations_support import file_in_state
    freeze_shanghai(2026, 11, 23, 9, 0)
    renovation = file_in_state(world, "in_progress")
    clock_ = Clock.objects(record_id=renovation.pk, kind="renovation_patrol", open=True).first()
    assert clock_ is not None and clock_.responsible.pk == world["staff"]["housekeeper"].pk
    clock.freeze(clock_.due_at)                                     # the patrol is due today
    client = client_as("housekeeper")
    html = client.get("/admin/").data.decode()
    shown = int(re.search(r'id="waiting-patrols".*?badge[^>]*>(\d+)<', html, flags=re.S).group(1))
    page = client.get("/admin/renovation-patrols/").data.decode()
    assert shown == 1 and renovation.room_code in page
    assert "renovation-patrols" in group(html, "waiting")
    assert "id=\"waiting-patrols\"" not in client_as("clerk").get("/admin/").data.decode()


def test_an_executive_sees_level_two_escalations_of_every_community(app, world, client_as):
    from documents.staff import Staff
    from tests.conftest import PASSWORD
    boss = Staff(username="boss", display_name="高总", roles=["executive"], communities=[], language="en")
    boss.set_password(PASSWORD)
    boss.save()
    freeze_shanghai(2026, 11, 23, 9, 0)
    in_a = make_complaint(world, complaint_class=1)
    from documents.places import Room
    in_b = make_complaint(world, room=Room.objects(community=world["B"]).first(), community=world["B"])
    clock.freeze(shanghai(2026, 11, 23, 14, 0))
    sweep()
    html = client_as("boss").get("/admin/").data.decode()
    assert group_count(html, "escalated") == 0                   # the supervisors' level, not yet theirs
    clock.freeze(shanghai(2026, 11, 25, 14, 0))
    sweep()
    html = client_as("boss").get("/admin/").data.decode()
    escalated = group(html, "escalated")
    assert in_a.number in escalated and in_b.number in escalated and group_count(html, "escalated") == 2
    assert "bell-count\">2<" in html


# --- the bell and the notifications page ---

def test_the_bell_counts_unread_and_opening_marks_read(app, world, client_as):
    _late, complaint, _other, _today = overdue_world(world)
    supervisor = world["staff"]["supervisor"]
    client = client_as("supervisor")
    html = client.get("/admin/").data.decode()
    assert 'id="bell-count">2<' in html
    page = client.get("/admin/notifications/").data.decode()
    assert page.count("notification unread") == 2 and "was escalated to you" in page
    note = Notification.objects(recipient=supervisor, channel=APP, record_id=str(complaint.pk)).first()
    response = client.get(f"/admin/notifications/open/{note.pk}")
    assert response.status_code == 302 and response.location.endswith(f"/admin/complaints/details/?id={complaint.pk}")
    assert unread_count(supervisor) == 1
    assert 'id="bell-count">1<' in client.get("/admin/").data.decode()
    token = csrf_token_of(client.get("/admin/notifications/").data)
    client.post("/admin/notifications/read-all/", data={"csrf_token": token})
    assert unread_count(supervisor) == 0
    assert 'id="bell-count"' not in client.get("/admin/").data.decode()


def test_mark_read_one_by_one(app, world, client_as):
    overdue_world(world)
    supervisor = world["staff"]["supervisor"]
    client = client_as("supervisor")
    page = client.get("/admin/notifications/").data
    note = Notification.objects(recipient=supervisor, channel=APP).first()
    client.post("/admin/notifications/read/", data={"csrf_token": csrf_token_of(page), "id": str(note.pk)})
    assert note.reload().read_at is not None and unread_count(supervisor) == 1


def test_nobody_sees_or_marks_another_persons_notifications(app, world, client_as):
    overdue_world(world)
    note = Notification.objects(recipient=world["staff"]["supervisor"], channel=APP).first()
    client = client_as("clerk")
    assert client.get(f"/admin/notifications/open/{note.pk}").status_code == 404
    page = client.get("/admin/notifications/").data
    assert note.text() not in page.decode()
    assert client.post("/admin/notifications/read/", data={"csrf_token": csrf_token_of(page),
                                                            "id": str(note.pk)}).status_code == 404
    assert note.reload().read_at is None
    client.post("/admin/notifications/read-all/", data={"csrf_token": csrf_token_of(page)})
    assert note.reload().read_at is None
    assert app.test_client().get("/admin/notifications/").status_code == 302           # logged out: login


def test_notifications_are_paginated_newest_first(app, world, client_as):
    from datetime import timedelta
    supervisor = world["staff"]["supervisor"]
    start = shanghai(2026, 11, 1, 9, 0)
    for n in range(25):
        Notification(key=f"k{n}", channel=APP, recipient=supervisor, recipient_key=str(supervisor.pk),
                     community=world["A"], message="breach", endpoint="repairs.details_view",
                     values={"record": f"R{n:02d}", "clock": "repair_arrival", "due": start.isoformat()},
                     record_id=str(world["hh_a"].pk), created_at=start + timedelta(minutes=n)).save()
    client = client_as("supervisor")
    first = client.get("/admin/notifications/").data.decode()
    assert first.index("R24") < first.index("R23") and "R04" not in first and "1 / 2" in first
    second = client.get("/admin/notifications/?page=1").data.decode()
    assert "R04" in second and "R24" not in second
    assert 'id="bell-count">25<' in first


def test_the_bell_costs_one_count_per_page_and_only_when_logged_in(app, world, client_as, monkeypatch):
    import admin_views.agenda as agenda_views
    overdue_world(world)
    calls = []
    monkeypatch.setattr(agenda_views, "unread_count", lambda user: calls.append(user.pk) or 2)
    html = client_as("supervisor").get("/admin/").data.decode()
    assert calls == [world["staff"]["supervisor"].pk]           # the top bar and the phone's bell share it
    assert 'id="bell-count">2<' in html and 'id="bell-phone"' in html
    calls.clear()
    assert app.test_client().get("/auth/login").status_code == 200 and calls == []
