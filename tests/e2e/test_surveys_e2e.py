"""In Chromium: the clerk hands out a questionnaire of the demo's open survey (printed with its link);
the resident opens the link on a 390 px phone, in Chinese, without logging in: a required question
left out is refused on the page, the answers sent, thanks shown; the link cannot be used again."""
import re

from tests.e2e.conftest import assert_no_horizontal_scroll, new_page, screenshot

LOGIN_LANGUAGE = "zh_Hans_CN"


def test_a_survey_answered_through_its_link_on_a_phone(portal, login, browser):
    clerk = login("clerk")
    clerk.goto(portal + "/admin/campaigns/?search=年度业户满意度调查")
    clerk.locator("a[href*='/admin/campaigns/details/']").first.click()
    clerk.wait_for_url("**/campaigns/details/**")
    clerk.locator("#hand-out").click()
    clerk.wait_for_url("**/campaigns/hand-out/**")
    boxes = clerk.locator("#hand-out-table input[type=checkbox]")
    for n in range(boxes.count()):
        boxes.nth(n).uncheck()
    row = clerk.locator("#hand-out-table tbody tr").filter(has_text="未发放").first
    code = row.locator("label").inner_text().strip()
    row.locator("input[type=checkbox]").check()
    clerk.click("#hand-out-submit")
    sheet = clerk.locator(f"#sheet-{code}")
    assert code in sheet.inner_text()
    link = re.search(r"http\S+/s/[A-Za-z0-9_-]{40,}", sheet.inner_text()).group(0)
    screenshot(clerk, "surveys_questionnaire_print_zh")

    phone = new_page(browser, width=390, height=844, locale="zh-CN")
    try:
        phone.goto(link)
        assert "您对物业服务的总体满意度" in phone.locator("#survey-form").inner_text()
        assert phone.locator("a").count() == 2                     # the language switch, nothing else
        assert_no_horizontal_scroll(phone, "survey page at 390 px")
        phone.locator("#question-q1 input[value='4']").check()
        phone.locator("#question-q2 input[value='5']").check()
        phone.locator("#question-q4 label").first.click()
        phone.locator("#question-q5 label").nth(1).click()
        phone.fill("#question-q6 textarea", "希望增加电动车充电桩")
        phone.click("#survey-submit")                             # question 3 is required
        assert "第3题为必答题" in phone.locator("#question-q3").inner_text()
        assert phone.locator("#question-q1 input[value='4']").is_checked()   # what was chosen stays
        screenshot(phone, "surveys_link_refused_zh_390")
        phone.locator("#question-q3 input[value='3']").check()
        phone.click("#survey-submit")
        phone.wait_for_url("**/s/thanks")
        assert "感谢您的参与" in phone.locator("#survey-done").inner_text()
        assert phone.locator("a").count() == 0
        assert_no_horizontal_scroll(phone, "thanks at 390 px")
        phone.goto(link + "?lang=en")
        assert "already been answered" in phone.locator("#survey-refused").inner_text()
    finally:
        phone.context.close()
    # the questionnaire is back, answered through its link
    clerk.goto(portal + f"/admin/survey_responses/?search={code}")
    body = clerk.locator("body").inner_text()
    assert "已回收" in body and "业户通过链接填写" in body
