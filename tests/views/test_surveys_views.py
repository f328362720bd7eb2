"""Survey pages: the question editor, a survey opened, questionnaires handed out and printed, answers
entered by code, results with their export; permissions and community scoping; the resident's page
(no login, one-time, bad input in both languages, CSRF, rate limit, nothing else reachable)."""
import re
from datetime import datetime

import pytest

from app import clock
from documents.audit import AuditEntry
from documents.base import DomainError
from documents.surveys import HANDED_OUT, PENDING, RETURNED, Campaign, Response, SurveyTemplate
from tests.conftest import csrf_token_of
from tests.support import english_request
from tests.surveys_support import GOOD, open_campaign, template

NOW = datetime(2026, 12, 7, 2, 0)


@pytest.fixture
def opened(app, world):
    clock.freeze(NOW)
    with english_request(app):
        campaign = open_campaign(world)
    return campaign


def _hand_out(client, campaign, *responses, lang="en"):
    page = client.post(f"/admin/campaigns/hand-out/?id={campaign.pk}",
                       data={"response": [str(r.pk) for r in responses], "lang": lang})
    links = re.findall(r"http://localhost/s/([A-Za-z0-9_-]{40,})", page.get_data(as_text=True))
    return page, links


def test_the_question_editor_saves_rows_in_order_and_refuses_an_incomplete_one(client_as, world):
    client = client_as("supervisor")
    client.post("/admin/survey_templates/new/", data={"community": str(world["A"].pk), "title_zh": "保洁满意度"})
    record = SurveyTemplate.objects(title_zh="保洁满意度").get()
    page = client.get(f"/admin/survey_templates/questions/?id={record.pk}")
    assert page.status_code == 200 and b'name="kind-2"' in page.data
    rows = {"rows": "3", "order-0": "2", "kind-0": "single", "text_zh-0": "楼道是否干净", "options-0": "是 | Yes\n否 | No",
            "order-1": "1", "kind-1": "rating", "text_en-1": "Cleaning", "scale_min-1": "1", "scale_max-1": "5",
            "required-1": "1", "satisfaction-1": "1", "order-2": "3", "kind-2": ""}
    client.post(f"/admin/survey_templates/questions/?id={record.pk}", data=rows)
    record.reload()
    assert [(q.key, q.kind, q.required) for q in record.questions] == [("q1", "rating", True), ("q2", "single", False)]
    assert [(o.text_zh, o.text_en) for o in record.questions[1].options] == [("是", "Yes"), ("否", "No")]
    # a rating outside the allowed bounds: refused, in English and in Chinese, nothing saved
    bad = dict(rows, **{"scale_max-1": "50"})
    page = client.post(f"/admin/survey_templates/questions/?id={record.pk}", data=bad)
    assert "Question 1: A rating scale goes from a lower to a higher whole number" in page.get_data(as_text=True)
    assert 'value="50"' in page.get_data(as_text=True)        # what was typed stays on the page
    client.post("/auth/language", data={"language": "zh_Hans_CN"})
    page = client.post(f"/admin/survey_templates/questions/?id={record.pk}", data=bad)
    assert "评分" in page.get_data(as_text=True)
    record.reload()
    assert record.questions[0].scale_max == 5


def test_a_clerk_cannot_edit_questions_nor_open_a_survey(client_as, world, opened):
    client = client_as("clerk")
    assert client.get(f"/admin/survey_templates/questions/?id={opened.template.pk}").status_code == 403
    draft = Campaign(community=world["A"], template=opened.template, title_zh="草稿", number="MY-X").save()
    client.post(f"/admin/campaigns/step/open/?id={draft.pk}")
    assert Campaign.objects(pk=draft.pk).get().state == "draft"


def test_a_survey_is_created_and_opened_through_the_pages(app, client_as, world):
    with english_request(app):
        questionnaire = template(world)
    client = client_as("manager")
    client.post("/admin/campaigns/new/", data={"community": str(world["A"].pk), "template": str(questionnaire.pk),
                                               "title_zh": "楼栋调查", "scope": "buildings", "buildings": "1"})
    campaign = Campaign.objects(title_zh="楼栋调查").get()
    assert campaign.number.startswith("MY") and campaign.building_nos == ["1"] and campaign.state == "draft"
    client.post(f"/admin/campaigns/step/open/?id={campaign.pk}")
    campaign.reload()
    assert campaign.state == "open" and Response.objects(campaign=campaign).count() == 2
    page = client.get(f"/admin/campaigns/details/?id={campaign.pk}")
    assert b'id="hand-out"' in page.data and b'id="results"' in page.data
    listing = client.get(f"/admin/survey_responses/?flt0_0={campaign.pk}").get_data(as_text=True)
    assert listing.count(f"{campaign.number}-000") == 2 and "not a valid value" not in listing
    # an open survey is no longer edited
    client.post(f"/admin/campaigns/edit/?id={campaign.pk}", data={
        "community": str(world["A"].pk), "template": str(questionnaire.pk), "title_zh": "改名", "scope": "community",
        "record_version": str(campaign.version)})
    assert Campaign.objects(pk=campaign.pk).get().title_zh == "楼栋调查"


