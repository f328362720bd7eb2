"""Demo community culture: venues, the year's plan, events in every state, sign-ups, records, notices.

Deterministic and idempotent: records are found by their Chinese title (or name) and created only
when missing. Dates are relative to the day the seed runs (the community's local today): what has
happened (held and recorded events, sign-ups, decisions, publications) lies in the past, what is
planned lies ahead. Festivals fall on their day of the year, at their last passing. Past events are
stored as history (held, recorded); the rules themselves are exercised by the tests, not here.
"""
import io
import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from flask import current_app

from app import clock
from documents.bilingual import to_local, to_utc
from documents.events import AnnualPlan, Event, EventFeedback, SignUp, Venue, VenueBooking
from documents.notices import Notice
from documents.places import Building
from documents.residents import Household
from documents.staff import Staff

VENUES = [("多功能活动室", "Activity room", "3栋首层", 80), ("中心广场", "Central square", "小区中心", 500),
          ("会所多功能厅", "Clubhouse hall", "会所二层", 120)]

# When an event takes place: ("festival", month, day) - that day of the year at its last passing, at
# least a few days ago; ("days", n) - n days from today (negative: in the past).
# (title zh, title en, type, when, (hour, minute), hours, venue index or None, capacity, budget, state, extra)
EVENTS_A = [
    ("新春写春联送福字", "Spring couplets for the New Year", "festival", ("festival", 2, 10), (9, 0), 3, 0, 60,
     "600.00", "recorded", {}),
    ("元宵节猜灯谜", "Lantern riddles", "festival", ("festival", 3, 3), (19, 0), 2, 1, 200, "1500.00", "recorded", {}),
    ("端午包粽子", "Making zongzi for the Dragon Boat Festival", "culture", ("festival", 6, 19), (9, 0), 3, 2, 50,
     "800.00", "recorded", {}),
    ("国庆亲子运动会", "National Day family sports", "sports", ("festival", 10, 1), (8, 0), 4, 1, 150, "2000.00",
     "cancelled", {"cancel_reason": "台风“桦加沙”预警，活动取消"}),
    ("中秋游园会", "Mid-Autumn fair", "festival", ("festival", 9, 25), (19, 0), 3, 1, 300, "3000.00", "recorded", {}),
    ("消防安全讲座", "Fire safety talk", "talk", ("days", -12), (15, 0), 2, 0, 40, "200.00", "held", {}),
    ("社区义剪志愿服务", "Free haircuts by volunteers", "volunteer", ("days", 0), (9, 0), 3, 0, 8, "0.00",
     "published", {}),
    ("亲子手工课", "Family crafts workshop", "culture", ("days", 24), (9, 30), 2, 2, 40, "900.00", "published", {}),
    ("少儿书法班结业展", "Children's calligraphy exhibition", "culture", ("days", 15), (10, 0), 2, 0, 60, "500.00",
     "approved", {}),
    ("社区广场舞比赛", "Square dance contest", "sports", ("days", 30), (19, 0), 2, 1, 200, "1800.00",
     "submitted", {}),
    ("社区音乐会", "", "culture", ("days", 34), (20, 0), 2, 2, 100, "2500.00", "draft", {}),
    ("宠物文明养犬讲座", "Responsible dog ownership talk", "talk", ("days", 9), (10, 0), 2, 0, 30, "300.00", "rejected",
     {"rejection_reason": "与街道讲座重复，请改为线上宣传"}),
]
EVENTS_B = [
    ("中秋赏月晚会", "Mid-Autumn moon party", "festival", ("festival", 9, 25), (19, 0), 3, 0, 100, "1200.00",
     "recorded", {}),
    ("健步走", "Community walk", "sports", ("days", 16), (8, 0), 2, 1, 80, "400.00", "published", {}),
]
SUMMARIES = {
    "新春写春联送福字": "共写春联120副、福字300张，书法协会6位老师到场，业主反响热烈。",
    "元宵节猜灯谜": "到场约180人，灯谜300条，发放汤圆礼品150份。",
    "端午包粽子": "到场46户，共包粽子约600个，送独居老人30份。",
    "中秋游园会": "到场约260人，设猜灯谜、投壶、做月饼等8个摊位；建议明年增加照明。",
}
# Bookings without an event: (venue index, days from today, (hour, minute), hours, purpose, booked for).
# Their hours do not overlap the events' at the same venue; one is over already (it cannot be cancelled).
BOOKINGS_A = [
    (0, -2, (13, 0), 2, "老年书法班", "老年协会"), (0, 5, (13, 0), 2, "老年书法班（第二期）", "老年协会"),
    (1, 2, (7, 0), 1, "太极拳晨练", "太极拳队"),
]
#: the owners' meeting (booked in the clubhouse hall, announced by a notice)
MEETING = (2, (14, 30), 3, "业主委员会")
FEEDBACK = [(5, "活动很热闹，孩子很喜欢"), (4, "组织得不错，排队有点久"), (5, "希望每年都办"),
            (3, "场地有点挤"), (4, "志愿者很热情")]


