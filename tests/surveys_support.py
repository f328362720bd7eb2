"""A questionnaire and a survey for the tests of documents/surveys.py and its pages."""
from documents.surveys import (MULTIPLE, RATING, SINGLE, TEXT, Campaign, Option, Question, SurveyTemplate)


def questions():
    return [
        Question(kind=RATING, text_zh="您对物业服务的总体满意度", text_en="Overall satisfaction", required=True,
                 scale_min=1, scale_max=5, satisfaction=True),
        Question(kind=SINGLE, text_zh="前台服务态度", text_en="Front desk manner", required=True,
                 options=[Option(value="1", text_zh="好", text_en="Good"), Option(value="2", text_zh="差", text_en="Poor")]),
        Question(kind=MULTIPLE, text_zh="需要改进的方面", text_en="What should improve",
                 options=[Option(value="1", text_zh="保洁", text_en="Cleaning"),
                          Option(value="2", text_zh="绿化", text_en="Gardens"),
                          Option(value="3", text_zh="安保", text_en="Security")]),
        Question(kind=TEXT, text_zh="其他意见", text_en="Other comments"),
    ]


def template(world, user=None, community="A"):
    user = user or world["staff"]["manager"]
    record = SurveyTemplate(community=world[community], title_zh="年度满意度调查", title_en="Yearly satisfaction")
    record.save_versioned(None)
    return record.set_questions(user, questions())


def open_campaign(world, **kwargs):
    manager = world["staff"]["manager"]
    campaign = Campaign.create(manager, world["A"], template(world), title_zh="2026年度满意度调查",
                               title_en="2026 survey", **kwargs)
    return campaign.open(manager)


GOOD = {"q1": ["4"], "q2": ["1"], "q3": ["1", "3"], "q4": ["电梯经常坏"]}