def test_handing_out_prints_each_questionnaire_with_its_code_and_link(client_as, world, opened):
    client = client_as("housekeeper")
    first = Response.objects(campaign=opened).first()
    page, links = _hand_out(client, opened, first)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert first.code in html and len(links) == 1 and "2026 survey" in html and "Overall satisfaction" in html
    from app.qr import qr_svg
    assert str(qr_svg(f"http://localhost/s/{links[0]}", scale=2)) in html     # the same link as a code to scan
    first.reload()
    assert first.state == HANDED_OUT
    # printed again, in Chinese: a new link, the old one no longer works
    second_print, (new_link,) = _hand_out(client, opened, first, lang="zh")
    assert "您对物业服务的总体满意度" in second_print.get_data(as_text=True) and "编码" in second_print.get_data(as_text=True)
    assert new_link != links[0]
    # another community's staff cannot hand out, see or enter this survey
    other = client_as("clerk_b")
    assert other.get(f"/admin/campaigns/hand-out/?id={opened.pk}").status_code == 404
    details = other.get(f"/admin/campaigns/details/?id={opened.pk}")
    assert details.status_code == 302 and "/details/" not in details.headers["Location"]
    page = other.get(f"/admin/survey_entry/?code={first.code}")
    assert f"No questionnaire of your communities has the code {first.code}" in page.get_data(as_text=True)
    # a cashier has no survey pages at all
    assert client_as("cashier").get(f"/admin/campaigns/hand-out/?id={opened.pk}").status_code == 403


def test_answers_entered_by_code_bad_input_in_both_languages(client_as, opened):
    client = client_as("clerk")
    response = Response.objects(campaign=opened).first()
    page = client.post("/admin/survey_entry/", data={"code": response.code, "q1": "7", "q2": "1"})
    assert "Question 1: choose a rating from 1 to 5." in page.get_data(as_text=True)
    client.post("/auth/language", data={"language": "zh_Hans_CN"})
    page = client.post("/admin/survey_entry/", data={"code": response.code, "q2": "1"})
    assert "第1题" in page.get_data(as_text=True)
    response.reload()
    assert response.state == PENDING and not response.answers
    client.post("/admin/survey_entry/", data={"code": response.code, **GOOD})
    response.reload()
    assert response.state == RETURNED and response.channel == "paper" and response.score == 75.0
    # entered once: the second time the page says so and changes nothing
    page = client.get(f"/admin/survey_entry/?code={response.code}")
    assert b'id="entry-refusal"' in page.data


