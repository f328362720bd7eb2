"""Renovation files through the test client: the whole path as each role would click it."""
import io
from datetime import date
from decimal import Decimal

import pytest

from app import clock
from documents import audit
from documents.audit import AuditEntry
from documents.places import Room
from documents.renovations import DepositRefund, Renovation, RenovationAttachment
from tests.renovations_support import NOW, file_in_state, id_number, licence_no
from tests.support import JPEG, PDF, PNG, english_request, filter_arg


@pytest.fixture(autouse=True)
def frozen_clock():
    clock.freeze(NOW)
    yield
    clock.freeze(None)


def in_ctx(app, fn, *args, **kwargs):
    """Run document code (set-up) inside a request context, as the views do."""
    with english_request(app):
        return fn(*args, **kwargs)


def make(app, world, state, **kwargs):
    return in_ctx(app, file_in_state, world, state, **kwargs)


def step(client, name, renovation, data=None, **kw):
    return client.post(f"/admin/renovations/step/{name}/?id={renovation.pk}", data=data or {}, **kw)


def state_of(renovation):
    return Renovation.objects.get(pk=renovation.pk).state


def row_step(client, name, renovation, data=None, **kw):
    """A step posted from a row of the details page (revoke, rectify, attach, remove a file)."""
    return client.post(f"/admin/renovations/do/{name}/?id={renovation.pk}", data=data or {}, **kw)


