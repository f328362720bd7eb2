"""The key register through the pages, in English and Chinese: who may lend, return and receive,
community scoping, the bad input of the issue brief shown on its field with nothing saved, the
overdue list, the label check and the printed key loan form and labels."""
from datetime import timedelta

import pytest

from app import clock
from documents import agenda
from documents.keys import KeyLoan, KeyReceipt, KeySet, lend, receive_from_developer
from documents.places import Building
from tests.support import english_request, separate_requests, wall_clock_utc

ID = "110105199001011234"


@pytest.fixture
def kv(app, world):
    """2026-12-20 10:00 Shanghai; building 1 of A received from the developer (entrance and mailbox)."""
    clock.freeze(wall_clock_utc(2026, 12, 20, 10, 0))
    with english_request(app):
        building = Building.objects(community=world["A"], number="1").first()
        receive_from_developer(world["staff"]["clerk"], building, "开发商 王经理", None, {"entrance": 2, "mailbox": 1})
    with separate_requests(app):
        yield world


def in_chinese(client):
    client.post("/auth/language", data={"language": "zh_Hans_CN"})
    return client


def loan_data(**changes):
    data = {"label_code": "1-1-101-E", "borrower_kind": "contractor", "borrower_name": "李师傅",
            "borrower_id_number": ID, "purpose": "维修水管", "expected_return_at": ""}
    data.update(changes)
    return data


def key(label):
    return KeySet.objects(label_code=label).first()


def test_clerk_lends_and_takes_back_a_key_in_english(kv, client_as):
    clerk = client_as("clerk")
    page = clerk.post("/admin/key_loans/lend/", data=loan_data())
    assert page.status_code == 302
    loan = KeyLoan.objects.get()
    assert loan.state == "on_loan" and loan.expected_return_at == wall_clock_utc(2026, 12, 20, 23, 59, 59)
    details = clerk.get(page.headers["Location"]).get_data(as_text=True)
    assert "李师傅" in details and "Key loan form" in details
    listing = clerk.get("/admin/key_sets/").get_data(as_text=True)
    assert "1-1-101-E" in listing and "On loan" in listing
    archive = clerk.get(f"/admin/households/details/?id={kv['hh_a'].pk}").get_data(as_text=True)
    assert "Lend key" in archive and "1-1-101-E" in archive          # the household's timeline
    back = clerk.post("/admin/key_loans/return/", data={"label_code": "1-1-101-E", "note": "完好"})
    assert back.status_code == 302
    assert KeyLoan.objects.get().state == "returned" and key("1-1-101-E").state == "in_cabinet"


def test_bad_input_on_the_field_in_both_languages_nothing_saved(kv, client_as):
    clerk = client_as("clerk")
    cases = [
        (loan_data(expected_return_at="2026-12-21 09:00"), "return keys the same day", "当天归还"),
        (loan_data(borrower_kind="owner", expected_return_at="2026-12-19 09:00"), "expected return is in the past",
         "预计归还时间已过"),
        (loan_data(label_code="9-9-999-E"), "There is no key set with the label", "没有标签为"),
    ]
    for data, english, _chinese in cases:
        page = clerk.post("/admin/key_loans/lend/", data=data).get_data(as_text=True)
        assert english in page and "invalid-feedback" in page
    page = clerk.post("/admin/key_loans/return/", data={"label_code": "1-1-101-E"}).get_data(as_text=True)
    assert "This key is not on loan" in page
    zh = in_chinese(clerk)
    for data, _english, chinese in cases:
        page = zh.post("/admin/key_loans/lend/", data=data).get_data(as_text=True)
        assert chinese in page and "invalid-feedback" in page
    page = zh.post("/admin/key_loans/return/", data={"label_code": "1-1-101-E"}).get_data(as_text=True)
    assert "这把钥匙没有借出" in page
    assert KeyLoan.objects.count() == 0 and key("1-1-101-E").state == "in_cabinet"


