"""Demo satisfaction surveys: a questionnaire (ratings, choices, comments) and two surveys per community —
last quarter's, closed with its answers, and this year's, open: some questionnaires back on paper, one
answered through its link, some still out (their 24 h passed: on the agenda), the rest not handed out.

Each step goes through the real rules with the clock set back to when it happened. A community that
already has a questionnaire is left alone (a second `flask seed` creates nothing).
"""
import random
from datetime import timedelta

from app import clock
from documents.surveys import (MULTIPLE, RATING, SINGLE, TEXT, Campaign, Option, Question, Response, SurveyTemplate,
                               answer_by_link)
from seed.frame import seed_each, staff as _staff

COMMENTS = ["电梯经常出故障，希望尽快维修", "保安巡逻很认真，感谢", "希望增加儿童游乐设施", "垃圾清运及时，环境干净",
            "地下车库照明不足", "Please fix the gym door.", "前台服务热情"]


def questions():
    def options(*pairs):
        return [Option(value=str(n), text_zh=zh, text_en=en) for n, (zh, en) in enumerate(pairs, start=1)]
    return [
        Question(kind=RATING, text_zh="您对物业服务的总体满意度", text_en="Overall, how satisfied are you with our service?",
                 required=True, scale_min=1, scale_max=5, satisfaction=True),
        Question(kind=RATING, text_zh="您对小区保洁的满意度", text_en="Cleaning of the community", required=True,
                 scale_min=1, scale_max=5, satisfaction=True),
        Question(kind=RATING, text_zh="您对小区安保的满意度", text_en="Security of the community", required=True,
                 scale_min=1, scale_max=5, satisfaction=True),
        Question(kind=SINGLE, text_zh="客服前台的服务态度", text_en="Manner of the front desk", required=True,
                 options=options(("热情周到", "Friendly and attentive"), ("一般", "Average"), ("较差", "Poor"))),
        Question(kind=MULTIPLE, text_zh="您认为最需要改进的方面", text_en="What should improve most",
                 options=options(("保洁", "Cleaning"), ("绿化", "Gardens"), ("安保", "Security"),
                                 ("维修", "Repairs"), ("停车", "Parking"))),
        Question(kind=TEXT, text_zh="您的其他意见和建议", text_en="Other comments and suggestions"),
    ]


def seed_surveys(communities) -> int:
    """Seed every community without a questionnaire; returns how many questionnaires came back."""
    return seed_each(communities, SurveyTemplate, _seed_community)


def _answers(rng) -> dict:
    ratings = rng.choices(["5", "4", "3", "2"], weights=[4, 4, 2, 1], k=3)
    raw = {"q1": [ratings[0]], "q2": [ratings[1]], "q3": [ratings[2]], "q4": [rng.choice(["1", "1", "2", "3"])],
           "q5": sorted(rng.sample(["1", "2", "3", "4", "5"], rng.randint(0, 2)))}
    if rng.random() < 0.5:
        raw["q6"] = [rng.choice(COMMENTS)]
    return raw


def _seed_community(community) -> int:
    manager = _staff(community, "manager") or _staff(community, "supervisor")
    clerk = _staff(community, "clerk")
    if manager is None or clerk is None:
        return 0
    now = clock.now()
    rng = random.Random(community.code)
    clock.freeze(now - timedelta(days=60))
    template = SurveyTemplate(community=community, title_zh="业户满意度调查问卷", title_en="Residents' satisfaction survey",
                              intro_zh="尊敬的业户：为不断提高服务质量，请您抽出几分钟填写本问卷。感谢您的支持！",
                              intro_en="Dear resident, please take a few minutes to help us improve our service. Thank you!",
                              created_by=manager.display_name, created_at=clock.now())
    template.save_versioned(None)
    template.set_questions(manager, questions())
    returned = 0

    # last quarter's survey: opened, answered on paper over two days, closed
    clock.freeze(now - timedelta(days=45))
    past = Campaign.create(manager, community, template, title_zh="第三季度业户满意度调查",
                           title_en="Third-quarter satisfaction survey", scope="sample", sample_size=20,
                           sample_seed=2026).open(manager)
    for n, response in enumerate(Response.objects(campaign=past)):
        clock.freeze(now - timedelta(days=44, hours=-n))
        response.hand_out(clerk)
        if n % 4 != 3:
            clock.freeze(now - timedelta(days=44, hours=-n - 20))
            response.enter_answers(clerk, _answers(rng))
            returned += 1
    clock.freeze(now - timedelta(days=30))
    past.close(manager)

    # this year's: open; paper answers, one through its link, some still out, the rest not handed out
    clock.freeze(now - timedelta(days=3))
    current = Campaign.create(manager, community, template, title_zh="年度业户满意度调查",
                              title_en="Yearly satisfaction survey", scope="sample", sample_size=20,
                              sample_seed=2027).open(manager)
    for n, response in enumerate(list(Response.objects(campaign=current))[:10]):
        clock.freeze(now - timedelta(days=2, hours=-n))
        token = response.hand_out(clerk)
        clock.freeze(now - timedelta(days=2, hours=-n - 6))
        if n < 6:
            response.enter_answers(clerk, _answers(rng))
            returned += 1
        elif n == 6:
            answer_by_link(token, _answers(rng))
            returned += 1
    return returned