def upload(client, renovation, kind, name, data):
    return client.post(f"/admin/renovations/do/attach/?id={renovation.pk}",
                       data={"kind": kind, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", follow_redirects=True)


CREATE = {
    "applicant": "张伟", "applicant_phone": "13800138000",
    "contractor-company": "深圳市安居装饰工程有限公司", "contractor-licence_no": licence_no(),
    "contractor-qualification": "二级", "contractor-site_manager": "王建国", "contractor-phone": "13600001111",
    "workers-0-name": "李师傅", "workers-0-id_number": id_number(), "workers-0-phone": "13511112222",
    "workers-0-trade": "水电工", "scope": "厨卫改造", "planned_start": "2026-03-05", "planned_end": "2026-05-31",
    "deposit": "3000.00", "management_fee": "450.00", "other_fees-0-item": "垃圾清运费",
    "other_fees-0-amount": "200.00", "agreement_signed_on": "2026-03-01",
}


# --- the happy path -------------------------------------------------------------------------------

def test_happy_path_from_draft_to_archived_through_the_views(app, world, client_as):
    hh = world["hh_a"]
    clerk, keeper, sup, cashier = (client_as(u) for u in ("clerk", "housekeeper", "supervisor", "cashier"))

    response = clerk.post("/admin/renovations/new/", data=dict(CREATE, household=str(hh.pk)))
    assert response.status_code == 302, response.data.decode()[-3000:]
    r = Renovation.objects.get(household=hh)
    assert r.state == "draft" and r.deposit == Decimal("3000.00") and r.community.pk == world["A"].pk
    assert r.workers[0].name == "李师傅" and r.other_fees[0].amount == Decimal("200.00")

    page = step(clerk, "submit", r, follow_redirects=True).data.decode()
    assert "The file cannot be submitted yet" in page and "Business licence copy" in page
    for kind, name, data in (("licence", "licence.pdf", PDF), ("qualification", "q.pdf", PDF),
                             ("worker_ids", "ids.jpg", JPEG)):
        assert f"{name} was attached" in upload(clerk, r, kind, name, data).data.decode()
    assert "is now “Submitted”" in step(clerk, "submit", r, follow_redirects=True).data.decode()
    assert state_of(r) == "submitted"

    step(keeper, "flat_inspection", r, {"passed": "no", "items": "卫生间闭水试验渗漏\n"})
    assert state_of(r) == "flat_failed"
    step(keeper, "flat_inspection", r, {"passed": "yes", "notes": "复验合格"})
    assert state_of(r) == "flat_passed"

    details = sup.get(f"/admin/renovations/details/?id={r.pk}").data.decode()
    assert "step-approve" in details and "step-reject" in details
    page = step(sup, "approve", r, follow_redirects=True).data.decode()
    assert "Approved: permit no. A-ZX2026-0001. The permit is handed over once the fees and deposit are paid." in page
    r.reload()
    assert r.state == "approved" and r.permit_no == "A-ZX2026-0001" and r.deposit_received_on is None
    assert "step-start" not in clerk.get(f"/admin/renovations/details/?id={r.pk}").data.decode()

    page = cashier.get(f"/admin/renovations/step/pay_fees/?id={r.pk}").data.decode()
    assert "3,650.00" in page and "450.00" in page and "垃圾清运费" in page and 'value="3650.00"' in page
    page = step(cashier, "pay_fees", r, {"method": "wechat", "paid_by": "张伟", "expected_total": "3650.00"},
                follow_redirects=True).data.decode()
    assert "Fees and deposit received: 3,650.00, receipt A-SF2026-00001." in page
    receipt = cashier.get(f"/admin/renovations/print/fees/?id={r.pk}&lang=en").data.decode()
    assert "Renovation fee receipt" in receipt and "A-SF2026-00001" in receipt and "3,650.00" in receipt
    receipt_zh = cashier.get(f"/admin/renovations/print/fees/?id={r.pk}").data.decode()
    assert "叁仟陆佰伍拾元整" in receipt_zh and "A-SF2026-00001" in receipt_zh

    step(clerk, "start", r, {"phase": "water_electric"})
    assert state_of(r) == "in_progress"
    assert Room.objects.get(pk=hh.room.pk).status == "renovating"

    due = keeper.get("/admin/renovation-patrols/").data.decode()
    assert "1-1-101" in due and "Due today" in due
    form = keeper.get(f"/admin/renovations/step/log_patrol/?id={r.pk}").data.decode()
    assert 'name="key"' in form
    response = keeper.post(f"/admin/renovations/step/log_patrol/?id={r.pk}", data={
        "key": "patrol-form-1", "on": "2026-03-02", "phase": "water_electric", "findings": "楼道有垃圾",
        "violations-0-type": "debris", "violations-0-description": "楼道堆放垃圾", "violations-0-deduction": "150.50",
        "violations-0-deadline": "2026-03-03", "photos": [(io.BytesIO(PNG), "site.png")]},
        content_type="multipart/form-data", follow_redirects=True)
    assert "The patrol was recorded." in response.data.decode()
    r.reload()
    assert len(r.patrols) == 1 and r.patrols[0].violations[0].deduction == Decimal("150.50")
    photo = RenovationAttachment.objects.get(renovation=r, kind="photo")
    assert photo.patrol_key == "patrol-form-1" and photo.read() == PNG
    assert "1-1-101" not in keeper.get("/admin/renovation-patrols/").data.decode()

    step(keeper, "initial_inspection", r, {"notes": "完工", "items": ""})
    assert state_of(r) == "initial_inspected"
    assert Room.objects.get(pk=hh.room.pk).status == "occupied"
    step(sup, "final_inspection", r, {"passed": "yes", "items-0-description": "门口墙面污损",
                                      "items-0-deduction": "49.50"})
    assert state_of(r) == "final_passed"

    page = cashier.get(f"/admin/renovations/step/refund/?id={r.pk}").data.decode()
    assert "2,800.00" in page and "150.50" in page and "49.50" in page and 'value="2800.00"' in page
    page = step(cashier, "refund", r, {"method": "cash", "paid_to": "张伟", "expected_amount": "2800.00"},
                follow_redirects=True).data.decode()
    assert "The deposit was refunded: 2,800.00, receipt A-TK2026-00001." in page
    receipt = cashier.get(f"/admin/renovations/print/receipt/?id={r.pk}&lang=en").data.decode()
    assert "A-TK2026-00001" in receipt and "2,800.00" in receipt and "Deposit refund receipt" in receipt
    receipt_zh = cashier.get(f"/admin/renovations/print/receipt/?id={r.pk}").data.decode()
    assert "押金退还收据" in receipt_zh and "贰仟捌佰元整" in receipt_zh

    step(clerk, "archive", r)
    assert state_of(r) == "archived"
    actions = [e.action for e in AuditEntry.objects(record_id=str(r.pk)).order_by("at")]
    for expected in ("create", "attach", "submit", "flat_inspection", "approve", "pay_fees", "start", "log_patrol",
                     "initial_inspection", "final_inspection", "refund", "archive"):
        assert expected in actions
    assert AuditEntry.objects(record_id=str(r.pk), action="approve").get().actor_name == "supervisor"
    archive_page = clerk.get(f"/admin/households/details/?id={hh.pk}").data.decode()
    assert "Deposit refunded" in archive_page and f"/admin/renovations/details/?id={r.pk}" in archive_page


def test_printable_permit_in_both_languages(app, world, client_as):
    r = make(app, world, "fees_paid")
    client = client_as("supervisor")
    zh = client.get(f"/admin/renovations/print/permit/?id={r.pk}").data.decode()
    en = client.get(f"/admin/renovations/print/permit/?id={r.pk}&lang=en").data.decode()
    assert "装修许可证" in zh and r.permit_no in zh and "@page" in zh and "size: A4" in zh
    assert "Renovation permit" in en and "装修许可证" not in en and "深圳市安居装饰工程有限公司" in en
    permit = in_ctx(app, r.issue_permit, world["staff"]["clerk"], "worker_pass", worker_key=r.workers[0].key,
                    valid_to=date(2026, 5, 31))
    card = client.get(f"/admin/renovations/print/pass/?id={r.pk}&key={permit.key}&lang=en").data.decode()
    assert "Temporary pass" in card and permit.number in card and "李师傅" in card
    assert id_number() not in card  # the ID number is masked on the card


# --- refused steps ---------------------------------------------------------------------------------

def test_wrong_role_is_refused_server_side_and_nothing_changes(app, world, client_as):
    r = make(app, world, "flat_passed")
    for username in ("clerk", "cashier", "housekeeper", "culture"):
        response = step(client_as(username), "approve", r)
        assert response.status_code == 403, username
    assert state_of(r) == "flat_passed" and AuditEntry.objects(action="approve").count() == 0
    response = client_as("supervisor").post("/admin/renovations/action/", data={"action": "approve",
                                                                                "rowid": str(r.pk)})
    assert state_of(r) == "approved"
    assert client_as("clerk").post("/admin/renovations/action/", data={"action": "archive",
                                                                       "rowid": str(r.pk)}).status_code == 302
    assert state_of(r) == "approved"  # archive is not possible in this state: nothing changes


def test_wrong_state_and_missing_reason_are_refused_with_their_message(app, world, client_as):
    r = make(app, world, "submitted")
    sup = client_as("supervisor")
    page = step(sup, "approve", r, follow_redirects=True).data.decode()
    assert "This step (Approve) is not possible while the record is “Submitted”." in page
    page = step(sup, "reject", r, {"reason": "   "}, follow_redirects=True).data.decode()
    assert "This field is required" in page or "Give the reason" in page
    assert state_of(r) == "submitted"
    page = step(sup, "reject", r, {"reason": "图纸不全"}, follow_redirects=True).data.decode()
    assert "The application was rejected." in page and state_of(r) == "rejected"


def test_failed_final_inspection_needs_items(app, world, client_as):
    r = make(app, world, "initial_inspected")
    page = step(client_as("supervisor"), "final_inspection", r, {"passed": "no"}).data.decode()
    assert "List the items to fix before the final inspection can pass." in page
    assert state_of(r) == "initial_inspected"


def test_staff_of_another_community_get_404(app, world, client_as):
    r = make(app, world, "final_passed")
    attachment = RenovationAttachment.objects(renovation=r).first()
    other = client_as("manager_b")
    assert other.get(f"/admin/renovations/details/?id={r.pk}").status_code in (302, 404)
    assert step(other, "refund", r, {"method": "cash", "paid_to": "x"}).status_code == 404
    assert other.get(f"/admin/renovations/attachment/{attachment.pk}").status_code == 404
    assert other.get(f"/admin/renovations/print/permit/?id={r.pk}").status_code == 404
    assert "1-1-101" not in other.get("/admin/renovations/").data.decode()
    assert "1-1-101" not in other.get("/admin/renovations/export/csv/").data.decode()
    assert state_of(r) == "final_passed"


# --- refund exactly once ------------------------------------------------------------------------

def test_double_click_on_refund_pays_once(app, world, client_as):
    r = make(app, world, "final_passed")
    cashier = client_as("cashier")
    data = {"method": "cash", "paid_to": "张伟", "expected_amount": "3000.00"}
    first = step(cashier, "refund", r, data, follow_redirects=True).data.decode()
    second = step(cashier, "refund", r, data, follow_redirects=True).data.decode()
    assert "receipt A-TK2026-00001" in first
    assert "has already been refunded (receipt A-TK2026-00001)" in second
    assert DepositRefund.objects(renovation=r).count() == 1
    assert AuditEntry.objects(record_id=str(r.pk), action="refund").count() == 1


def test_two_cashiers_who_opened_the_page_together_pay_once(app, world, client_as):
    r = make(app, world, "final_passed")
    cashier, manager = client_as("cashier"), client_as("manager")
    for client in (cashier, manager):
        assert "3,000.00" in client.get(f"/admin/renovations/step/refund/?id={r.pk}").data.decode()
    step(cashier, "refund", r, {"method": "cash", "paid_to": "张伟", "expected_amount": "3000.00"})
    page = step(manager, "refund", r, {"method": "wechat", "paid_to": "张伟", "expected_amount": "3000.00"},
                follow_redirects=True).data.decode()
    assert "already been refunded" in page
    assert DepositRefund.objects(renovation=r).count() == 1
    assert DepositRefund.objects.get(renovation=r).method == "cash"
    assert AuditEntry.objects(record_id=str(r.pk), action="refund").count() == 1


def test_a_patrol_deduction_beyond_the_deposit_is_refused_on_the_patrol_page(app, world, client_as):
    r = make(app, world, "in_progress", deposit="100")
    keeper = client_as("housekeeper")
    page = step(keeper, "log_patrol", r, {
        "key": "form-1", "on": "2026-03-02", "phase": "water_electric", "findings": "拆改承重墙",
        "violations-0-type": "structure", "violations-0-description": "拆改承重墙",
        "violations-0-deduction": "500"}).data.decode()
    assert ("The deductions cannot exceed the deposit: 100.00 of the deposit of 100.00 is left, "
            "and 500.00 was entered.") in page
    assert 'value="拆改承重墙"' in page                      # nothing typed is lost
    assert Renovation.objects.get(pk=r.pk).patrols == [] and DepositRefund.objects.count() == 0


# --- files ----------------------------------------------------------------------------------------

def test_attachments_type_size_and_scoped_download(app, world, client_as):
    r = make(app, world, "draft")
    clerk = client_as("clerk")
    page = upload(clerk, r, "licence", "licence.pdf", b"GIF89a fake").data.decode()
    assert "licence.pdf is not accepted: only PDF, JPEG or PNG files can be attached." in page
    page = upload(clerk, r, "drawings", "big.pdf", PDF + b"0" * (10 * 1024 * 1024)).data.decode()
    assert "big.pdf is larger than the limit of 10 MB." in page
    assert RenovationAttachment.objects.count() == 0
    assert "平面图.pdf was attached" in upload(clerk, r, "drawings", "平面图.pdf", PDF).data.decode()
    attachment = RenovationAttachment.objects.get(renovation=r)
    url = f"/admin/renovations/attachment/{attachment.pk}"
    response = client_as("housekeeper").get(url + "?download=1")
    assert response.status_code == 200 and response.data == PDF
    assert response.mimetype == "application/pdf" and "attachment" in response.headers["Content-Disposition"]
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert client_as("clerk_b").get(url).status_code == 404
    anonymous = app.test_client().get(url)
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.headers["Location"]
    assert upload(client_as("cashier"), r, "drawings", "x.pdf", PDF).status_code == 403
    page = row_step(clerk, "remove_attachment", r, {"attachment": str(attachment.pk)},
                    follow_redirects=True).data.decode()
    assert "平面图.pdf was removed." in page and RenovationAttachment.objects.count() == 0


# --- list, edit, patrols due -------------------------------------------------------------------

def test_list_filters_search_and_export(app, world, client_as):
    a = make(app, world, "in_progress")
    b = make(app, world, "submitted", household=world["hh_a2"],
             contractor=a.contractor.__class__(company="广东华艺装饰有限公司", licence_no=licence_no(),
                                               site_manager="陈工", phone="13600002222"))
    sup = client_as("supervisor")
    listing = sup.get("/admin/renovations/").data.decode()
    assert "1-1-101" in listing and "1-1-201" in listing
    by_state = sup.get(f"/admin/renovations/?{filter_arg(app, 'renovations', 'state')}=submitted").data.decode()
    assert "1-1-201" in by_state and "1-1-101" not in by_state
    found = sup.get("/admin/renovations/?search=华艺").data.decode()
    assert "1-1-201" in found and "1-1-101" not in found
    assert "1-1-101" in sup.get("/admin/renovations/?search=1-1-101").data.decode()
    export = sup.get("/admin/renovations/export/csv/").data.decode()
    assert "1-1-101" in export and "Work in progress" in export and "3000.00" in export  # money as a number
    assert b.pk != a.pk


def test_overdue_patrol_filter_and_the_housekeepers_list(app, world, client_as):
    r = make(app, world, "in_progress")  # started 2 March, water and electrical: due daily
    clock.freeze(NOW.replace(day=4))       # nobody patrolled on 2 and 3 March
    keeper = client_as("housekeeper")
    due = keeper.get("/admin/renovation-patrols/").data.decode()
    assert "1-1-101" in due and "Overdue since 2026-03-02" in due
    overdue = keeper.get(f"/admin/renovations/?{filter_arg(app, 'renovations', 'next_patrol_due')}=1").data.decode()
    assert "1-1-101" in overdue
    in_ctx(app, r.log_patrol, world["staff"]["housekeeper"], findings="补巡")      # due again tomorrow
    overdue = keeper.get(f"/admin/renovations/?{filter_arg(app, 'renovations', 'next_patrol_due')}=1").data.decode()
    assert "1-1-101" not in overdue
    clock.freeze(NOW.replace(day=6))
    from documents.staff import Staff
    Staff.objects(username="housekeeper").update_one(set__buildings=["2"])
    assert "1-1-101" not in client_as("housekeeper").get("/admin/renovation-patrols/").data.decode()
    assert "1-1-101" in client_as("supervisor").get("/admin/renovation-patrols/").data.decode()
    assert client_as("cashier").get("/admin/renovation-patrols/").status_code == 403
    assert r.state == "in_progress"


def test_after_approval_the_deposit_cannot_be_edited(app, world, client_as):
    r = make(app, world, "approved")
    clerk = client_as("clerk")
    form = clerk.get(f"/admin/renovations/edit/?id={r.pk}").data.decode()
    assert 'name="deposit"' not in form and 'name="workers-0-name"' in form
    data = {k: v for k, v in CREATE.items() if k.startswith(("contractor-", "workers-"))}
    data.update({"deposit": "1.00", "planned_end": "2026-05-30", "notes": "延期一天",
                 "record_version": str(r.version)})
    assert clerk.post(f"/admin/renovations/edit/?id={r.pk}", data=data).status_code == 302
    r.reload()
    assert r.deposit == Decimal("3000.00") and r.notes == "延期一天" and r.state == "approved"
    closed = make(app, world, "refunded", household=world["hh_a2"])
    response = clerk.get(f"/admin/renovations/edit/?id={closed.pk}", follow_redirects=True)
    assert "This file is closed and can no longer be edited." in response.data.decode()


def test_permit_pages_issue_and_revoke(app, world, client_as):
    r = make(app, world, "in_progress")
    sup = client_as("supervisor")
    page = sup.get(f"/admin/renovations/step/issue_hot_work/?id={r.pk}").data.decode()
    assert 'name="fire_precautions"' in page and 'name="worker_key"' not in page
    page = sup.post(f"/admin/renovations/step/issue_hot_work/?id={r.pk}", data={
        "key": "form-k", "location": "厨房", "starts_at": "2026-03-02T14:00", "ends_at": "2026-03-02T16:00",
        "fire_precautions": "灭火器两具，专人监护"}, follow_redirects=True).data.decode()
    assert f"Permit {r.permit_no}-H01 was issued." in page
    entry = AuditEntry.objects(record_id=str(r.pk), action="issue_hot_work").get()
    assert entry.actor_name == "supervisor" and audit.action_label(entry) == "Hot-work permit issued"
    # the clerk may not approve hot work: no form to fill in vain, and a post is refused
    clerk = client_as("clerk")
    assert clerk.get(f"/admin/renovations/step/issue_hot_work/?id={r.pk}").status_code == 403
    assert clerk.post(f"/admin/renovations/step/issue_hot_work/?id={r.pk}", data={
        "key": "form-2", "starts_at": "2026-03-02T14:00", "ends_at": "2026-03-02T16:00",
        "fire_precautions": "灭火器"}).status_code == 403
    assert sup.get(f"/admin/renovations/step/issue_permit/?id={r.pk}&kind=hot_work").status_code == 404
    assert len(Renovation.objects.get(pk=r.pk).permits) == 1
    key = Renovation.objects.get(pk=r.pk).permits[0].key
    page = row_step(sup, "revoke_permit", r, {"key": key, "reason": "作业结束"}, follow_redirects=True).data.decode()
    assert "The permit was revoked." in page and Renovation.objects.get(pk=r.pk).permits[0].status == "revoked"
    assert row_step(client_as("cashier"), "revoke_permit", r, {"key": key, "reason": "x"}).status_code == 403
    assert sup.get(f"/admin/renovations/step/issue_permit/?id={r.pk}&kind=rocket").status_code == 404


# --- Chinese ----------------------------------------------------------------------------------------

def renovation_msgids():
    """The English texts of this area (its modules and templates) that have a Chinese translation."""
    import re
    from pathlib import Path

    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po
    root = Path(__file__).resolve().parents[2]
    with open(root / "translations/zh_Hans_CN/LC_MESSAGES/messages.po", "rb") as fh:
        zh = {m.id: m.string for m in read_po(fh) if m.id}
    method_map = [("documents/renovations/**.py", "python"), ("admin_views/renovations.py", "python"),
                  ("app/templates/renovations/**.html", "jinja2")]
    ids = set()
    for _f, _l, message, _c, _x in extract_from_dir(str(root), method_map, keywords={
            "_": None, "_l": None, "gettext": None, "lazy_gettext": None}):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid and re.search(r"[A-Za-z]{3}", msgid) and "%(" not in msgid and zh.get(msgid) \
                and zh[msgid] != msgid:
            ids.add(msgid)
    return ids


def test_renovation_pages_in_chinese_show_no_english_text_of_this_area(app, world, client_as):
    import html
    import re
    from documents.staff import Staff
    Staff.objects.update(set__language="zh_Hans_CN")
    ids = renovation_msgids()
    assert len(ids) > 150
    running = make(app, world, "in_progress")
    in_ctx(app, running.log_patrol, world["staff"]["housekeeper"], findings="正常",
           violations=[{"type": "debris", "description": "垃圾", "deduction": "10"}])
    done = make(app, world, "refunded", household=world["hh_a2"])
    pages = {
        "supervisor": ["/admin/renovations/", f"/admin/renovations/details/?id={running.pk}",
                       f"/admin/renovations/step/issue_hot_work/?id={running.pk}",
                       f"/admin/renovations/step/issue_permit/?id={running.pk}&kind=power",
                       f"/admin/renovations/step/set_phase/?id={running.pk}",
                       f"/admin/renovations/print/permit/?id={running.pk}"],
        "housekeeper": ["/admin/renovation-patrols/", f"/admin/renovations/step/log_patrol/?id={running.pk}",
                        f"/admin/renovations/step/initial_inspection/?id={running.pk}"],
        "cashier": [f"/admin/renovations/details/?id={done.pk}", f"/admin/renovations/print/receipt/?id={done.pk}"],
        "clerk": ["/admin/renovations/new/", f"/admin/renovations/edit/?id={running.pk}"],
    }
    for username, urls in pages.items():
        client = client_as(username)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (username, url)
            page = re.sub(r"(?s)<(script|style)[^>]*>.*?</\1>", " ", response.data.decode())
            texts = {html.unescape(t).strip() for t in re.split(r"<[^>]+>", page)}
            texts |= {html.unescape(a).strip() for a in re.findall(r'(?:placeholder|title)="([^"]*)"', page)}
            leftovers = sorted(i for i in ids if i in texts)
            assert leftovers == [], (username, url, leftovers)
    assert "装修许可证" in client_as("supervisor").get(f"/admin/renovations/print/permit/?id={running.pk}").data.decode()


def test_household_choice_on_the_form_is_scoped_to_the_community(app, world, client_as):
    import json
    found = json.loads(client_as("clerk").get(
        "/admin/renovations/ajax/lookup/?name=household&query=1-1").data)
    names = {label for _pk, label in found}
    assert any("张伟" in n for n in names) and not any("李娜" in n for n in names)
    client_as("clerk").post("/admin/renovations/new/", data=dict(CREATE, household=str(world["hh_b"].pk)))
    assert Renovation.objects(household=world["hh_b"]).count() == 0


# --- the defects of issue 15, through the pages ------------------------------------------------------

def test_fees_and_deposit_come_before_the_permit_and_the_work(app, world, client_as):
    r = make(app, world, "approved")
    clerk, cashier = client_as("clerk"), client_as("cashier")
    details = clerk.get(f"/admin/renovations/details/?id={r.pk}").data.decode()
    assert "The permit is handed over once the fees and deposit are paid." in details
    assert 'id="print-permit-zh"' not in details and "step-start" not in details and 'id="issue-permits"' not in details
    page = clerk.get(f"/admin/renovations/print/permit/?id={r.pk}", follow_redirects=True).data.decode()
    assert "The permit is handed over once the file is approved and the fees and deposit are paid." in page
    assert "There is no fee receipt for this file yet." in clerk.get(
        f"/admin/renovations/print/fees/?id={r.pk}", follow_redirects=True).data.decode()
    page = clerk.get(f"/admin/renovations/step/start/?id={r.pk}").data.decode()
    assert "Work starts once the file is approved and the fees and deposit are paid." in page
    assert step(clerk, "pay_fees", r, {"method": "cash", "paid_by": "张伟"}).status_code == 403
    assert "step-pay_fees" in cashier.get(f"/admin/renovations/details/?id={r.pk}").data.decode()
    data = {"method": "cash", "paid_by": "张伟", "expected_total": "3650.00"}
    first = step(cashier, "pay_fees", r, data, follow_redirects=True).data.decode()
    second = step(cashier, "pay_fees", r, data, follow_redirects=True).data.decode()
    assert "receipt A-SF2026-00001" in first
    assert "The fees and deposit of this file have already been paid (receipt A-SF2026-00001)." in second
    assert AuditEntry.objects(record_id=str(r.pk), action="pay_fees").count() == 1
    details = clerk.get(f"/admin/renovations/details/?id={r.pk}").data.decode()
    assert 'id="print-permit-zh"' in details and 'id="print-fees-zh"' in details and "step-start" in details
    assert 'id="issue-permits"' in details and "kind=worker_pass" in details


def test_a_large_refund_is_approved_by_the_manager_then_paid_by_the_cashier(app, world, client_as):
    r = make(app, world, "final_passed", deposit="8000")
    small = make(app, world, "final_passed", household=world["hh_a2"])
    cashier, manager = client_as("cashier"), client_as("manager")
    assert "step-approve_refund" in manager.get(f"/admin/renovations/details/?id={r.pk}").data.decode()
    assert "step-approve_refund" not in manager.get(f"/admin/renovations/details/?id={small.pk}").data.decode()
    page = manager.get(f"/admin/renovations/step/approve_refund/?id={small.pk}").data.decode()
    assert "No approval is needed: refunds up to 5,000.00 are paid by the cashier directly." in page
    page = cashier.get(f"/admin/renovations/step/refund/?id={r.pk}").data.decode()
    assert "A refund of 8,000.00 is above this community&#39;s limit of 5,000.00" in page
    data = {"method": "bank_transfer", "paid_to": "张伟", "expected_amount": "8000.00"}
    assert "above this community" in step(cashier, "refund", r, data).data.decode()
    assert state_of(r) == "final_passed" and DepositRefund.objects.count() == 0
    assert step(cashier, "approve_refund", r).status_code == 403
    page = manager.get(f"/admin/renovations/step/approve_refund/?id={r.pk}").data.decode()
    assert 'id="refund-amount"' in page and "8,000.00" in page
    page = step(manager, "approve_refund", r, follow_redirects=True).data.decode()
    assert "is now “Refund approved”" in page and state_of(r) == "refund_approved"
    page = step(cashier, "refund", r, data, follow_redirects=True).data.decode()
    assert "The deposit was refunded: 8,000.00, receipt A-TK2026-00001." in page
    entry = AuditEntry.objects(record_id=str(r.pk), action="approve_refund").get()
    assert entry.actor_name == "manager" and audit.action_label(entry) == "Refund approved"


def test_no_permit_buttons_or_permits_after_the_final_inspection(app, world, client_as):
    r = make(app, world, "final_passed")
    sup = client_as("supervisor")
    details = sup.get(f"/admin/renovations/details/?id={r.pk}").data.decode()
    assert 'id="issue-permits"' not in details and "kind=worker_pass" not in details
    page = sup.get(f"/admin/renovations/step/issue_permit/?id={r.pk}&kind=worker_pass").data.decode()
    assert 'id="step-refusal"' in page and "no longer once the final inspection has passed" in page
    response = sup.post(f"/admin/renovations/step/issue_permit/?id={r.pk}&kind=worker_pass",
                        data={"key": "k", "worker_key": r.workers[0].key, "valid_to": "2026-05-31"})
    assert "no longer once the final inspection has passed" in response.data.decode()
    assert Renovation.objects.get(pk=r.pk).permits == []


def test_the_final_inspection_page_names_the_violations_still_open(app, world, client_as):
    r = make(app, world, "in_progress")
    patrol = in_ctx(app, r.log_patrol, world["staff"]["housekeeper"], findings="午休时间电钻",
                    violations=[{"type": "hours", "description": "午休时间电钻"}])
    in_ctx(app, r.record_initial_inspection, world["staff"]["housekeeper"])
    sup = client_as("supervisor")
    page = sup.get(f"/admin/renovations/step/final_inspection/?id={r.pk}").data.decode()
    assert 'id="unsettled-violations"' in page and "午休时间电钻" in page
    page = step(sup, "final_inspection", r, {"passed": "yes"}).data.decode()
    assert "The final inspection cannot pass while violations found on patrol are not rectified" in page
    assert state_of(r) == "initial_inspected"
    page = row_step(client_as("housekeeper"), "rectify", r, {
        "patrol_key": patrol.key, "violation_key": patrol.violations[0].key}, follow_redirects=True).data.decode()
    assert "The violation was marked as rectified." in page
    step(sup, "final_inspection", r, {"passed": "yes"})
    assert state_of(r) == "final_passed"


def test_a_patrol_posted_twice_from_the_due_list_records_once_and_goes_back_to_the_list(app, world, client_as):
    r = make(app, world, "in_progress")
    keeper = client_as("housekeeper")
    due = keeper.get("/admin/renovation-patrols/").data.decode()
    link = f"/admin/renovations/step/log_patrol/?id={r.pk}&amp;url=/admin/renovation-patrols/"
    assert link in due
    url = link.replace("&amp;", "&")
    for _attempt in range(2):
        response = keeper.post(url, data={
            "key": "form-7", "on": "2026-03-02", "phase": "water_electric", "findings": "正常",
            "photos": [(io.BytesIO(PNG), "site.png")]}, content_type="multipart/form-data")
        assert response.status_code == 302 and response.headers["Location"].endswith("/admin/renovation-patrols/")
    assert len(Renovation.objects.get(pk=r.pk).patrols) == 1
    assert RenovationAttachment.objects(renovation=r, patrol_key="form-7").count() == 1


def test_a_housekeeper_is_told_the_building_is_not_theirs(app, world, client_as):
    r = make(app, world, "in_progress")
    from documents.staff import Staff
    Staff.objects(username="housekeeper").update_one(set__buildings=["2"])
    keeper = client_as("housekeeper")
    assert "step-log_patrol" not in keeper.get(f"/admin/renovations/details/?id={r.pk}").data.decode()
    page = keeper.get(f"/admin/renovations/step/log_patrol/?id={r.pk}").data.decode()
    assert "Building 1 is not one of the buildings you look after." in page


def test_details_page_says_what_a_step_still_waits_for(app, world, client_as):
    """No Approve button while the agreement date is missing; the page says why instead."""
    r = make(app, world, "flat_passed")
    Renovation.objects(pk=r.pk).update_one(unset__agreement_signed_on=True)
    page = client_as("supervisor").get(f"/admin/renovations/details/?id={r.pk}",
                                       headers={"Accept-Language": "en"}).data.decode()
    waiting = page[page.index('id="waiting-steps"'):]
    assert "step-approve" not in page and "Not yet: Approve" in waiting and "agreement" in waiting
    clerk_page = client_as("cashier").get(f"/admin/renovations/details/?id={r.pk}").data.decode()
    assert 'id="waiting-steps"' not in clerk_page          # the cashier may not approve at all


# --- the defects of the second browser review ---------------------------------------------------------

def test_result_radios_and_checkboxes_render_as_bootstrap_controls(app, world, client_as):
    """Pass/fail radios were drawn inside a full-width input box with their labels overlapping."""
    r = make(app, world, "submitted")
    page = client_as("housekeeper").get(f"/admin/renovations/step/flat_inspection/?id={r.pk}").data.decode()
    form = page[page.index('id="step-form"'):]
    assert '<ul class="form-control' not in form and "<li>" not in form
    assert '<fieldset class="form-group" id="passed">' in form
    for n, label in ((0, "Passed"), (1, "Failed")):
        assert f'class="custom-control custom-radio custom-control-inline"' in form
        assert f'<input class="custom-control-input" id="passed-{n}" name="passed" required type="radio"' in form
        assert f'<label class="custom-control-label" for="passed-{n}">{label}</label>' in form
    page = client_as("housekeeper").post(f"/admin/renovations/step/flat_inspection/?id={r.pk}",
                                         data={"items": "渗漏"}).data.decode()
    assert 'class="custom-control-input is-invalid" id="passed-0"' in page    # the error marks the choices
    # (the checkbox of the former large-item permit: now the item release form's gate step, same widget)
    from documents.item_release import ItemRelease
    running = make(app, world, "in_progress", household=world["hh_a2"])
    release = in_ctx(app, ItemRelease.register, world["staff"]["clerk"], world["A"], renovation=running,
                     items="旧门 1", release_on=running.today(), driver_name="陈司机", driver_id=licence_no()[:18])
    in_ctx(app, release.confirm_fees, world["staff"]["clerk"])
    in_ctx(app, release.sign, world["staff"]["clerk"], signed_by="张伟")
    page = client_as("manager").get(f"/admin/item_release/step/release/?id={release.pk}").data.decode()
    assert '<div class="custom-control custom-checkbox">' in page
    assert '<input class="custom-control-input" id="items_checked" name="items_checked" type="checkbox"' in page
    assert '<label class="custom-control-label" for="items_checked">' in page


def test_a_violation_row_with_only_a_deduction_is_refused_on_its_field(app, world, client_as):
    r = make(app, world, "in_progress")
    keeper = client_as("housekeeper")
    empty = {f"violations-{row}-{name}": "" for row in (0, 1) for name in ("type", "description", "deduction",
                                                                            "deadline")}   # as a browser posts
    data = dict(empty, key="form-row2", on="2026-03-02", phase="water_electric", findings="楼道有垃圾",
                **{"violations-1-deduction": "50"})
    page = step(keeper, "log_patrol", r, data).data.decode()
    field = page[page.index('id="violations-1-type"'):]
    assert 'class="form-control is-invalid" id="violations-1-type"' in page
    message = "Line 2, Violation: Choose the type of violation."
    assert field.index(message) < field.index('id="violations-1-description"')      # under its field
    assert 'id="violations-1-deduction" inputmode="decimal" name="violations-1-deduction" type="text" value="50"' \
        in page                                                   # what was typed is kept
    assert Renovation.objects.get(pk=r.pk).patrols == []
    data.update({"violations-1-type": "debris"})
    page = step(keeper, "log_patrol", r, data).data.decode()
    assert "Line 2, Description: Describe what was found." in page
    assert 'is-invalid" id="violations-1-description"' in page
    assert Renovation.objects.get(pk=r.pk).patrols == []
    data.update({"violations-1-description": "楼道堆放垃圾"})
    assert "The patrol was recorded." in step(keeper, "log_patrol", r, data, follow_redirects=True).data.decode()
    violation = Renovation.objects.get(pk=r.pk).patrols[0].violations[0]
    assert violation.type == "debris" and violation.deduction == Decimal("50.00")


def test_details_and_patrol_form_fit_a_phone(app, world, client_as):
    """The details page was 700-800 px wide on a 390 px phone; the violations table squeezed its columns."""
    r = make(app, world, "in_progress")
    in_ctx(app, r.log_patrol, world["staff"]["housekeeper"], findings="正常")
    in_ctx(app, r.issue_permit, world["staff"]["clerk"], "worker_pass", worker_key=r.workers[0].key,
           valid_to=date(2026, 5, 31))
    details = client_as("supervisor").get(f"/admin/renovations/details/?id={r.pk}").data.decode()
    assert "@media (max-width: 767.98px)" in details and "#details-table > tbody > tr > td" in details
    for cell in ("detail-contractor", "detail-workers", "detail-fees"):
        row = details[details.index(f'id="{cell}"'):]
        assert row.index('<div class="table-responsive"><table') < row.index("</tr>"), cell
    for table in ("patrols", "permits", "attachments"):
        assert f'<div class="table-responsive"><table class="table table-sm table-bordered" id="{table}">' in details
    assert '<div class="table-responsive"><table class="table table-sm table-striped" id="record-history">' in details
    assert "room_status_before" not in details.replace('data-field="room_status_before"', "")
    assert "<strong>Room status before the work</strong>:  → Occupied" in details
    form = client_as("housekeeper").get(f"/admin/renovations/step/log_patrol/?id={r.pk}").data.decode()
    violations = form[form.index('id="violations"'):form.index("</fieldset>", form.index('id="violations"'))]
    assert 'class="table table-sm table-bordered step-list-table"' in violations   # lines stack on a phone
    assert violations.count('data-label="Deduction"') == 2 and "Line 2" in violations


def test_a_wrong_power_load_is_refused_on_the_load_field_and_kept(app, world, client_as):
    r = make(app, world, "in_progress")
    clerk = client_as("clerk")
    url = f"/admin/renovations/step/issue_permit/?id={r.pk}&kind=power"
    for typed in ("abc", "-5", "0"):
        page = clerk.post(url, data={"key": "k-power", "location": "3-1-301 室内", "power_load_kw": typed,
                                     "valid_to": "2026-03-10"}).data.decode()
        load = page[page.index('id="power_load_kw"'):]
        assert load.index("The load must be a positive number of kW, e.g. 3.5.") < load.index("</form>"), typed
        assert f'name="power_load_kw" type="text" value="{typed}"' in page, typed
        assert 'class="form-control is-invalid" id="location"' not in page and 'value="3-1-301 室内"' in page
    page = clerk.post(url, data={"key": "k-power", "location": "室内", "power_load_kw": "3.555",
                                 "valid_to": "2026-03-10"}).data.decode()
    assert "Enter at most two decimal places." in page and 'value="3.555"' in page
    assert Renovation.objects.get(pk=r.pk).permits == []
    page = clerk.post(url, data={"key": "k-power", "location": "室内", "power_load_kw": "3.5",
                                 "valid_to": "2026-03-10"}, follow_redirects=True).data.decode()
    assert f"Permit {r.permit_no}-D01 was issued." in page
    assert Renovation.objects.get(pk=r.pk).permits[0].power_load_kw == Decimal("3.50")


def test_only_who_may_approve_hot_work_is_offered_the_hot_work_permit(app, world, client_as):
    r = make(app, world, "in_progress")
    clerk_page = client_as("clerk").get(f"/admin/renovations/details/?id={r.pk}").data.decode()
    assert "permit-worker_pass" in clerk_page and "permit-power" in clerk_page
    assert "permit-hot_work" not in clerk_page and "issue_hot_work" not in clerk_page
    sup_page = client_as("supervisor").get(f"/admin/renovations/details/?id={r.pk}").data.decode()
    assert "permit-hot_work" in sup_page and f"/admin/renovations/step/issue_hot_work/?id={r.pk}" in sup_page


def test_the_renovation_permit_number_reads_xukezheng_hao_in_chinese(app, world, client_as):
    """Every msgid that means the renovation permit's number says 装修许可证号 / 许可证号, never 证件编号."""
    from babel.messages.pofile import read_po
    with open("translations/zh_Hans_CN/LC_MESSAGES/messages.po", "rb") as fh:
        catalog = {m.id: m.string for m in read_po(fh) if isinstance(m.id, str) and m.id}
    meaning_the_number = [i for i in catalog if "permit no" in i.lower() and "pass or permit" not in i.lower()]
    assert len(meaning_the_number) >= 3
    for msgid in meaning_the_number + ["Approve the selected files and number their permits?"]:
        assert "许可证号" in catalog[msgid] and "证件编号" not in catalog[msgid], msgid
    from documents.staff import Staff
    Staff.objects.update(set__language="zh_Hans_CN")
    r = make(app, world, "fees_paid")
    page = client_as("supervisor").get(f"/admin/renovations/details/?id={r.pk}").data.decode()
    assert f'装修许可证号 <strong id="permit-no">{r.permit_no}</strong>' in page
    assert f"<b>装修许可证号</b>" in page


def test_money_with_more_than_two_decimals_is_refused_and_money_fields_start_empty(app, world, client_as):
    clerk = client_as("clerk")
    form = clerk.get("/admin/renovations/new/").data.decode()
    fee = form[form.index('id="management_fee"') - 200:form.index('id="management_fee"') + 200]
    assert 'value=""' in fee and "0.00" not in fee and 'type="text"' in fee
    data = dict(CREATE, household=str(world["hh_a"].pk), deposit="1200.555")
    page = clerk.post("/admin/renovations/new/", data=data).data.decode()
    assert "Enter at most two decimal places." in page and 'value="1200.555"' in page
    assert Renovation.objects.count() == 0
    page = clerk.post("/admin/renovations/new/", data=dict(data, deposit="1200.50",
                                                            **{"other_fees-0-amount": "200.005"})).data.decode()
    assert "Enter at most two decimal places." in page and Renovation.objects.count() == 0
    response = clerk.post("/admin/renovations/new/", data=dict(data, deposit="1200.50", management_fee=""))
    assert response.status_code == 302
    created = Renovation.objects.get(household=world["hh_a"])
    assert created.deposit == Decimal("1200.50") and created.management_fee == Decimal("0.00")
    running = make(app, world, "initial_inspected", household=world["hh_a2"])
    page = step(client_as("supervisor"), "final_inspection", running, {
        "passed": "no", "items-0-description": "墙面污损", "items-0-deduction": "10.555"}).data.decode()
    assert "Enter at most two decimal places." in page and 'value="10.555"' in page
    assert state_of(running) == "initial_inspected"


def test_a_worker_without_a_phone_shows_no_mask(app, world, client_as):
    r = make(app, world, "in_progress")
    details = client_as("cashier").get(f"/admin/renovations/details/?id={r.pk}").data.decode()  # phones masked
    workers = details[details.index('id="detail-workers"'):]
    workers = workers[:workers.index("</tr>", workers.index("</table>"))]
    assert "135****2222" in workers and "****</td>" not in workers.replace("135****2222</td>", "")


def test_one_badge_style_per_state_in_the_header_and_the_table(app, world, client_as):
    cashier = client_as("cashier")
    r = make(app, world, "in_progress")
    details = cashier.get(f"/admin/renovations/details/?id={r.pk}").data.decode()
    header = details[details.index('id="renovation-header"'):details.index('id="renovation-steps"')]
    assert 'class="badge badge-warning state-in_progress" id="renovation-state"' in header
    assert 'class="badge badge-warning state-in_progress">' in details[details.index('id="detail-state"'):]
    draft = make(app, world, "draft", household=world["hh_a2"])
    page = cashier.get(f"/admin/renovations/details/?id={draft.pk}").data.decode()
    assert "badge-light" not in page and page.count("badge badge-secondary state-draft") == 2
    listing = cashier.get("/admin/renovations/").data.decode()
    assert "badge badge-secondary state-draft" in listing and "badge badge-warning state-in_progress" in listing


def test_the_phase_change_says_the_new_phase(app, world, client_as):
    r = make(app, world, "in_progress")
    page = step(client_as("supervisor"), "set_phase", r, {"phase": "carpentry_painting"},
                follow_redirects=True).data.decode()
    assert "The phase is now: Carpentry and wall painting." in page and "is now “Work in progress”" not in page


def test_the_english_details_page_names_the_community_in_english(app, world, client_as):
    r = make(app, world, "in_progress")
    details = client_as("clerk").get(f"/admin/renovations/details/?id={r.pk}").data.decode()
    assert '<td class="detail-value">Community A</td>' in details


def test_closed_files_show_no_edit_pencil(app, world, client_as):
    running = make(app, world, "in_progress")
    closed = make(app, world, "refunded", household=world["hh_a2"])
    clerk = client_as("clerk")
    listing = clerk.get("/admin/renovations/").data.decode()
    assert f"/admin/renovations/edit/?id={running.pk}" in listing
    assert f"/admin/renovations/edit/?id={closed.pk}" not in listing
    details = clerk.get(f"/admin/renovations/details/?id={closed.pk}").data.decode()
    assert f"/admin/renovations/edit/?id={closed.pk}" not in details
    assert f"/admin/renovations/edit/?id={running.pk}" in clerk.get(
        f"/admin/renovations/details/?id={running.pk}").data.decode()


def test_bulk_submit_lists_the_missing_documents_in_chinese_with_one_colon(app, world, client_as):
    from documents.staff import Staff
    Staff.objects.update(set__language="zh_Hans_CN")
    draft = make(app, world, "draft")
    page = client_as("clerk").post("/admin/renovations/action/", data={"action": "submit", "rowid": str(draft.pk)},
                                   follow_redirects=True).data.decode()
    message = page[page.index("暂不能提交"):]
    message = message[:message.index("。", message.index("资料")) + 1]
    assert message.count("：") == 1 and ", " not in message and "以下资料" not in message
    assert "资料（营业执照复印件、资质证书和施工人员身份证复印件）" in message, message
    assert state_of(draft) == "draft"


def test_the_refund_receipt_names_who_refunded_and_who_approved(app, world, client_as):
    big = make(app, world, "final_passed", deposit="8000")
    manager, cashier = client_as("manager"), client_as("cashier")
    step(manager, "approve_refund", big)
    step(cashier, "refund", big, {"method": "cash", "paid_to": "张伟", "expected_amount": "8000.00"})
    receipt = cashier.get(f"/admin/renovations/print/receipt/?id={big.pk}&lang=en").data.decode()
    assert "Refunded by cashier A" in receipt and "Refund approved by manager A" in receipt
    assert "Cashier" not in receipt
    assert DepositRefund.objects.get(renovation=big).approved_by_name == "manager A"
    small = make(app, world, "final_passed", household=world["hh_a2"])
    step(manager, "refund", small, {"method": "cash", "paid_to": "李娜", "expected_amount": "3000.00"})
    receipt = manager.get(f"/admin/renovations/print/receipt/?id={small.pk}&lang=en").data.decode()
    assert "Refunded by manager A" in receipt and "Refund approved by" not in receipt
    zh = manager.get(f"/admin/renovations/print/receipt/?id={small.pk}").data.decode()
    assert "退款经办人：manager A" in zh and "收银员" not in zh


def test_a_refund_within_the_limit_is_not_waiting_for_an_approval(app, world, client_as):
    """Below the limit the approval does not apply: no "Not yet: Approve refund" hint for the manager."""
    small = make(app, world, "final_passed")
    page = client_as("manager").get(f"/admin/renovations/details/?id={small.pk}").data.decode()
    assert "Not yet: Approve refund" not in page and "step-refund" in page
    big = make(app, world, "final_passed", household=world["hh_a2"], deposit="8000")
    page = client_as("cashier").get(f"/admin/renovations/details/?id={big.pk}").data.decode()
    assert "Not yet: Refund deposit" in page and "above this community" in page   # this one does wait
