"""Item release through the pages, in English and Chinese: the form and its refusals on the fields,
the steps by role, the guard's gate page, masking of the driver's ID, prints, the month-end archive."""
from datetime import date, datetime

import pytest

from app import clock
from documents.item_release import ItemRelease, ReleaseMonth
from documents.staff import Staff
from tests.conftest import PASSWORD
from tests.support import english_request, separate_requests

EN = {"Accept-Language": "en"}
DRIVER_ID = "440301198001010011"


@pytest.fixture
def rv(app, world):
    clock.freeze(datetime(2026, 12, 20, 2, 0))
    guard = Staff(username="guard", display_name="guard A", roles=["guard"], communities=[world["A"]], language="en")
    guard.set_password(PASSWORD)
    world["staff"]["guard"] = guard.save()
    with separate_requests(app):
        yield world


def in_chinese(client):
    client.post("/auth/language", data={"language": "zh_Hans_CN"})
    return client


def data(**changes):
    values = {"applicant": "owner", "room": "1-1-101", "items": "沙发 2\n冰箱 1", "release_on": "2026-12-20",
              "vehicle_plate": "粤B12345", "driver_name": "王师傅", "driver_id_type": "id_card", "driver_id": DRIVER_ID}
    values.update(changes)
    return values


def signed_form(app, world):
    with english_request(app):
        record = ItemRelease.register(world["staff"]["clerk"], world["A"], items="沙发 2", release_on=date(2026, 12, 20),
                                      household=world["hh_a"], vehicle_plate="粤B12345", driver_name="王师傅",
                                      driver_id=DRIVER_ID)
        record.confirm_fees(world["staff"]["clerk"])
        record.sign(world["staff"]["clerk"], signed_by="张伟")
    return record


def test_the_clerk_registers_a_form_and_agrees(rv, client_as):
    client = client_as("clerk")
    response = client.post("/admin/item_release/register/", data=data(), headers=EN)
    assert response.status_code == 302
    record = ItemRelease.objects.get()
    assert record.household.pk == rv["hh_a"].pk and record.items_summary == "沙发 × 2、冰箱 × 1"
    page = client.get(response.headers["Location"], headers=EN).get_data(as_text=True)
    assert "Agree to release" in page and "Applied" in page
    assert DRIVER_ID not in page and "440*" in page          # a clerk sees the driver's ID masked
    client.post(f"/admin/item_release/step/confirm_fees/?id={record.pk}", data={}, headers=EN)
    assert ItemRelease.objects.get().state == "agreed"


@pytest.mark.parametrize("changes, english, chinese", [
    ({"vehicle_plate": "ABC-123"}, "Not a valid plate number", "车牌号"),
    ({"items": ""}, "List at least one item", "至少"),
    ({"items": "沙发"}, "write the item, then its quantity", "数量"),
])
def test_bad_input_is_refused_on_the_field_in_both_languages(rv, client_as, changes, english, chinese):
    client = client_as("clerk")
    page = client.post("/admin/item_release/register/", data=data(**changes), headers=EN).get_data(as_text=True)
    assert english in page and "invalid-feedback" in page
    page = in_chinese(client).post("/admin/item_release/register/", data=data(**changes)).get_data(as_text=True)
    assert chinese in page
    assert ItemRelease.objects.count() == 0


def test_the_guard_opens_a_pass_by_number_and_releases_it_once(app, rv, client_as):
    record = signed_form(app, rv)
    guard = client_as("guard")
    response = guard.get(f"/admin/item_release/gate/?number={record.number.lower()}", headers=EN)
    assert response.status_code == 302 and "/step/release/" in response.headers["Location"]
    page = guard.get(response.headers["Location"], headers=EN).get_data(as_text=True)
    assert "粤B12345" in page and "沙发 × 2" in page
    url = f"/admin/item_release/step/release/?id={record.pk}"
    bad = guard.post(url, data={"plate_seen": "粤B99999", "items_checked": "y"}, headers=EN).get_data(as_text=True)
    assert "The plate does not match" in bad and ItemRelease.objects.get().state == "signed"
    guard.post(url, data={"plate_seen": "粤B12345", "items_checked": "y"}, headers=EN)
    stored = ItemRelease.objects.get()
    assert stored.state == "released" and stored.released_by == "guard A"
    again = in_chinese(guard).post(url, data={"plate_seen": "粤B12345", "items_checked": "y"}).get_data(as_text=True)
    assert "已放行" in again and ItemRelease.objects.get().version == stored.version
    # a guard may only look up and mark passes
    assert guard.get("/admin/item_release/register/").status_code == 403
    assert guard.get(f"/admin/item_release/step/confirm_fees/?id={record.pk}").status_code == 403
    assert guard.get("/admin/households/").status_code == 403


def test_other_communities_do_not_see_a_pass(app, rv, client_as):
    record = signed_form(app, rv)
    client = client_as("clerk_b")
    assert client.get(f"/admin/item_release/details/?id={record.pk}").status_code in (302, 404)
    assert record.number not in client.get("/admin/item_release/", headers=EN).get_data(as_text=True)


def test_prints_in_both_languages_and_manager_sees_the_full_id(app, rv, client_as):
    record = signed_form(app, rv)
    manager = client_as("manager")
    english = manager.get(f"/admin/item_release/print/?id={record.pk}&lang=en").get_data(as_text=True)
    assert "Item in/out form" in english and record.number in english and DRIVER_ID in english
    chinese = manager.get(f"/admin/item_release/print/?id={record.pk}").get_data(as_text=True)
    assert "物品出入登记表" in chinese and "仅限" in chinese
    clerk = client_as("clerk").get(f"/admin/item_release/print/?id={record.pk}").get_data(as_text=True)
    assert DRIVER_ID not in clerk