def test_unknown_room_and_issue_twice_refused_on_the_field(kv, client_as):
    clerk = client_as("clerk")
    unknown = {"community": str(kv["A"].pk), "room_code": "7-7-707", "kind": "garage", "count": "1"}
    page = clerk.post("/admin/key_sets/new/", data=unknown).get_data(as_text=True)
    assert "There is no room 7-7-707 in this community." in page
    created = clerk.post("/admin/key_sets/new/", data={"community": str(kv["A"].pk), "room_code": "1-1-101",
                                                       "kind": "garage", "count": "2", "cabinet": "K2"})
    assert created.status_code == 302 and key("1-1-101-G").count == 2
    key_set = key("1-1-101-E")
    url = f"/admin/key_sets/issue/?id={key_set.pk}"
    page = clerk.post(url, data={"signed_by": "张伟"}).get_data(as_text=True)
    assert "Check the owner&#39;s identity (original ID card)" in page and key("1-1-101-E").state == "in_cabinet"
    assert clerk.post(url, data={"identity_checked": "y", "signed_by": "张伟"}).status_code == 302
    assert key("1-1-101-E").state == "issued"
    page = clerk.post(url, data={"identity_checked": "y", "signed_by": "张伟"}).get_data(as_text=True)
    assert "already issued to the owner" in page and "invalid-feedback" in page

    zh = in_chinese(clerk)
    page = zh.post("/admin/key_sets/new/", data=unknown).get_data(as_text=True)
    assert "本小区没有房号 7-7-707" in page
    page = zh.post(url, data={"identity_checked": "y", "signed_by": "张伟"}).get_data(as_text=True)
    assert "已交付业主" in page and "invalid-feedback" in page
    assert KeySet.objects(kind="garage").count() == 1


def test_only_key_keepers_move_keys_and_other_communities_are_hidden(kv, client_as):
    for role in ("manager", "supervisor", "housekeeper"):
        client = client_as(role)
        assert client.get("/admin/key_sets/").status_code == 200
        assert client.post("/admin/key_loans/lend/", data=loan_data()).status_code == 403
        assert client.post("/admin/key_loans/return/", data={"label_code": "1-1-101-E"}).status_code == 403
        assert client.get("/admin/key_receipts/receive/").status_code == 403
    assert client_as("cashier").get("/admin/key_sets/").status_code == 403
    assert KeyLoan.objects.count() == 0
    other = client_as("clerk_b")
    assert "1-1-101-E" not in other.get("/admin/key_sets/").get_data(as_text=True)
    page = other.post("/admin/key_loans/lend/", data=loan_data()).get_data(as_text=True)
    assert "There is no key set with the label" in page and KeyLoan.objects.count() == 0
    assert other.get(f"/admin/key_sets/details/?id={key('1-1-101-E').pk}").status_code in (302, 404)


def test_overdue_list_chase_and_supervisor_count(kv, app, client_as):
    with english_request(app):
        loan = lend(key("1-1-101-E"), kv["staff"]["clerk"], "王师傅", ID, "repair_staff", "修电", None)
    clock.freeze(wall_clock_utc(2026, 12, 21, 9, 0))
    with english_request(app):
        agenda.sweep()
    clerk = client_as("clerk")
    page = clerk.get("/admin/key_loans/overdue/").get_data(as_text=True)
    assert 'id="overdue-count">1<' in page and "王师傅" in page
    home = clerk.get("/admin/").get_data(as_text=True)
    assert "1-1-101-E" in home                                # on the key keeper's My work
    chased = clerk.post(f"/admin/key_loans/step/chase/?id={loan.pk}", data={"note": "电话催还"})
    assert chased.status_code == 302 and KeyLoan.objects.get().chases[0].note == "电话催还"
    supervisor = client_as("supervisor")
    assert 'id="overdue-count">1<' in supervisor.get("/admin/key_loans/overdue/").get_data(as_text=True)
    assert "1-1-101-E" in supervisor.get("/admin/").get_data(as_text=True)     # escalated to them
    zh = in_chinese(client_as("supervisor"))
    assert "逾期未还钥匙" in zh.get("/admin/key_loans/overdue/").get_data(as_text=True)


