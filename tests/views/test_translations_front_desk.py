"""Front-desk translations a new user found wrong: the visit method "On site" is not the repair
state, the handover column, the complaint departments."""
from documents.complaints import DEPARTMENTS
from documents.repairs import STATES as REPAIR_STATES
from documents.staff import Staff
from documents.visits import METHODS
from tests.services_support import make_repair


def test_on_site_reads_differently_as_a_visit_method_and_as_a_repair_state(app):
    with app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        assert str(dict(METHODS)["on_site"]) == "上门"
        assert str(dict(REPAIR_STATES)["arrived"]) == "已到场"
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert str(dict(METHODS)["on_site"]) == str(dict(REPAIR_STATES)["arrived"]) == "On site"


def test_complaint_departments_are_chinese_in_the_chinese_ui(app):
    with app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        labels = [str(label) for _key, label in DEPARTMENTS]
    assert labels == ["客服部", "工程部", "秩序维护部", "保洁部", "绿化部", "管理处", "开发商", "其他"]


def test_the_handover_column_of_the_problem_is_not_called_summary(world, client_as):
    make_repair(world)
    Staff.objects(username="clerk").update_one(set__language="zh_Hans_CN")
    page = client_as("clerk").get("/admin/handover/").get_data(as_text=True)
    assert "<th>反映的问题</th>" in page and "<th>总结</th>" not in page