def test_month_end_bundle_and_close(app, rv, client_as):
    record = signed_form(app, rv)
    manager = client_as("manager")
    bundle = manager.get("/admin/item_release/month/?period=2026-12&print=1&lang=en").get_data(as_text=True)
    assert bundle.count("release-sheet") == 1 and record.number in bundle
    page = manager.post("/admin/item_release/month/", data={"period": "2026-12"}, headers=EN,
                        follow_redirects=True).get_data(as_text=True)
    assert "Forms still open" in page and ReleaseMonth.objects.count() == 0
    with english_request(app):
        record.release(rv["staff"]["guard"], plate_seen="粤B12345", items_checked=True)
    page = in_chinese(manager).post("/admin/item_release/month/", data={"period": "2026-12"},
                                    follow_redirects=True).get_data(as_text=True)
    assert ReleaseMonth.objects.get().forms == 1 and "已关闭" in page


def test_the_list_exports_xlsx(app, rv, client_as):
    signed_form(app, rv)
    response = client_as("supervisor").get("/admin/item_release/export/xlsx/")
    assert response.status_code == 200 and response.data[:2] == b"PK"
    assert client_as("guard").get("/admin/item_release/export/xlsx/").status_code in (302, 403)


def test_company_items_are_signed_with_the_certificate_attached(app, rv, client_as):
    import io
    from PIL import Image
    from documents.item_release import ReleaseCertificate
    with english_request(app):
        record = ItemRelease.register(rv["staff"]["clerk"], rv["A"], items="旧办公桌 2", release_on=date(2026, 12, 20),
                                      applicant="company", applicant_name="工程部 刘工")
        record.confirm_fees(rv["staff"]["clerk"])
    client = client_as("clerk")
    url = f"/admin/item_release/step/sign/?id={record.pk}"
    page = client.post(url, data={"signed_by": "工程部 刘工", "certificate": "外运证明 118"}, headers=EN,
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "attach it" in page and ItemRelease.objects.get().state == "agreed"
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, "PNG")
    response = client.post(url, data={"signed_by": "工程部 刘工", "certificate": "外运证明 118",
                                      "certificate_file": (io.BytesIO(buffer.getvalue()), "cert.png")},
                           headers=EN, content_type="multipart/form-data")
    assert response.status_code == 302 and ItemRelease.objects.get().state == "signed"
    stored = ReleaseCertificate.objects.get()
    page = client.get(f"/admin/item_release/details/?id={record.pk}", headers=EN).get_data(as_text=True)
    assert "cert.png" in page
    assert client.get(f"/admin/item_release/certificate/{stored.pk}").data[:4] == b"\x89PNG"
    assert client_as("clerk_b").get(f"/admin/item_release/certificate/{stored.pk}").status_code == 404


def test_the_list_and_month_pages_in_chinese(app, rv, client_as):
    record = signed_form(app, rv)
    client = in_chinese(client_as("clerk"))
    page = client.get("/admin/item_release/").get_data(as_text=True)
    assert "放行条编号" in page and record.number in page and "业主已签字" in page and "新建物品出入登记表" in page
    page = client.get("/admin/item_release/month/?period=2026-12").get_data(as_text=True)
    assert "物品出入登记表月底存档" in page and record.number in page
    assert "月底关账存档" not in page            # a clerk does not close the month


def test_the_printed_pass_carries_a_qr_code_of_the_guards_look_up_page(app, rv, client_as):
    from admin_views.item_release import pass_gate_url
    from app.qr import qr_svg
    record = signed_form(app, rv)
    with app.test_request_context("/"):
        url = pass_gate_url(record.number)
        expected = qr_svg(url, title=record.number)
    assert url == f"http://localhost/admin/item_release/gate/?number={record.number}"
    page = client_as("manager").get(f"/admin/item_release/print/?id={record.pk}&lang=en").get_data(as_text=True)
    assert f'id="release-gate-qr">{expected}' in page     # the svg of that very URL
    assert page.count("<!DOCTYPE html>") == 1 and "print-community" in page    # the one A4 frame
    assert qr_svg(url + "x") != expected                                      # another URL draws another code
    # the month bundle carries no QR codes (an archive, not passes to scan)
    bundle = client_as("manager").get("/admin/item_release/month/?period=2026-12&print=1").get_data(as_text=True)
    assert "<svg" not in bundle and record.number in bundle
    # scanning the code without a login gives the login page and nothing of the pass
    anonymous = app.test_client().get(url)
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.headers["Location"]
    assert "粤B12345" not in anonymous.get_data(as_text=True)
    # with a login but without the guard's right: refused
    assert client_as("housekeeper").get(url).status_code == 403
    # the guard who scans it lands on the pass
    opened = client_as("guard").get(url)
    assert opened.status_code == 302 and f"id={record.pk}" in opened.headers["Location"]


def test_behind_a_proxy_printed_codes_carry_the_public_address(app, rv):
    from admin_views.item_release import pass_gate_url
    record = signed_form(app, rv)
    app.config["PUBLIC_BASE_URL"] = "https://desk.example.org/"
    with app.test_request_context("/", base_url="http://10.0.0.5:8000"):
        assert pass_gate_url(record.number) == \
            f"https://desk.example.org/admin/item_release/gate/?number={record.number}"
