"""Satisfaction surveys: usable questionnaires only, who is asked (sample drawn reproducibly), answers
checked as a whole (nothing saved on bad input), the one-time link (used twice, expired, unknown), the
24 h clock for questionnaires handed out at its boundary, results and the monthly satisfaction trend."""
from datetime import datetime, timedelta

import pytest

from app import clock
from documents.agenda import BREACHED, MET, RUNNING, Clock, sweep
from documents.audit import AuditEntry
from documents.base import DomainError, PermissionDenied
from documents.residents import Household
from documents.surveys import (CANCELLED, HANDED_OUT, LINK_VALID_DAYS, PENDING, RATING, RETURN_HOURS, RETURNED,
                               Campaign, LinkRefused, Question, Response, SurveyAnswerErrors, SurveyTemplate,
                               answer_by_link, find_by_code, hash_token, response_for_token, results,
                               satisfaction_by_month)
from tests.support import english_request
from tests.surveys_support import GOOD, open_campaign, template

NOW = datetime(2026, 12, 7, 2, 0)      # 10:00 in Shanghai


@pytest.fixture
def sv(app, world):
    clock.freeze(NOW)
    with english_request(app):
        yield world


def test_a_questionnaire_without_questions_cannot_be_used(sv):
    manager = sv["staff"]["manager"]
    empty = SurveyTemplate(community=sv["A"], title_zh="空问卷")
    empty.save_versioned(None)
    campaign = Campaign.create(manager, sv["A"], empty, title_zh="调查")
    with pytest.raises(DomainError, match="no questions"):
        campaign.open(manager)
    campaign.reload()
    assert campaign.state == "draft" and Response.objects.count() == 0


@pytest.mark.parametrize("question, message", [
    (Question(kind=RATING, text_zh="满意度", scale_min=5, scale_max=5), "rating scale"),
    (Question(kind=RATING, text_zh="满意度", scale_min=1, scale_max=11), "rating scale"),
    (Question(kind="single", text_zh="选择"), "at least two options"),
    (Question(kind="text"), "Write the question"),
])
def test_an_incomplete_question_is_refused_and_nothing_saved(sv, question, message):
    record = template(sv)
    with pytest.raises(DomainError, match=message):
        record.set_questions(sv["staff"]["manager"], [question])
    record.reload()
    assert len(record.questions) == 4


def test_only_writers_of_questionnaires_edit_them(sv):
    record = template(sv)
    with pytest.raises(PermissionDenied):
        record.set_questions(sv["staff"]["clerk"], [])
    with pytest.raises(PermissionDenied):
        record.set_questions(sv["staff"]["manager_b"], [])


def test_opening_copies_the_questions_and_makes_one_coded_questionnaire_per_household(sv):
    campaign = open_campaign(sv)
    assert campaign.state == "open" and campaign.households_asked == 2
    responses = list(Response.objects(campaign=campaign))
    assert sorted(r.household.name for r in responses) == ["Michael Brown", "张伟"]
    assert [r.code for r in responses] == [f"{campaign.number}-0001", f"{campaign.number}-0002"]
    assert all(r.state == PENDING for r in responses)
    # a later edit of the template does not change what the survey asks
    campaign.template.set_questions(sv["staff"]["manager"], campaign.template.questions[:1])
    campaign.reload()
    assert len(campaign.questions) == 4
    assert AuditEntry.objects(collection="survey_campaigns", action="open").count() == 1


def test_a_sample_is_drawn_reproducibly_and_buildings_limit_who_is_asked(sv):
    rooms = sv["rooms"]["A"]
    for code in ("1-1-102", "1-1-202", "1-1-301", "1-1-302"):
        Household(community=sv["A"], room=rooms[code], name=f"户{code}").save_versioned(None)
    manager = sv["staff"]["manager"]
    questionnaire = template(sv)
    first = Campaign.create(manager, sv["A"], questionnaire, title_zh="抽样", scope="sample", sample_size=3,
                            sample_seed=42)
    second = Campaign.create(manager, sv["A"], questionnaire, title_zh="抽样", scope="sample", sample_size=3,
                             sample_seed=42)
    drawn = [h.pk for h in first.households()]
    assert len(drawn) == 3 and drawn == [h.pk for h in second.households()]
    with pytest.raises(DomainError, match="buildings"):
        Campaign.create(manager, sv["A"], questionnaire, title_zh="楼栋", scope="buildings")
    none = Campaign.create(manager, sv["A"], questionnaire, title_zh="楼栋", scope="buildings", building_nos=["9"])
    with pytest.raises(DomainError, match="No current household"):
        none.open(manager)