def local_today(community) -> date:
    return to_local(clock.now(), community).date()


def festival_day(today: date, month: int, day: int, at_least_days_ago: int = 3) -> date:
    """The last passing of month-day, at least `at_least_days_ago` days before today."""
    latest = today - timedelta(days=at_least_days_ago)
    candidate = date(latest.year, month, day)
    return candidate if candidate <= latest else date(latest.year - 1, month, day)


def event_day(today: date, when) -> date:
    kind, *values = when
    if kind == "festival":
        return festival_day(today, *values)
    return today + timedelta(days=values[0])


def next_saturday(day: date) -> date:
    """The first Saturday after `day`."""
    return day + timedelta(days=(5 - day.weekday()) % 7 or 7)


def owners_meeting_day(today: date) -> date:
    return next_saturday(today + timedelta(days=19))


def seed_events(communities) -> int:
    """Create what is missing; returns the number of events created."""
    with current_app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        created = 0
        for community, events in zip(communities, (EVENTS_A, EVENTS_B)):
            culture = Staff.objects(roles="culture", communities=community).first() or \
                Staff.objects(roles="manager", communities=community).first()
            clerk = Staff.objects(roles="clerk", communities=community).first() or culture
            supervisor = Staff.objects(roles="supervisor", communities=community).first() or culture
            venues = _venues(community)
            people = {"culture": culture, "clerk": clerk, "supervisor": supervisor}
            for spec in events:
                event, new = _event(community, venues, spec, people)
                created += new
                if new:
                    _signups(community, event, clerk)
                    _records(event, culture)
            if events is EVENTS_A:
                _bookings(community, venues, clerk)
            _notices(community, clerk, supervisor)
        return created


def _venues(community):
    out = []
    for name_zh, name_en, location, capacity in VENUES:
        venue = Venue.objects(community=community, name_zh=name_zh).first()
        if venue is None:
            venue = Venue(community=community, name_zh=name_zh, name_en=name_en, location=location,
                          capacity=capacity)
            venue.save_versioned(None)
        out.append(venue)
    return out


def _plan(community, year, people):
    """The community's plan of `year`, approved at the start of that year (or a few days ago)."""
    plan = AnnualPlan.objects(community=community, year=year).first()
    if plan is None:
        decided = min(to_utc(datetime(year, 1, 8, 10, 0), community), clock.now() - timedelta(days=2))
        plan = AnnualPlan(community=community, year=year, title_zh=f"{year}年度社区文化活动计划",
                          title_en=f"Community events plan {year}", budget=Decimal("20000.00"),
                          goals_zh="以传统节日为主线，全年开展文体、志愿、讲座活动不少于12场，业主参与率达到30%。",
                          goals_en="Around the traditional festivals, at least 12 events of culture, sports, "
                                   "volunteering and talks; 30 % of households taking part.",
                          state="approved", decided_by=people["supervisor"], decided_at=decided,
                          created_by=people["culture"])
        plan.save_versioned(None)
    return plan


def _bookings(community, venues, clerk):
    today = local_today(community)
    venue_index, at, hours, booked_for = MEETING
    meeting = (venue_index, (owners_meeting_day(today) - today).days, at, hours, f"{today.year}年度业主大会",
               booked_for)
    for venue_index, days, (hour, minute), hours, purpose, booked_for in BOOKINGS_A + [meeting]:
        venue = venues[venue_index]
        if VenueBooking.objects(venue=venue, purpose=purpose).first() is not None:
            continue
        start = to_utc(datetime.combine(today + timedelta(days=days), time(hour, minute)), community)
        VenueBooking(community=community, venue=venue, start=start, end=start + timedelta(hours=hours),
                     purpose=purpose, booked_for=booked_for, state="booked", created_by=clerk,
                     created_at=min(start, clock.now()) - timedelta(days=15)).save_versioned(None)


def _event(community, venues, spec, people):
    title_zh, title_en, kind, when, (hour, minute), hours, venue_index, capacity, budget, state, extra = spec
    event = Event.objects(community=community, title_zh=title_zh).first()
    if event is not None:
        return event, 0
    day = event_day(local_today(community), when)
    start = to_utc(datetime.combine(day, time(hour, minute)), community)
    end = start + timedelta(hours=hours)
    venue = venues[venue_index] if venue_index is not None and venue_index < len(venues) else None
    event = Event(community=community, plan=_plan(community, day.year, people), title_zh=title_zh,
                  title_en=title_en, event_type=kind, start=start, end=end, venue=venue,
                  capacity=min(capacity, venue.capacity) if venue else capacity, budget=Decimal(budget),
                  organiser="客服中心", state=state, created_by=people["culture"], **extra)
    _set_decisions(event, people["supervisor"])
    event.save_versioned(None)
    if state in ("published", "held", "recorded") and venue is not None:
        _book_for(event, people["culture"])
    _set_history(event)
    event.reload()
    return event, 1


