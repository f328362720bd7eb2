"""A renovation's large items leave on the estate's one item release form (issue 11 point 1): the button on the
renovation, the form with the renovation's rules, the one pass and print, and the permits issued before."""
from datetime import date

import pytest

from app import clock
from documents.item_release import ItemRelease
from documents.renovations import Permit, Renovation
from tests.renovations_support import NOW, file_in_state, licence_no
from tests.support import english_request

EN = {"Accept-Language": "en"}
DRIVER_ID = "440301198001010011"


@pytest.fixture(autouse=True)
def frozen_clock():
    clock.freeze(NOW)
    yield
    clock.freeze(None)


def make(app, world, state, **kwargs):
    with english_request(app):
        return file_in_state(world, state, **kwargs)


def data(**changes):
    values = {"items": "旧橱柜 1\n旧门 2", "release_on": NOW.date().isoformat(), "vehicle_plate": "粤B12345",
              "driver_name": "陈司机", "driver_id_type": "id_card", "driver_id": DRIVER_ID}
    values.update(changes)
    return values


def test_the_renovation_offers_the_release_form_and_the_form_is_the_one_pass(app, world, client_as):
    running = make(app, world, "in_progress")
    clerk = client_as("clerk")
    page = clerk.get(f"/admin/renovations/details/?id={running.pk}", headers=EN).get_data(as_text=True)
    assert 'id="renovation-item-release"' in page and "permit-item_release" not in page
    register = f"/admin/item_release/register/?renovation={running.pk}"
    assert f"/admin/item_release/register/?renovation={running.pk}" in page
    form_page = clerk.get(register, headers=EN).get_data(as_text=True)
    assert "Large items of renovation" in form_page and running.permit_no in form_page
    assert 'name="room"' not in form_page and 'name="renovation"' in form_page
    # the renovation's rule: the driver is always recorded (no vehicle here); nothing saved, said on the field
    refused = clerk.post(register, data=data(vehicle_plate="", driver_name="", driver_id=""), headers=EN)
    assert "Record the driver" in refused.get_data(as_text=True) and ItemRelease.objects.count() == 0
    shown = refused.get_data(as_text=True).replace("&#39;", "'")
    # each message under its own field, not both joined on the first
    assert "Record the driver's name." in shown and "Record the driver's licence or ID number." in shown
    assert "name.; Record" not in shown
    assert shown.index("Record the driver's licence") > shown.index('name="driver_id"')
    response = clerk.post(register, data=data(), headers=EN)
    assert response.status_code == 302
    record = ItemRelease.objects.get()
    assert record.source == "renovation" and record.renovation.pk == running.pk
    assert record.household.pk == running.household.pk and record.room_code == running.room_code
    # listed on the renovation, printed on the one pass (with its QR code), in both languages
    page = clerk.get(f"/admin/renovations/details/?id={running.pk}", headers=EN).get_data(as_text=True)
    assert 'id="renovation-releases"' in page and record.number in page
    english = clerk.get(f"/admin/item_release/print/?id={record.pk}&lang=en").get_data(as_text=True)
    assert "Item in/out form" in english and running.permit_no in english and "<svg" in english
    chinese = clerk.get(f"/admin/item_release/print/?id={record.pk}").get_data(as_text=True)
    assert "物品出入登记表" in chinese and "装修许可证" in chinese
    details = clerk.get(f"/admin/item_release/details/?id={record.pk}", headers=EN).get_data(as_text=True)
    assert "Renovation (large items)" in details
    # the same steps as every form: customer service agrees (fees), the owner signs, the guard releases
    assert "Agree to release" in details


@pytest.mark.parametrize("state", ["approved", "final_passed"])
def test_no_release_outside_an_active_permit(app, world, client_as, state):
    renovation = make(app, world, state)
    clerk = client_as("clerk")
    page = clerk.get(f"/admin/renovations/details/?id={renovation.pk}", headers=EN).get_data(as_text=True)
    assert 'id="renovation-item-release"' not in page
    refused = clerk.post(f"/admin/item_release/register/?renovation={renovation.pk}", data=data(), headers=EN)
    assert "only while its permit is active" in refused.get_data(as_text=True)
    assert ItemRelease.objects.count() == 0


def test_a_day_after_the_planned_end_is_refused_in_chinese(app, world, client_as):
    running = make(app, world, "in_progress")
    client = client_as("clerk")
    client.post("/auth/language", data={"language": "zh_Hans_CN"})
    page = client.post(f"/admin/item_release/register/?renovation={running.pk}",
                       data=data(release_on="2026-06-01")).get_data(as_text=True)
    assert "2026-05-31" in page and "invalid-feedback" in page and ItemRelease.objects.count() == 0


def test_another_communitys_renovation_is_not_found(app, world, client_as):
    running = make(app, world, "in_progress")
    client = client_as("clerk_b")
    assert client.get(f"/admin/item_release/register/?renovation={running.pk}").status_code == 404
    assert client.post(f"/admin/item_release/register/", data=data(renovation=str(running.pk))).status_code == 404
    assert ItemRelease.objects.count() == 0


def test_a_large_item_permit_issued_before_stays_readable_and_printable(app, world, client_as):
    running = make(app, world, "in_progress")
    old = Permit(key="old-release", kind="item_release", number=f"{running.permit_no}-F01", status="active",
                 valid_from=date(2026, 3, 1), valid_to=date(2026, 3, 1), items="旧橱柜 1 套",
                 vehicle_plate="粤B12345", driver_name="陈司机", driver_id="B123456789", fees_settled=True,
                 issued_by_name="clerk A", issued_at=NOW)
    Renovation.objects(pk=running.pk).update_one(push__permits=old)
    clerk = client_as("clerk")
    page = clerk.get(f"/admin/renovations/details/?id={running.pk}", headers=EN).get_data(as_text=True)
    assert f"{running.permit_no}-F01" in page and "旧橱柜 1 套" in page and "Large-item release" in page
    printed = clerk.get(f"/admin/renovations/print/pass/?id={running.pk}&key=old-release&lang=en")
    assert printed.status_code == 200 and "Large-item release pass" in printed.get_data(as_text=True)
    # and no new one is issued that way
    assert clerk.get(f"/admin/renovations/step/issue_permit/?id={running.pk}&kind=item_release").status_code == 404