def test_receipt_label_check_labels_and_loan_form_print(kv, client_as):
    clerk = client_as("clerk")
    page = clerk.post("/admin/key_receipts/receive/", data={"building": "9", "received_from": "x",
                                                            "count_entrance": "1"}).get_data(as_text=True)
    assert "There is no building 9" in page
    done = clerk.post("/admin/key_receipts/receive/", data={"building": "1", "received_from": "开发商 李",
                                                            "count_meter_box": "1", "cabinet": "K3"})
    assert done.status_code == 302 and KeySet.objects(kind="meter_box").count() == 6
    assert KeyReceipt.objects.count() == 2

    page = clerk.get("/admin/key_sets/check/?building=1").get_data(as_text=True)
    assert "1-1-101-E" in page
    target = key("1-1-102-M")
    clerk.post("/admin/key_sets/check/", data={"building": "1", f"label-{target.pk}": "unreadable",
                                               f"note-{target.pk}": "字迹模糊"})
    assert key("1-1-102-M").label_state == "unreadable"
    renew = clerk.get("/admin/key_sets/renew/").get_data(as_text=True)
    assert "1-1-102-M" in renew and "1-1-101-E" not in renew
    labels = clerk.get("/admin/key_sets/labels/?renew=1&lang=zh").get_data(as_text=True)
    assert "1-1-102-M" in labels and "钥匙标签" in labels
    clerk.post("/admin/key_sets/renew/", data={"id": str(target.pk)})
    assert key("1-1-102-M").label_state == "ok"

    clerk.post("/admin/key_loans/lend/", data=loan_data())
    loan = KeyLoan.objects.get()
    zh_form = clerk.get(f"/admin/key_loans/print/?id={loan.pk}&lang=zh").get_data(as_text=True)
    assert "钥匙借用登记表" in zh_form and "李师傅" in zh_form and "借用人（签名）" in zh_form
    en_form = clerk.get(f"/admin/key_loans/print/?id={loan.pk}&lang=en").get_data(as_text=True)
    assert "Key loan form" in en_form and "2026-12-20 23:59" in en_form


def test_sales_loan_waits_for_the_signature_step(kv, client_as):
    clerk = client_as("clerk")
    clerk.post("/admin/key_loans/lend/", data=loan_data(borrower_kind="sales", borrower_name="销售部 刘",
                                                        expected_return_at="2026-12-20 17:00"))
    loan = KeyLoan.objects.get()
    assert loan.state == "awaiting_signature" and key("1-1-101-E").state == "in_cabinet"
    page = clerk.post(f"/admin/key_loans/step/approve/?id={loan.pk}", data={"signed_by": ""}).get_data(as_text=True)
    assert "invalid-feedback" in page and KeyLoan.objects.get().state == "awaiting_signature"
    assert clerk.post(f"/admin/key_loans/step/approve/?id={loan.pk}", data={"signed_by": "销售经理 赵"}).status_code == 302
    assert KeyLoan.objects.get().state == "on_loan" and key("1-1-101-E").state == "on_loan"
    assert clock.now() + timedelta(hours=6) < KeyLoan.objects.get().expected_return_at + timedelta(hours=7)


def test_the_owner_returns_issued_keys_on_their_step_page(kv, client_as):
    clerk = client_as("clerk")
    key_set = key("1-1-101-E")
    clerk.post(f"/admin/key_sets/issue/?id={key_set.pk}", data={"identity_checked": "y", "signed_by": "张伟"})
    assert key("1-1-101-E").state == "issued"
    url = f"/admin/key_sets/step/return_from_owner/?id={key_set.pk}"
    assert client_as("supervisor").get(url).status_code == 403
    details = clerk.get(f"/admin/key_sets/details/?id={key_set.pk}").get_data(as_text=True)
    assert "step-return_from_owner" in details
    page = clerk.post(url, data={"note": ""}).get_data(as_text=True)
    assert "This field is required." in page and key("1-1-101-E").state == "issued"
    page = in_chinese(clerk).get(url).get_data(as_text=True)
    assert "业主交回钥匙" in page and "钥匙交回原因" in page
    assert clerk.post(url, data={"note": "入伙交付撤销"}).status_code == 302
    back = key("1-1-101-E")
    assert (back.state, back.household, back.issued_signed_by) == ("in_cabinet", None, None)