def _set_decisions(event, supervisor):
    """Submitted, decided and published some days before the event, and never after today."""
    published = min(event.start - timedelta(days=20), clock.now() - timedelta(days=5))
    if event.state not in ("draft",):
        event.submitted_at = published - timedelta(days=10)
    if event.state not in ("draft", "submitted", "rejected"):
        event.decided_by, event.decided_at = supervisor, published - timedelta(days=5)
    if event.state in ("published", "held", "recorded"):
        event.published_at = published


def _book_for(event, culture):
    """The venue booked when the event was published; it shows the event's title in the reader's language."""
    booking = VenueBooking(community=event.community, venue=event.venue, start=event.start, end=event.end,
                           booked_for="客服中心", event=event, state="booked", created_by=culture,
                           created_at=event.published_at)
    booking.save_versioned(None)
    Event.objects(pk=event.pk).update_one(set__booking=booking)


def _set_history(event):
    """What happened once the event was over (or before, when it was called off)."""
    if event.state in ("held", "recorded"):
        Event.objects(pk=event.pk).update_one(set__held_at=event.end)
    if event.state == "recorded":
        Event.objects(pk=event.pk).update_one(set__summary=SUMMARIES.get(event.title_zh, "活动顺利举办。"),
                                              set__recorded_at=event.end + timedelta(days=1))
    if event.state == "cancelled":
        Event.objects(pk=event.pk).update_one(set__cancelled_at=event.start - timedelta(days=2))