def test_a_questionnaire_of_another_community_cannot_be_asked(sv):
    other = template(sv, user=sv["staff"]["manager_b"], community="B")
    with pytest.raises(DomainError, match="community"):
        Campaign.create(sv["staff"]["manager"], sv["A"], other, title_zh="x")


def test_handed_out_the_questionnaire_is_back_within_24_hours_on_the_agenda(sv):
    campaign = open_campaign(sv)
    response = Response.objects(campaign=campaign).first()
    response.hand_out(sv["staff"]["clerk"])
    assert response.state == HANDED_OUT and response.return_due_at == NOW + timedelta(hours=RETURN_HOURS)
    (running,) = Clock.objects(record_id=response.pk, kind="survey_return")
    assert running.state == RUNNING and running.due_at == NOW + timedelta(hours=24)
    # entered at the 24th hour exactly: on time
    clock.freeze(NOW + timedelta(hours=24))
    sweep()
    response.reload()
    response.enter_answers(sv["staff"]["clerk"], GOOD)
    assert Clock.objects(record_id=response.pk).first().state == MET


def test_a_questionnaire_not_back_a_second_after_24_hours_is_breached(sv):
    campaign = open_campaign(sv)
    response = Response.objects(campaign=campaign).first()
    response.hand_out(sv["staff"]["clerk"])
    clock.freeze(NOW + timedelta(hours=24, seconds=1))
    sweep()
    assert Clock.objects(record_id=response.pk).first().state == BREACHED


def test_closing_cancels_the_clocks_of_questionnaires_not_back(sv):
    campaign = open_campaign(sv)
    first, second = Response.objects(campaign=campaign)
    first.hand_out(sv["staff"]["clerk"])
    campaign.close(sv["staff"]["manager"])
    assert {r.state for r in Response.objects(campaign=campaign)} == {CANCELLED}
    assert Clock.objects(record_id=first.pk).first().state == "cancelled"


def test_bad_answers_are_refused_all_at_once_and_nothing_saved(sv):
    campaign = open_campaign(sv)
    response = Response.objects(campaign=campaign).first()
    with pytest.raises(SurveyAnswerErrors) as refused:
        response.enter_answers(sv["staff"]["clerk"], {"q1": ["6"], "q2": ["9"], "q3": ["1", "1"], "q4": []})
    assert refused.value.errors == {"q1": "Question 1: choose a rating from 1 to 5.",
                                    "q2": "Question 2: choose among the options given.",
                                    "q3": "Question 3: choose among the options given."}
    with pytest.raises(SurveyAnswerErrors) as missing:
        response.enter_answers(sv["staff"]["clerk"], {"q3": ["2"]})
    assert set(missing.value.errors) == {"q1", "q2"}
    with pytest.raises(SurveyAnswerErrors):
        response.enter_answers(sv["staff"]["clerk"], dict(GOOD, q1=["0"]))
    with pytest.raises(SurveyAnswerErrors):
        response.enter_answers(sv["staff"]["clerk"], dict(GOOD, q2=["1", "2"]))
    response.reload()
    assert response.state == PENDING and not response.answers


def test_paper_answers_entered_by_code_once(sv):
    campaign = open_campaign(sv)
    code = Response.objects(campaign=campaign).first().code
    response = find_by_code(sv["staff"]["clerk"], code.lower())
    response.enter_answers(sv["staff"]["clerk"], GOOD)
    response.reload()
    assert response.state == RETURNED and response.channel == "paper" and response.entered_by == "clerk A"
    assert {a.key: a.value for a in response.answers} == {"q1": 4, "q2": "1", "q3": ["1", "3"], "q4": "电梯经常坏"}
    assert response.score == 75.0
    with pytest.raises(DomainError, match="Answers are entered once"):
        response.enter_answers(sv["staff"]["clerk"], GOOD)
    # another community's staff do not find it
    with pytest.raises(DomainError, match="No questionnaire"):
        find_by_code(sv["staff"]["clerk_b"], code)


def test_the_link_takes_answers_once(sv):
    campaign = open_campaign(sv)
    response = Response.objects(campaign=campaign).first()
    token = response.hand_out(sv["staff"]["clerk"])
    assert len(token) >= 40 and response.token_hash == hash_token(token) and token not in str(response.to_mongo())
    answer_by_link(token, GOOD)
    response.reload()
    assert response.state == RETURNED and response.channel == "link" and response.entered_by is None
    with pytest.raises(LinkRefused, match="already been answered"):
        answer_by_link(token, GOOD)
    assert AuditEntry.objects(collection="survey_responses", action="answer_by_link").count() == 1


