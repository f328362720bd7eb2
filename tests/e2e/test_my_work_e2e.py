"""In Chromium: the seed's sweep escalated an overdue complaint to the supervisor at its deadline;
the supervisor logs in, sees the bell count, reads My work and follows the link to the complaint.
My work fits a phone 390 px wide in both languages."""
import re

from tests.e2e.conftest import assert_no_horizontal_scroll, log_in, new_page, screenshot

#: the texts asserted here are Chinese: every login chooses it (another test may switch an account)
LOGIN_LANGUAGE = "zh_Hans_CN"


def test_the_supervisor_follows_an_escalated_complaint_from_my_work(page, portal, login):
    login("supervisor")
    page.goto(portal + "/admin/")
    bell = page.locator("#bell-count")
    assert bell.count() == 1 and int(bell.inner_text()) >= 1
    assert page.locator("h4", has_text="我的工作").count() == 1
    escalated = page.locator("#group-escalated")
    assert "升级给我的" in escalated.inner_text()
    count = int(escalated.locator(".group-count").inner_text())
    assert count >= 1
    item = escalated.locator(".mywork-item").filter(has_text="投诉处理").first
    assert "已升级至客服部主管" in item.inner_text() or "已升级至公司领导" in item.inner_text()
    number = re.search(r"TS\d{8}-\d{3}", item.inner_text()).group(0)
    screenshot(page, "my_work_supervisor_zh_1366")
    item.locator("a").first.click()
    page.wait_for_url("**/admin/complaints/details/**")
    assert number in page.locator("body").inner_text()
    # the notification of the escalation: opening it marks it read, the bell counts one fewer
    page.goto(portal + "/admin/notifications/")
    unread = page.locator("li.notification.unread")
    before = unread.count()
    assert before >= 1 and "已上报给您" in unread.first.inner_text()
    screenshot(page, "notifications_supervisor_zh_1366")
    unread.first.locator("a").first.click()
    page.wait_for_url("**/details/**")
    page.goto(portal + "/admin/notifications/")
    assert page.locator("li.notification.unread").count() == before - 1


def test_my_work_fits_a_phone_and_a_desktop_in_both_languages(browser, portal):
    for lang, locale in (("zh_Hans_CN", "zh-CN"), ("en", "en-US")):
        for who in ("clerk", "housekeeper"):
            for width, height in ((390, 844), (1366, 900)):
                page = new_page(browser, width, height, locale=locale)
                log_in(page, portal, who, lang=lang)
                page.goto(portal + "/admin/")
                assert page.locator("#group-overdue").count() == 1
                assert page.locator(".mywork-item").count() + page.locator(".waiting-row").count() > 0, who
                assert_no_horizontal_scroll(page, (who, lang, width))
                screenshot(page, f"my_work_{who}_{lang}_{width}")
                page.context.close()
