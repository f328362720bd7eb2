"""Found in the browser: errors of list entries on their own field, readable change history."""
import re

from documents.audit import AuditEntry, display_value
from tests.views.test_residents import edit_payload


def _form_group(html: str, field_id: str) -> str:
    """The HTML of the form group that holds the input `field_id`."""
    start = html.index(f'id="{field_id}"')
    start = html.rindex('<div class="form-group', 0, start)
    end = html.index('<div class="form-group', start + 10)
    return html[start:end]


def test_owner_phone_error_is_on_the_owner_phone_field(client_as, world):
    hh = world["hh_a"]
    response = client_as("manager").post(f"/admin/households/edit/?id={hh.pk}",
                                         data=edit_payload(hh, **{"owners-0-phone": "12345"}))
    html = response.data.decode()
    group = _form_group(html, "owners-0-phone")
    assert re.search(r'class="form-control is-invalid" id="owners-0-phone"', group)
    assert "Not a mainland mobile number" in group
    assert "{0:" not in html  # not a dump of mongoengine's error dict on the list


def test_member_id_error_is_on_the_member_id_field(client_as, world):
    hh = world["hh_a"]
    data = edit_payload(hh, **{"members-0-name": "张小伟", "members-0-relation": "child",
                               "members-0-id_type": "id_card",
                               "members-0-id_number": "110105194912310021"})
    html = client_as("manager").post(f"/admin/households/edit/?id={hh.pk}", data=data).data.decode()
    group = _form_group(html, "members-0-id_number")
    assert "is-invalid" in group and "check digit is wrong" in group
    assert "is-invalid" not in _form_group(html, "owners-0-id_number")
    hh.reload()
    assert hh.members == []


def test_history_shows_only_the_changed_field_by_its_label(client_as, world):
    hh = world["hh_a"]
    client = client_as("clerk")
    # the form posts every embedded field, empty ones as "": that alone is no change
    data = edit_payload(hh, notes="新门禁卡", **{"owners-0-work_unit": "", "owners-0-emergency_contact": ""})
    assert client.post(f"/admin/households/edit/?id={hh.pk}", data=data).status_code == 302
    entry = AuditEntry.objects(record_id=str(hh.pk), action="edit").first()
    assert [c.field for c in entry.changes] == ["notes"]
    page = client.get(f"/admin/households/details/?id={hh.pk}").data.decode()
    assert re.search(r'data-field="notes"><strong>Notes</strong>: +→ 新门禁卡', page)


def test_display_value_names_list_entries():
    assert display_value('[{"name": "张伟", "phone": "13800138000"}, {"name": "李娜"}]') == "张伟, 李娜"
    assert display_value('[{"plate": "粤B12345", "parking_space": "B1"}]') == "粤B12345"
    assert display_value('[{"key": "装修情况", "value": "精装"}]') == "装修情况: 精装"
    assert display_value('["VIP", "党员"]') == "VIP, 党员"
    assert display_value("null") == "null" and display_value("[not json") == "[not json"
    assert display_value("x" * 200, limit=10) == "x" * 9 + "…"
    assert display_value(None) == ""


def test_list_search_box_has_a_real_placeholder(client_as, world):
    html = client_as("clerk").get("/admin/households/").data.decode()
    placeholder = re.search(r'name="search"[^>]*placeholder="([^"]*)"', html) or \
        re.search(r'placeholder="([^"]*)"[^>]*name="search"', html)
    assert placeholder and placeholder.group(1) not in ("", "None")


def test_long_texts_are_multi_line_fields(client_as):
    """The event's description (up to 5,000 characters) is typed in a text area, not one line."""
    page = client_as("culture").get("/admin/events/new/").get_data(as_text=True)
    for name in ("description_zh", "description_en"):
        assert re.search(rf'<textarea[^>]*name="{name}"', page), name
    assert re.search(r'<input[^>]*name="title_zh"', page)   # a title stays one line


def required_labels(html: str) -> set[str]:
    return {re.sub(r"<[^>]+>", "", label).strip() for label in
            re.findall(r"<(?:label|legend|th)\b[^>]*>([^<]*)<strong class=\"text-danger required-mark\"", html)}


def test_required_fields_are_marked_on_step_and_visit_forms(world, client_as):
    from tests.services_support import make_repair
    repair = make_repair(world)
    client = client_as("clerk")
    dispatch = client.get(f"/admin/repairs/step/dispatch/?id={repair.pk}").get_data(as_text=True)
    assert required_labels(dispatch) == {"Technician", "Appointment"}
    visit = client.get(f"/admin/visits/log/?target=household&id={world['hh_a'].pk}").get_data(as_text=True)
    assert {"Method", "Visited on", "What the resident said"} <= required_labels(visit)
    assert "Resident" not in required_labels(visit)