def test_bad_answers_through_the_link_save_nothing_and_the_link_still_works(sv):
    campaign = open_campaign(sv)
    response = Response.objects(campaign=campaign).first()
    token = response.hand_out(sv["staff"]["clerk"])
    with pytest.raises(SurveyAnswerErrors):
        answer_by_link(token, dict(GOOD, q1=["99"]))
    response.reload()
    assert response.state == HANDED_OUT and not response.answers
    answer_by_link(token, GOOD)


def test_a_link_expires_and_handing_out_again_kills_the_old_link(sv):
    campaign = open_campaign(sv)
    response = Response.objects(campaign=campaign).first()
    old = response.hand_out(sv["staff"]["clerk"])
    new = response.hand_out(sv["staff"]["clerk"])
    with pytest.raises(LinkRefused, match="not valid"):
        answer_by_link(old, GOOD)
    with pytest.raises(LinkRefused, match="not valid"):
        response_for_token("x" * 43)
    clock.freeze(NOW + timedelta(days=LINK_VALID_DAYS))
    with pytest.raises(LinkRefused, match="expired"):
        answer_by_link(new, GOOD)
    clock.freeze(NOW + timedelta(days=LINK_VALID_DAYS) - timedelta(seconds=1))
    answer_by_link(new, GOOD)


def test_a_closed_survey_takes_no_answers(sv):
    campaign = open_campaign(sv)
    response = Response.objects(campaign=campaign).first()
    token = response.hand_out(sv["staff"]["clerk"])
    campaign.close(sv["staff"]["manager"])
    with pytest.raises(LinkRefused, match="closed"):
        answer_by_link(token, GOOD)


def test_results_per_question_and_building_and_the_monthly_trend(sv):
    campaign = open_campaign(sv)
    first, second = Response.objects(campaign=campaign)
    first.enter_answers(sv["staff"]["clerk"], GOOD)
    clock.freeze(datetime(2027, 1, 5, 2, 0))
    second.enter_answers(sv["staff"]["clerk"], {"q1": ["5"], "q2": ["2"], "q4": ["很好"]})
    found = results(campaign, "en")
    assert (found.asked, found.returned, found.rate) == (2, 2, 100.0)
    rating, single, multiple, text = found.questions
    assert rating.counts == [("1", 0), ("2", 0), ("3", 0), ("4", 1), ("5", 1)] and rating.average == 4.5
    assert single.counts == [("Good", 1), ("Poor", 1)]
    assert multiple.counts == [("Cleaning", 1), ("Gardens", 0), ("Security", 1)] and multiple.answered == 1
    assert sorted(c[1] for c in text.comments) == ["很好", "电梯经常坏"]
    assert [(b.building_no, b.asked, b.returned, b.averages["q1"]) for b in found.buildings] == [("1", 2, 2, 4.5)]
    trend = satisfaction_by_month([sv["A"].pk, sv["B"].pk], datetime(2026, 12, 1), datetime(2027, 2, 1))
    assert trend == [{"month": "2026-12", "average": 75.0, "count": 1},
                     {"month": "2027-01", "average": 100.0, "count": 1}]
    assert satisfaction_by_month([sv["B"].pk], datetime(2026, 12, 1), datetime(2027, 2, 1)) == []
    # the KPI page's satisfaction trend reads the surveys beside the return visits
    from documents.reports import kpi
    from documents.reports.period import Period
    scores = kpi.satisfaction(Period.parse_month("2027-01"), [sv["A"]])
    assert scores["surveys"] == {"2027-01": {"month": "2027-01", "average": 100.0, "count": 1}}


def test_a_housekeeper_hands_out_only_in_the_buildings_they_look_after(sv):
    campaign = open_campaign(sv)
    response = Response.objects(campaign=campaign).first()
    keeper = sv["staff"]["housekeeper"]
    response.hand_out(keeper)                        # building 1 is theirs (the test world)
    keeper.buildings = ["2"]
    with pytest.raises(PermissionDenied, match="Building 1 is not one of the buildings you look after"):
        response.hand_out(keeper)
    with pytest.raises(PermissionDenied):
        response.enter_answers(keeper, GOOD)


def test_an_opening_tried_again_makes_each_questionnaire_once(sv):
    manager = sv["staff"]["manager"]
    campaign = Campaign.create(manager, sv["A"], template(sv), title_zh="重试")
    campaign._make_questionnaires(campaign.households(), NOW)     # a first try that died before the transition
    campaign.open(manager)
    assert Response.objects(campaign=campaign).count() == 2
    assert sorted(r.code for r in Response.objects(campaign=campaign)) == [f"{campaign.number}-0001",
                                                                           f"{campaign.number}-0002"]
