"""Vacant units through the pages, in English and Chinese: the application form and its refusals on
the fields, the steps by role, meter readings, scoping, inspections and the coverage view."""
import re
from datetime import date, datetime

import pytest

from app import clock
from documents.audit import AuditEntry
from documents.fees.vacancy import StormRound, VacantInspection, Vacancy
from documents.places import Room, Unit
from documents.repairs import Repair
from tests.support import english_request, separate_requests

ID = "11010519491231002X"
EN = {"Accept-Language": "en"}


@pytest.fixture
def vv(app, world):
    """2026-12-20 in Shanghai; 1-1-102 unsold, a basement 1-1-B01, the other rooms occupied."""
    clock.freeze(datetime(2026, 12, 20, 2, 0))
    unit = Unit.objects(community=world["A"]).first()
    Room(community=world["A"], building=unit.building, unit=unit, floor=-1, number="B01", status="occupied").save()
    for room in Room.objects(community=world["A"]):
        if room.code not in ("1-1-102", "1-1-B01"):
            room.status = "occupied"
            room.save()
    with separate_requests(app):
        yield world


def in_chinese(client):
    client.post("/auth/language", data={"language": "zh_Hans_CN"})
    return client


def application(**changes):
    data = {"room": "1-1-101", "owner_name": "张伟", "id_type": "id_card", "id_number": ID,
            "starts_on": "2027-01-01", "ends_on": "2027-04-01", "reason": "出国工作"}
    data.update(changes)
    return data


def applied(app, world, **kwargs):
    with english_request(app):
        return Vacancy.apply(world["staff"]["clerk"], world["hh_a"], kwargs.get("start", date(2027, 1, 1)),
                             kwargs.get("end", date(2027, 4, 1)), "出国工作", "张伟", ID)


def approved(app, world, **kwargs):
    vacancy = applied(app, world, **kwargs)
    with english_request(app):
        vacancy.review(world["staff"]["clerk"], "同意")
        vacancy.approve(world["staff"]["manager"])
    return vacancy


# --- the application form ---

def test_the_clerk_registers_an_application(vv, client_as):
    client = client_as("clerk")
    response = client.post("/admin/vacancies/apply/", data=application(), headers=EN)
    assert response.status_code == 302
    vacancy = Vacancy.objects.get()
    assert vacancy.state == "applied" and vacancy.id_checked_by == "clerk A" and vacancy.household.pk == vv["hh_a"].pk
    assert AuditEntry.objects(collection="vacancies", action="apply").count() == 1
    created = AuditEntry.objects(collection="vacancies", action="create").get()
    assert {c.field for c in created.changes} >= {"owner_name", "id_number", "starts_on", "ends_on", "reason"}
    page = client.get(response.headers["Location"], headers=EN).get_data(as_text=True)
    assert "Sign opinion" in page and "Applied" in page


