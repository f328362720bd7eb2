"""Times on the community's clock everywhere, and a change history people can read (issue 8, 8–9)."""
import re

import pytest

from app import clock
from documents.agenda import sweep
from documents.staff import Staff
from tests.services_support import completed_repair, freeze_shanghai, make_complaint, shanghai  # noqa: F401
from tests.support import english_request

OBJECT_ID = re.compile(r"\b[0-9a-f]{24}\b")


def history_of(page: str) -> str:
    start = page.index('id="record-history"')
    return page[start:page.index("</table>", start)]


def visible(html: str) -> str:
    """The words of a piece of page (attributes such as data-field are not read by people)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def in_tokyo(world):
    """Community A keeps Tokyo time (UTC+9): a time shown in Shanghai's (+8) or UTC is wrong."""
    world["A"].timezone = "Asia/Tokyo"
    world["A"].save()


@pytest.mark.parametrize("lang", ["en", "zh_Hans_CN"])
def test_the_change_history_reads_in_words_names_and_local_times(app, client_as, world, lang):
    freeze_shanghai(2026, 3, 11, 9, 0)                               # 01:00 UTC
    with english_request(app):
        repair = completed_repair(world)                             # labour 20, material 35.50
        complaint = make_complaint(world, complaint_class=1)
        complaint.assign(world["staff"]["supervisor"], "engineering", world["staff"]["housekeeper"])
        clock.freeze(shanghai(2026, 3, 11, 14, 0))                   # past the 4 hours
        complaint.handle(world["staff"]["housekeeper"], "已修好灯")
        other = make_complaint(world, complaint_class=1, room="1-1-102")     # due 18:00
        clock.freeze(shanghai(2026, 3, 11, 19, 0))
        assert sweep().escalated == 1                                # the sweeper: no person acted
    Staff.objects(username="manager").update_one(set__language=lang)
    client = client_as("manager")
    words = {"en": {"late": "Handled late", "yes": "Yes", "no": "No", "system": "System",
                    "class": "Class 1: our management or service (4 h)", "department": "Engineering",
                    "state": "Completed", "level": "Supervisor"},
             "zh_Hans_CN": {"late": "超时处理", "yes": "是", "no": "否", "system": "系统",
                            "class": None, "department": None, "state": None, "level": None}}[lang]

    page = history_of(client.get(f"/admin/complaints/details/?id={complaint.pk}").data.decode())
    text = visible(page)
    assert "handled_late" not in text and "escalation_level" not in text and "audit_outbox" not in text
    assert not OBJECT_ID.search(text), OBJECT_ID.search(text)
    assert "housekeeper A" in page and "supervisor A" in page                 # people by their names
    assert f"{words['late']} : {words['no']} → {words['yes']}" in text
    assert "2026-03-11 14:00" in page and "2026-03-11 06:00" not in page      # local, not UTC
    if words["department"]:
        assert f"{words['department']}" in text and "engineering" not in text
    escalated = history_of(client.get(f"/admin/complaints/details/?id={other.pk}").data.decode())
    actors = re.findall(r'<td class="history-actor">([^<]*)</td>', escalated)
    assert words["system"] in actors and "system" not in actors
    if words["level"]:
        assert f"→ {words['level']}" in visible(escalated) and "→ 1 " not in visible(escalated)

    page = history_of(client.get(f"/admin/repairs/details/?id={repair.pk}").data.decode())
    assert "55.50" in page and "20.00" in page                               # money formatted
    assert "2026-03-11 09:00" in page and "2026-03-11 01:00" not in page
    assert not OBJECT_ID.search(visible(page))
    if words["state"]:
        assert f"→ {words['state']}" in visible(page) and "→ completed" not in visible(page)


def test_times_are_on_the_clock_of_the_community(app, client_as, world):
    in_tokyo(world)
    freeze_shanghai(2026, 3, 11, 9, 0)                          # 01:00 UTC, 10:00 in Tokyo
    with english_request(app):
        repair = completed_repair(world)
    manager = client_as("manager")                              # logs in at 10:00 Tokyo time
    history = history_of(manager.get(f"/admin/repairs/details/?id={repair.pk}").data.decode())
    assert "2026-03-11 10:00" in history and "2026-03-11 09:00" not in history
    admin = client_as("admin")                                  # staff accounts are the administrator's
    staff = admin.get("/admin/staff/").data.decode()
    assert "2026-03-11 10:00" in staff and "2026-03-11 09:00" not in staff      # last login
    audit = manager.get("/admin/audit/").data.decode()
    assert "2026-03-11 10:00:00" in audit and "2026-03-11 09:00:00" not in audit
    export = manager.get("/admin/repairs/export/csv/")
    assert export.status_code == 200
    assert "_2026-03-11_10-00-00.csv" in export.headers["Content-Disposition"]
    printed = manager.get(f"/admin/repairs/print/?id={repair.pk}").data.decode()
    assert "2026-03-11 10:00" in printed


def test_the_audit_list_reads_like_the_records_history(app, client_as, world):
    freeze_shanghai(2026, 3, 11, 9, 0)
    with english_request(app):
        make_complaint(world, complaint_class=1)                    # due 13:00
        clock.freeze(shanghai(2026, 3, 11, 19, 0))
        assert sweep().escalated == 1
    page = client_as("manager").get("/admin/audit/").data.decode()
    text = visible(page[page.index("model-list"):page.index('id="estate-picker-config"')])
    entry = text[text.index("System Escalated") - 30:text.index("System Escalated") + 200]
    assert "2026-03-11 13:00:00 System Escalated Complaints and suggestions" in entry, entry
    assert "Escalation None Supervisor" in entry and "escalation_level" not in entry     # names and words
    assert "Escalated on 2026-03-11 13:00" in entry and "2026-03-11 05:00" not in entry  # local, not UTC
    assert not OBJECT_ID.search(text)