def _signups(community, event, clerk):
    """Sign-ups as they would stand: confirmed up to capacity, the rest on the waiting list; all signed
    up after the event was published and before today (and before the event)."""
    if event.state not in ("published", "held", "recorded", "cancelled"):
        return
    rng = random.Random(f"signups-{community.code}-{event.title_zh}")
    households = list(Household.objects(community=community, status="current").order_by("sort_key")
                      .only("id", "owners", "members", "tenants", "name", "room_code"))
    wanted = min(len(households), event.capacity // 2 + 4 if event.capacity <= 10 else event.capacity // 4)
    chosen = rng.sample(households, wanted)
    opened = min(event.start - timedelta(days=12), clock.now() - timedelta(days=4))
    taken, position, state = 0, 0, "confirmed"
    for household in chosen:
        people = rng.choice([1, 1, 2, 2, 3])
        position += 1
        waiting_started = position > 1 and state == "waiting"
        state = "waiting" if waiting_started or taken + people > event.capacity else "confirmed"
        if state == "confirmed":
            taken += people
        phone = next((p.phone for p in household.people() if p.phone), "") or "13800000000"
        attended = event.state in ("held", "recorded") and state == "confirmed" and rng.random() < 0.85
        signed_up = opened + timedelta(minutes=position * 7)
        SignUp(community=community, event=event, household=household, people=people, contact_phone=phone,
               state=state, position=position, attended=attended,
               attended_at=event.start + timedelta(minutes=10) if attended else None,
               attended_by=clerk if attended else None,
               confirmed_at=signed_up if state == "confirmed" else None,
               created_by=clerk, created_at=signed_up).save()
    Event.objects(pk=event.pk).update_one(set__taken=taken, set__signup_seq=position)


def _records(event, culture):
    if event.state != "recorded":
        return
    rng = random.Random(f"feedback-{event.title_zh}")
    attendees = [s.household for s in SignUp.objects(event=event, attended=True).limit(5)]
    for index, (rating, comment) in enumerate(FEEDBACK[:rng.randint(3, 5)]):
        EventFeedback(community=event.community, event=event, rating=rating, comment=comment,
                      household=attendees[index] if index < len(attendees) else None,
                      recorded_by=culture, recorded_at=event.end + timedelta(days=1)).save()
    if event.title_zh in ("中秋游园会", "端午包粽子", "中秋赏月晚会") and not event.photos().first():
        for index, caption in enumerate(["活动现场", "亲子互动", "志愿者合影"]):
            event.add_photo(culture, demo_picture(f"{event.title_zh}-{index}"), caption=caption,
                            filename=f"photo{index + 1}.jpg")


def demo_picture(key: str) -> bytes:
    """A deterministic colourful JPEG standing in for a photo (lanterns on an evening sky)."""
    from PIL import Image, ImageDraw

    rng = random.Random(key)
    width, height = 960, 640
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    top, bottom = (rng.randint(10, 40), rng.randint(20, 60), rng.randint(80, 140)), (rng.randint(120, 200), 80, 60)
    for y in range(height):
        mix = y / height
        draw.line([(0, y), (width, y)], fill=tuple(int(a + (b - a) * mix) for a, b in zip(top, bottom)))
    draw.ellipse([width - 220, 60, width - 100, 180], fill=(250, 240, 200))
    for _ in range(9):
        x, y, r = rng.randint(40, width - 80), rng.randint(160, 420), rng.randint(28, 52)
        draw.line([(x, 0), (x, y - r)], fill=(60, 40, 30), width=2)
        draw.ellipse([x - r, y - r, x + r, y + int(r * 1.2)], fill=(rng.randint(200, 255), rng.randint(20, 70), 30))
        draw.rectangle([x - 8, y + int(r * 1.2), x + 8, y + int(r * 1.2) + 14], fill=(230, 190, 60))
    draw.rectangle([0, height - 90, width, height], fill=(40, 50, 40))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


WEEKDAYS_ZH = "一二三四五六日"


def zh_day(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日（星期{WEEKDAYS_ZH[day.weekday()]}）"


def en_day(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def notice_specs(today: date) -> list:
    """(type, title zh, title en, body zh, body en, state, publish date, buildings) - dates around today."""
    cleaning, meeting = next_saturday(today), owners_meeting_day(today)
    handover = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    year = today.year
    return [
        ("affairs", "关于二次供水水箱清洗的通知", "Water tank cleaning",
         f"各位业主、住户：\n为保障饮用水卫生，我服务中心定于{zh_day(cleaning)}9:00至15:00对小区二次供水水箱进行清洗消毒，"
         "届时将暂停供水。请提前做好储水准备，给您带来不便，敬请谅解。\n如有疑问，请致电客服中心。",
         f"Dear residents,\nthe secondary water supply tanks will be cleaned and disinfected on {en_day(cleaning)} "
         "from 9:00 to 15:00; the water will be off meanwhile. Please store some water in "
         "advance. We apologise for the inconvenience.\nPlease call the service centre with any question.",
         "published", cleaning - timedelta(days=8), None),
        ("meeting", f"关于召开{year}年度业主大会的通知", f"Annual owners' meeting {year}",
         f"各位业主：\n定于{zh_day(meeting)}14:30在会所多功能厅召开{year}年度业主大会，审议物业服务年度报告及公共收益使用方案。"
         "请业主携带身份证或房产证准时参加。",
         f"Dear owners,\nthe annual owners' meeting {year} takes place on {en_day(meeting)} at 14:30 "
         "in the clubhouse hall. On the agenda: the annual service report and the use of common income. "
         "Please bring your ID card or property certificate.",
         "published", today - timedelta(days=9), None),
        ("informative", "消防安全提示", "", "各位业主、住户：\n请勿在楼道堆放杂物，电动车严禁入户充电，离家请关闭电源和燃气。",
         "", "draft", None, None),
        ("appointment", "关于1、2栋管家调整的通知", "New housekeeper for buildings 1 and 2",
         f"1、2栋各位业主：\n自{handover.year}年{handover.month}月{handover.day}日起，由刘管家负责1、2栋的管家服务工作，"
         "联系电话见单元门口公告栏。",
         f"Dear owners of buildings 1 and 2,\nfrom {handover.day} {handover:%B %Y} Ms Liu is your housekeeper; "
         "her phone number is on the notice board at each entrance.",
         "published", today - timedelta(days=6), ["1", "2"]),
    ]


def _notices(community, clerk, supervisor):
    today = local_today(community)
    for number, spec in enumerate(notice_specs(today), start=1):
        notice_type, title_zh, title_en, body_zh, body_en, state, day, buildings = spec
        if Notice.objects(community=community, title_zh=title_zh).first() is not None:
            continue
        targets = list(Building.objects(community=community, number__in=buildings)) if buildings else []
        notice = Notice(community=community, notice_type=notice_type, title_zh=title_zh, title_en=title_en,
                        body_zh=body_zh, body_en=body_en, audience="buildings" if targets else "community",
                        buildings=targets, publish_date=day, author=clerk, state="draft",
                        reference=f"〔{today.year}〕{community.code}-{number:02d}")
        notice.save_versioned(None)
        if state == "published":
            published_at = to_utc(datetime.combine(day, time(9, 0)), community)
            Notice.objects(pk=notice.pk).update_one(set__state="published", set__published_by=supervisor,
                                                    set__published_at=min(published_at, clock.now()),
                                                    inc__version=1)
