"""In Chromium: import a sheet with errors, fix it, import it, find the household, open its page and
register a repair from it (the room already chosen)."""
from openpyxl import Workbook

from tests.e2e.conftest import screenshot

#: the texts asserted here are Chinese: every login chooses it (another test may switch an account)
LOGIN_LANGUAGE = "zh_Hans_CN"

HEADER = ["房屋编码", "户名", "身份", "姓名", "关系", "电话", "证件类型", "证件号码", "入住日期", "租约起始",
          "租约到期", "车牌号", "车位号"]
BUILDING = "88"


def sheet(path, phone, room):
    book = Workbook()
    people = book.active
    people.title = "业户"
    people.append(HEADER)
    people.append([room, "端到端导入户", "业主", "端到端导入户", "业主", phone, "居民身份证", "11010519491231002X",
                   "2024-05-01", "", "", "粤B12345", ""])
    people.append([f"{BUILDING}-1-102", "欧阳导入", "业主", "欧阳导入", "", "13500001111", "", "", "", "", "", "", ""])
    rooms = book.create_sheet("房号")
    rooms.append(["楼栋号", "单元号", "楼层", "房号"])
    rooms.append([BUILDING, "1", 1, "101"])
    rooms.append([BUILDING, "1", 1, "102"])
    book.save(path)
    return str(path)


def test_import_fix_find_and_register_a_repair(page, portal, login, tmp_path):
    login("clerk")
    page.goto(f"{portal}/admin/archive_import/")
    # 1. a sheet with a 10-digit phone and a room that does not exist: every bad row named, nothing written
    page.set_input_files("#file", sheet(tmp_path / "bad.xlsx", "1380013800", f"{BUILDING}-1-909"))
    page.click("#upload-button")
    errors = page.locator("#import-errors tbody tr")
    assert errors.count() == 1        # the room is refused first; its row's phone is not reached
    assert "88-1-909" in errors.first.inner_text()
    assert page.locator("#confirm-import").count() == 0
    page.set_input_files("#file", sheet(tmp_path / "bad2.xlsx", "1380013800", f"{BUILDING}-1-101"))
    page.click("#upload-button")
    errors = page.locator("#import-errors tbody tr")
    assert errors.count() == 1 and "电话" in errors.first.inner_text() and "11" in errors.first.inner_text()
    screenshot(page, "archives-1-import-errors")
    # 2. fixed: the preview lists what will be created; confirmed, the import is listed
    page.set_input_files("#file", sheet(tmp_path / "good.xlsx", "13800138000", f"{BUILDING}-1-101"))
    page.click("#upload-button")
    assert page.locator("#import-errors").count() == 0
    assert page.locator("#import-plan tbody tr").count() == 2
    page.click("#confirm-import")
    page.wait_for_selector("#import-history")
    assert "good.xlsx" in page.locator("#import-history").inner_text()
    # 3. find the household by its room code: the search lands on its page
    page.goto(f"{portal}/admin/lookup/search?q={BUILDING}-1-101")
    page.wait_for_selector("#household-header")
    assert "端到端导入户" in page.locator("#household-name").inner_text()
    assert "粤B12345" in page.locator("#vehicles-table").inner_text()
    assert "11010519491231002X" not in page.content()        # a clerk reads at contact level
    screenshot(page, "archives-2-household-page")
    # 4. register a repair from the page: the room is already chosen
    page.click("#household-actions a.action-repair")
    page.wait_for_url("**/admin/repairs/new/**")
    assert page.locator("#s2id_room .select2-chosen").inner_text().strip() == f"{BUILDING}-1-101"
    page.select_option("#category", "plumbing")
    page.select_option("#urgency", "urgent")
    page.fill("#description", "端到端：卫生间漏水")
    page.locator("form.admin-form input[type=submit]").first.click()
    page.wait_for_load_state()
    # back on the household page, the repair is open work
    page.goto(f"{portal}/admin/lookup/search?q={BUILDING}-1-101")
    assert "报修" in page.locator("#open-work").inner_text()
    assert page.locator("#open-work a").count() == 1
    screenshot(page, "archives-3-open-repair")