def test_results_with_charts_and_exports(client_as, opened):
    clerk = client_as("clerk")
    first, second = Response.objects(campaign=opened)
    clerk.post("/admin/survey_entry/", data={"code": first.code, **GOOD})
    manager = client_as("manager")
    page = manager.get(f"/admin/campaigns/results/?id={opened.pk}")
    html = page.get_data(as_text=True)
    assert 'id="response-rate">50.0%' in html and "电梯经常坏" in html
    assert 'id="chart-question-q1-table"' in html and 'id="chart-rate-table"' in html
    xlsx = manager.get(f"/admin/campaigns/results/?id={opened.pk}&export=xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    comments = manager.get(f"/admin/campaigns/results/?id={opened.pk}&export=comments")
    assert comments.data[:2] == b"PK"
    assert AuditEntry.objects(action="export").count() == 2
    # the clerk reads results but does not export them; the housekeeper does not read them
    assert clerk.get(f"/admin/campaigns/results/?id={opened.pk}").status_code == 200
    assert b"export-xlsx" not in clerk.get(f"/admin/campaigns/results/?id={opened.pk}").data
    assert client_as("housekeeper").get(f"/admin/campaigns/results/?id={opened.pk}").status_code == 403


# --- the resident's page ---

def test_the_link_page_needs_no_login_takes_answers_once_and_thanks(client_as, app, opened):
    response = Response.objects(campaign=opened).first()
    _page, (token,) = _hand_out(client_as("clerk"), opened, response)
    resident = app.test_client()
    page = resident.get(f"/s/{token}", headers={"Accept-Language": "zh-CN"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "您对物业服务的总体满意度" in html
    # no menu, no link but the language switch, no data of the household
    assert set(re.findall(r'<a [^>]*href="([^"]+)"', html)) == {"?lang=zh", "?lang=en"}
    assert set(re.findall(r'<form [^>]*action="([^"]+)"', html)) == set()      # posts to itself only
    assert "张伟" not in html and "Michael" not in html and "/admin/" not in html.replace("/admin/static/", "")
    done = resident.post(f"/s/{token}", data=GOOD)
    assert done.status_code == 302 and done.headers["Location"].endswith("/s/thanks")
    assert "感谢" in resident.get("/s/thanks", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    response.reload()
    assert response.state == RETURNED and response.channel == "link"
    again = resident.post(f"/s/{token}", data=GOOD, headers={"Accept-Language": "en"})
    assert again.status_code == 410 and "already been answered" in again.get_data(as_text=True)
    assert resident.get("/s/not-a-token").status_code == 404


def test_bad_answers_on_the_link_page_in_both_languages_save_nothing(client_as, app, opened):
    response = Response.objects(campaign=opened).first()
    _page, (token,) = _hand_out(client_as("clerk"), opened, response)
    resident = app.test_client()
    page = resident.post(f"/s/{token}", data=dict(GOOD, q1="9"), headers={"Accept-Language": "en"})
    assert page.status_code == 422 and "Question 1: choose a rating from 1 to 5." in page.get_data(as_text=True)
    resident.get(f"/s/{token}?lang=zh")        # the page's own language switch
    page = resident.post(f"/s/{token}", data={"q1": "3"})
    assert page.status_code == 422 and "第2题" in page.get_data(as_text=True)
    response.reload()
    assert response.state == HANDED_OUT and not response.answers


def test_an_expired_link_is_refused(client_as, app, opened):
    response = Response.objects(campaign=opened).first()
    _page, (token,) = _hand_out(client_as("clerk"), opened, response)
    clock.freeze(datetime(2027, 1, 1))
    page = app.test_client().get(f"/s/{token}", headers={"Accept-Language": "en"})
    assert page.status_code == 410 and "expired" in page.get_data(as_text=True)


def test_the_link_page_is_csrf_protected_and_rate_limited(app, world):
    with english_request(app):
        campaign = open_campaign(world)
        token = Response.objects(campaign=campaign).first().hand_out(world["staff"]["clerk"])
    app.config.update(WTF_CSRF_ENABLED=True, SURVEY_RATE_LIMIT="6 per minute")
    resident = app.test_client()
    assert resident.post(f"/s/{token}", data=GOOD).status_code == 400
    assert Response.objects(campaign=campaign).first().state == HANDED_OUT
    page = resident.get(f"/s/{token}")
    assert resident.post(f"/s/{token}", data=dict(GOOD, csrf_token=csrf_token_of(page.data))).status_code == 302
    statuses = [resident.get(f"/s/{token}").status_code for _n in range(8)]
    assert statuses[-1] == 429


def test_only_the_survey_routes_are_open_without_login(app):
    open_rules = {r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith("survey_public.")}
    assert open_rules == {"/s/<token>", "/s/thanks"}
    # every other survey page asks for a login
    client = app.test_client()
    for url in ("/admin/campaigns/", "/admin/survey_templates/", "/admin/survey_entry/", "/admin/survey_responses/"):
        assert "/auth/login" in client.get(url).headers["Location"]


def test_a_survey_of_a_questionnaire_without_questions_is_not_opened_in_either_language(app, client_as, world):
    empty = SurveyTemplate(community=world["A"], title_zh="空问卷")
    empty.save_versioned(None)
    draft = Campaign(community=world["A"], template=empty, title_zh="空调查").save()
    client = client_as("manager")
    page = client.post(f"/admin/campaigns/step/open/?id={draft.pk}")
    assert "This questionnaire has no questions: add at least one before it is used." in page.get_data(as_text=True)
    client.post("/auth/language", data={"language": "zh_Hans_CN"})
    page = client.get(f"/admin/campaigns/step/open/?id={draft.pk}")
    assert "此问卷没有题目" in page.get_data(as_text=True)
    assert Campaign.objects(pk=draft.pk).get().state == "draft" and Response.objects(campaign=draft).count() == 0


def test_closing_says_what_it_will_do_before_it_is_confirmed(client_as, world, opened):
    client = client_as("manager")
    first = Response.objects(campaign=opened).first()
    _hand_out(client_as("clerk"), opened, first)
    asked = Response.objects(campaign=opened).count()
    page = client.get(f"/admin/campaigns/step/close/?id={opened.pk}", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert 'id="close-effects"' in html
    assert "1 questionnaires handed out and not back are recorded as not returned" in html
    assert f"{asked - 1} questionnaires never handed out are set aside." in html
    opened.reload()
    assert opened.state == "open"                      # only said, not done
    # and an open survey's form is refused by the survey itself
    with pytest.raises(DomainError, match="draft"):
        opened.check_editable()