@pytest.mark.parametrize("changes, field, english, chinese", [
    ({"ends_on": "2027-02-28"}, "ends_on", "must be longer than 3 months", "必须超过3个月"),
    ({"ends_on": "2027-03-31"}, "ends_on", "must be longer than 3 months", "必须超过3个月"),
    ({"starts_on": "2027-05-01", "ends_on": "2027-01-01"}, "ends_on", "cannot be before the first",
     "不能早于"),
    ({"id_number": "110105194912310021"}, "id_number", "check digit is wrong", "校验码"),
    ({"room": "9-9-999"}, "room", "No current archive for room 9-9-999", "9-9-999"),
])
def test_bad_applications_are_refused_on_the_field_in_both_languages(vv, client_as, changes, field, english,
                                                                        chinese):
    client = client_as("clerk")
    page = client.post("/admin/vacancies/apply/", data=application(**changes), headers=EN).get_data(as_text=True)
    assert english in page and f'id="{field}"' in page and "invalid-feedback" in page
    page = in_chinese(client).post("/admin/vacancies/apply/", data=application(**changes),
                                   headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert chinese in page and english not in page
    assert Vacancy.objects.count() == 0


def test_an_overlapping_application_is_refused_in_both_languages(vv, client_as, app):
    applied(app, vv)
    client = client_as("clerk")
    data = application(starts_on="2027-03-01", ends_on="2027-08-31")
    assert "may not overlap" in client.post("/admin/vacancies/apply/", data=data, headers=EN).get_data(as_text=True)
    page = in_chinese(client).post("/admin/vacancies/apply/", data=data).get_data(as_text=True)
    assert "不得重叠" in page
    assert Vacancy.objects.count() == 1


def test_who_may_open_the_application_form(vv, client_as):
    for username, status in (("clerk", 200), ("housekeeper", 200), ("manager", 200), ("cashier", 403),
                             ("supervisor", 403), ("culture", 403)):
        assert client_as(username).get("/admin/vacancies/apply/").status_code == status, username


def test_another_communitys_household_is_not_found(vv, client_as):
    client = client_as("clerk_b")
    assert client.get(f"/admin/vacancies/apply/?household={vv['hh_a'].pk}").status_code == 404
    client.post("/admin/vacancies/apply/", data=application(), headers=EN)
    assert [v.household.pk for v in Vacancy.objects] == [vv["hh_b"].pk]      # their own 1-1-101


# --- steps through the step pages ---

def test_the_steps_by_role_and_the_work_order_once(vv, client_as, app):
    vacancy = applied(app, vv)
    url = f"/admin/vacancies/step/%s/?id={vacancy.pk}"
    assert client_as("cashier").post(url % "review", data={"opinion": "x"}).status_code == 403
    clerk = client_as("clerk")
    assert clerk.post(url % "review", data={"opinion": "同意"}).status_code == 302
    assert client_as("clerk").post(url % "approve", data={}).status_code == 403
    manager = client_as("manager")
    assert manager.post(url % "approve", data={"note": "同意"}).status_code == 302
    again = manager.post(url % "approve", data={"note": "同意"}, headers=EN).get_data(as_text=True)   # double click
    assert "not possible while the record is" in again
    assert Repair.objects(room=vv["hh_a"].room).count() == 1
    vacancy.reload()
    assert vacancy.state == "approved" and vacancy.work_order is not None
    cashier = client_as("cashier")
    page = cashier.get(f"/admin/vacancies/details/?id={vacancy.pk}", headers=EN).get_data(as_text=True)
    assert "Received by cashier" in page and vacancy.work_order.number in page
    assert cashier.post(url % "receive", data={}).status_code == 302
    assert vacancy.reload().received_by == "cashier A" and vacancy.state == "received"
    elsewhere = client_as("manager_b").get(f"/admin/vacancies/details/?id={vacancy.pk}")
    assert elsewhere.status_code == 302 and "details" not in elsewhere.headers["Location"]
    assert client_as("manager_b").get(f"/admin/vacancies/step/receive/?id={vacancy.pk}").status_code == 404


def test_the_id_number_is_masked_by_the_readers_archive_level(vv, client_as, app):
    vacancy = applied(app, vv)
    url = f"/admin/vacancies/details/?id={vacancy.pk}"
    assert ID in client_as("manager").get(url).get_data(as_text=True)
    clerk_page = client_as("clerk").get(url).get_data(as_text=True)
    assert ID not in clerk_page and "110" in clerk_page and "002X" in clerk_page


def test_meter_readings_and_their_refusals_in_both_languages(vv, client_as, app):
    vacancy = approved(app, vv)
    url = f"/admin/vacancies/step/read_meters/?id={vacancy.pk}"
    client = client_as("housekeeper")
    assert client.post(url, data={"read_on": "2026-12-20", "water": "10.5", "electricity": "300"}).status_code == 302
    cases = [({"read_on": "2026-12-20", "water": "10.4", "electricity": "300"}, "less than at the previous",
              "低于上次读数"),
             ({"read_on": "2026-12-21", "water": "11", "electricity": "301"}, "cannot be dated in the future",
              "不能晚于今天"),
             ({"read_on": "2026-12-20", "water": "abc", "electricity": "301"}, "as a number", "数字")]
    for data, english, chinese in cases:
        assert english in client.post(url, data=data, headers=EN).get_data(as_text=True)
    in_chinese(client)
    for data, english, chinese in cases:
        page = client.post(url, data=data).get_data(as_text=True)
        assert chinese in page and english not in page
    assert len(vacancy.reload().readings) == 1
    assert client_as("cashier").post(url, data={"read_on": "2026-12-20", "water": "11",
                                                "electricity": "301"}).status_code == 403


def test_the_household_timeline_shows_the_vacancy(vv, client_as, app):
    approved(app, vv)
    page = client_as("clerk").get(f"/admin/households/details/?id={vv['hh_a'].pk}", headers=EN).get_data(as_text=True)
    assert "Sign off vacancy" in page and "Vacancy" in page


# --- inspections and coverage ---

def test_coverage_shows_the_missing_units_by_building_and_housekeeper(vv, client_as, app):
    approved(app, vv, start=date(2026, 12, 1), end=date(2027, 6, 30))
    client = client_as("manager")
    page = client.get("/admin/vacant-coverage/?month=2026-12", headers=EN).get_data(as_text=True)
    assert "0 %" in page and "0 of 3" in page and "housekeeper A" in page
    for code in ("1-1-101", "1-1-102", "1-1-B01"):
        assert code in page
    keeper = client_as("housekeeper")
    room = vv["rooms"]["A"]["1-1-102"]
    form = keeper.get(f"/admin/vacant_inspections/inspect/?room={room.pk}", headers=EN).get_data(as_text=True)
    assert 'value="1-1-102"' in form
    for code in ("1-1-101", "1-1-102", "1-1-B01"):
        response = keeper.post("/admin/vacant_inspections/inspect/",
                               data={"room": code, "inspected_on": "2026-12-20", "facilities_ok": "y",
                                     "hygiene_ok": "y", "quality_ok": "y", "no_leaks": "y"})
        assert response.status_code == 302, code
    page = client.get("/admin/vacant-coverage/?month=2026-12", headers=EN).get_data(as_text=True)
    assert "100 %" in page and "coverage-complete" in page
    page = in_chinese(client).get("/admin/vacant-coverage/?month=2026-12").get_data(as_text=True)
    assert "100 %" in page and "空置房" in page


def test_a_bad_inspection_says_why_and_saves_nothing(vv, client_as):
    client = client_as("clerk")
    data = {"room": "1-1-102", "inspected_on": "2026-12-20", "facilities_ok": "y", "quality_ok": "y",
            "no_leaks": "y"}            # hygiene not in order, nothing written about it
    assert "write what was found" in client.post("/admin/vacant_inspections/inspect/", data=data,
                                                 headers=EN).get_data(as_text=True)
    page = client.post("/admin/vacant_inspections/inspect/", data={**data, "room": "1-1-201", "hygiene_ok": "y"},
                       headers=EN).get_data(as_text=True)
    assert "not a vacant unit or basement due" in page
    page = in_chinese(client).post("/admin/vacant_inspections/inspect/", data={**data, "inspected_on": "2026-12-21"},
                                   headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "检查日期不能晚于今天" in page
    assert VacantInspection.objects.count() == 0


def test_only_the_manager_starts_a_storm_round_and_it_lists_every_unit(vv, client_as):
    assert client_as("clerk").post("/admin/vacant-coverage/storm/", data={"cause": "rainstorm"}).status_code == 403
    client = client_as("manager")
    response = client.post("/admin/vacant-coverage/storm/", data={"cause": "gale", "note": "台风"})
    assert response.status_code == 302
    client.post("/admin/vacant-coverage/storm/", data={"cause": "gale"})               # a double click
    storm = StormRound.objects.get()
    page = client.get(response.headers["Location"], headers=EN).get_data(as_text=True)
    assert "0 of 2" in page and "1-1-102" in page and "1-1-B01" in page and "Gale" in page
    assert AuditEntry.objects(action="start_storm_round").count() == 1
    assert storm.community.pk == vv["A"].pk


def test_coverage_is_scoped(vv, client_as):
    assert client_as("cashier").get("/admin/vacant-coverage/").status_code == 403
    page = client_as("clerk_b").get("/admin/vacant-coverage/?month=2026-12", headers=EN).get_data(as_text=True)
    assert "1-1-B01" not in page


def test_the_household_page_offers_the_application_with_the_household_chosen(vv, client_as):
    hh = vv["hh_a"]
    page = client_as("clerk").get(f"/admin/households/details/?id={hh.pk}", headers=EN).get_data(as_text=True)
    links = re.findall(r'href="(/admin/vacancies/apply/[^"]*)"', page)
    assert len(links) == 1 and f"household={hh.pk}" in links[0]
    cashier_page = client_as("cashier").get(f"/admin/households/details/?id={hh.pk}", headers=EN).get_data(as_text=True)
    assert "/admin/vacancies/apply/" not in cashier_page
    client = client_as("clerk")
    form = client.get(f"/admin/vacancies/apply/?household={hh.pk}", headers=EN).get_data(as_text=True)
    assert 'value="张伟"' in form and 'id="room"' not in form
    data = application()
    del data["room"]
    assert client.post(f"/admin/vacancies/apply/?household={hh.pk}", data=data).status_code == 302
    assert Vacancy.objects.get().household.pk == hh.pk


def test_a_housekeeper_sees_the_coverage_of_their_own_buildings(vv, client_as):
    keeper = vv["staff"]["housekeeper"]
    keeper.buildings = ["2"]
    keeper.save()
    page = client_as("housekeeper").get("/admin/vacant-coverage/?month=2026-12", headers=EN).get_data(as_text=True)
    assert "1-1-102" not in page and "100 %" in page and "0 of 0" in page
    page = client_as("clerk").get("/admin/vacant-coverage/?month=2026-12", headers=EN).get_data(as_text=True)
    assert "1-1-102" in page and "0 of 2" in page


def test_a_malformed_month_is_named_and_the_current_one_shown(vv, client_as):
    page = client_as("clerk").get("/admin/vacant-coverage/?month=2026-13", headers=EN).get_data(as_text=True)
    assert "YYYY-MM" in page and "Inspections of 2026-12" in page
