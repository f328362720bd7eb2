"""Demo community culture: venues, the 2026 plan, events in every state, sign-ups, records, notices.

Deterministic and idempotent: records are found by their Chinese title (or name) and created only
when missing. Past events are stored as history (held, recorded); the rules themselves are
exercised by the tests, not here.
"""
import io
import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask import current_app

from documents.bilingual import to_utc
from documents.events import AnnualPlan, Event, EventFeedback, SignUp, Venue, VenueBooking
from documents.notices import Notice
from documents.places import Building
from documents.residents import Household
from documents.staff import Staff

VENUES = [("多功能活动室", "Activity room", "3栋首层", 80), ("中心广场", "Central square", "小区中心", 500),
          ("会所多功能厅", "Clubhouse hall", "会所二层", 120)]

# (title zh, title en, type, (month, day, hour), hours, venue index or None, capacity, budget, state, extra)
EVENTS_A = [
    ("新春写春联送福字", "Spring couplets for the New Year", "festival", (2, 10, 9), 3, 0, 60, "600.00", "recorded", {}),
    ("元宵节猜灯谜", "Lantern riddles", "festival", (3, 3, 19), 2, 1, 200, "1500.00", "recorded", {}),
    ("端午包粽子", "Making zongzi for the Dragon Boat Festival", "culture", (6, 19, 9), 3, 2, 50, "800.00",
     "recorded", {}),
    ("国庆亲子运动会", "National Day family sports", "sports", (10, 1, 8), 4, 1, 150, "2000.00", "cancelled",
     {"cancel_reason": "台风“桦加沙”预警，活动取消"}),
    ("中秋游园会", "Mid-Autumn fair", "festival", (10, 6, 19), 3, 1, 300, "3000.00", "recorded", {}),
    ("消防安全讲座", "Fire safety talk", "talk", (11, 15, 15), 2, 0, 40, "200.00", "held", {}),
    ("社区义剪志愿服务", "Free haircuts by volunteers", "volunteer", (11, 28, 9), 3, 0, 8, "0.00", "published", {}),
    ("冬至包饺子", "Dumplings for the Winter Solstice", "culture", (12, 21, 16), 3, 2, 40, "900.00", "published", {}),
    ("少儿书法班结业展", "Children's calligraphy exhibition", "culture", (12, 12, 10), 2, 0, 60, "500.00",
     "approved", {}),
    ("迎新年广场舞比赛", "New Year square dance contest", "sports", (12, 27, 19), 2, 1, 200, "1800.00",
     "submitted", {}),
    ("跨年音乐会", "", "culture", (12, 31, 20), 2, 2, 100, "2500.00", "draft", {}),
    ("宠物文明养犬讲座", "Responsible dog ownership talk", "talk", (12, 6, 10), 2, 0, 30, "300.00", "rejected",
     {"rejection_reason": "与街道讲座重复，请改为线上宣传"}),
]
EVENTS_B = [
    ("中秋赏月晚会", "Mid-Autumn moon party", "festival", (10, 6, 19), 3, 0, 100, "1200.00", "recorded", {}),
    ("冬季健步走", "Winter walk", "sports", (12, 13, 8), 2, 1, 80, "400.00", "published", {}),
]
SUMMARIES = {
    "新春写春联送福字": "共写春联120副、福字300张，书法协会6位老师到场，业主反响热烈。",
    "元宵节猜灯谜": "到场约180人，灯谜300条，发放汤圆礼品150份。",
    "端午包粽子": "到场46户，共包粽子约600个，送独居老人30份。",
    "中秋游园会": "到场约260人，设猜灯谜、投壶、做月饼等8个摊位；建议明年增加照明。",
}
# (venue index, (month, day, hour, minute), hours, purpose, booked for) - bookings without an event
BOOKINGS_A = [
    (0, (11, 25, 9, 0), 2, "老年书法班", "老年协会"), (0, (12, 2, 9, 0), 2, "老年书法班", "老年协会"),
    (1, (11, 29, 7, 0), 2, "太极拳晨练", "太极拳队"), (2, (12, 19, 14, 30), 3, "2026年度业主大会", "业主委员会"),
]
FEEDBACK = [(5, "活动很热闹，孩子很喜欢"), (4, "组织得不错，排队有点久"), (5, "希望每年都办"),
            (3, "场地有点挤"), (4, "志愿者很热情")]
NOTICES = [
    ("affairs", "关于二次供水水箱清洗的通知", "Water tank cleaning",
     "各位业主、住户：\n为保障饮用水卫生，我服务中心定于2026年11月28日（星期六）9:00至15:00对小区二次供水水箱进行清洗消毒，"
     "届时将暂停供水。请提前做好储水准备，给您带来不便，敬请谅解。\n如有疑问，请致电客服中心。",
     "Dear residents,\nthe secondary water supply tanks will be cleaned and disinfected on Saturday "
     "28 November 2026 from 9:00 to 15:00; the water will be off meanwhile. Please store some water in "
     "advance. We apologise for the inconvenience.\nPlease call the service centre with any question.",
     "published", date(2026, 11, 20), None),
    ("meeting", "关于召开2026年度业主大会的通知", "Annual owners' meeting 2026",
     "各位业主：\n定于2026年12月19日（星期六）14:30在会所多功能厅召开2026年度业主大会，审议物业服务年度报告及公共收益使用方案。"
     "请业主携带身份证或房产证准时参加。",
     "Dear owners,\nthe annual owners' meeting 2026 takes place on Saturday 19 December 2026 at 14:30 "
     "in the clubhouse hall. On the agenda: the annual service report and the use of common income. "
     "Please bring your ID card or property certificate.",
     "published", date(2026, 11, 18), None),
    ("informative", "冬季消防安全提示", "", "各位业主、住户：\n冬季天干物燥，请勿在楼道堆放杂物，电动车严禁入户充电。",
     "", "draft", None, None),
    ("appointment", "关于1、2栋管家调整的通知", "New housekeeper for buildings 1 and 2",
     "1、2栋各位业主：\n自2026年12月1日起，由刘管家负责1、2栋的管家服务工作，联系电话见单元门口公告栏。",
     "Dear owners of buildings 1 and 2,\nfrom 1 December 2026 Ms Liu is your housekeeper; her phone number "
     "is on the notice board at each entrance.",
     "published", date(2026, 11, 21), ["1", "2"]),
]


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
            plan = _plan(community, supervisor, culture)
            for spec in events:
                event, new = _event(community, plan, venues, spec, culture, supervisor)
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


def _plan(community, supervisor, culture):
    plan = AnnualPlan.objects(community=community, year=2026).first()
    if plan is None:
        plan = AnnualPlan(community=community, year=2026, title_zh="2026年度社区文化活动计划",
                          title_en="Community events plan 2026", budget=Decimal("20000.00"),
                          goals_zh="以传统节日为主线，全年开展文体、志愿、讲座活动不少于12场，业主参与率达到30%。",
                          goals_en="Around the traditional festivals, at least 12 events of culture, sports, "
                                   "volunteering and talks; 30 % of households taking part.",
                          state="approved", decided_by=supervisor, decided_at=datetime(2026, 1, 8, 2, 0),
                          created_by=culture)
        plan.save_versioned(None)
    return plan


def _bookings(community, venues, clerk):
    for venue_index, (month, day, hour, minute), hours, purpose, booked_for in BOOKINGS_A:
        start = to_utc(datetime(2026, month, day, hour, minute), community)
        venue = venues[venue_index]
        if VenueBooking.objects(venue=venue, start=start).first() is None:
            VenueBooking(community=community, venue=venue, start=start, end=start + timedelta(hours=hours),
                         purpose=purpose, booked_for=booked_for, state="booked", created_by=clerk,
                         created_at=datetime(2026, 11, 10, 2, 0)).save_versioned(None)


def _event(community, plan, venues, spec, culture, supervisor):
    title_zh, title_en, kind, (month, day, hour), hours, venue_index, capacity, budget, state, extra = spec
    event = Event.objects(community=community, title_zh=title_zh).first()
    if event is not None:
        return event, 0
    start = to_utc(datetime(2026, month, day, hour, 0), community)
    end = start + timedelta(hours=hours)
    venue = venues[venue_index] if venue_index is not None and venue_index < len(venues) else None
    event = Event(community=community, plan=plan, title_zh=title_zh,
                  title_en=title_en, event_type=kind, start=start, end=end, venue=venue,
                  capacity=min(capacity, venue.capacity) if venue else capacity, budget=Decimal(budget),
                  organiser="客服中心", state=state, created_by=culture, **extra)
    if state not in ("draft", "submitted"):
        event.submitted_at = start - timedelta(days=30)
    if state not in ("draft", "submitted", "rejected"):
        event.decided_by, event.decided_at = supervisor, start - timedelta(days=25)
    if state in ("published", "held", "recorded"):
        event.published_at = start - timedelta(days=20)
        event.save_versioned(None)
        if venue is not None:
            booking = VenueBooking(community=community, venue=venue, start=start, end=end, purpose=title_zh,
                                   booked_for="客服中心", event=event, state="booked", created_by=culture,
                                   created_at=event.published_at)
            booking.save_versioned(None)
            Event.objects(pk=event.pk).update_one(set__booking=booking)
    else:
        event.save_versioned(None)
    if state in ("held", "recorded"):
        Event.objects(pk=event.pk).update_one(set__held_at=end)
    if state == "recorded":
        Event.objects(pk=event.pk).update_one(set__summary=SUMMARIES.get(title_zh, "活动顺利举办。"),
                                              set__recorded_at=end + timedelta(days=1))
    if state == "cancelled":
        Event.objects(pk=event.pk).update_one(set__cancelled_at=start - timedelta(days=2))
    event.reload()
    return event, 1


def _signups(community, event, clerk):
    """Sign-ups as they would stand: confirmed up to capacity, the rest on the waiting list."""
    if event.state not in ("published", "held", "recorded", "cancelled"):
        return
    rng = random.Random(f"signups-{community.code}-{event.title_zh}")
    households = list(Household.objects(community=community, status="current").order_by("sort_key")
                      .only("id", "owners", "members", "tenants", "name", "room_code"))
    wanted = min(len(households), event.capacity // 2 + 4 if event.capacity <= 10 else event.capacity // 4)
    chosen = rng.sample(households, wanted)
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
        SignUp(community=community, event=event, household=household, people=people, contact_phone=phone,
               state=state, position=position, attended=attended,
               attended_at=event.start + timedelta(minutes=10) if attended else None,
               attended_by=clerk if attended else None,
               confirmed_at=event.start - timedelta(days=10) if state == "confirmed" else None,
               created_by=clerk, created_at=event.start - timedelta(days=12, minutes=-position * 7)).save()
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


def _notices(community, clerk, supervisor):
    for number, spec in enumerate(NOTICES, start=1):
        notice_type, title_zh, title_en, body_zh, body_en, state, day, buildings = spec
        if Notice.objects(community=community, title_zh=title_zh).first() is not None:
            continue
        targets = list(Building.objects(community=community, number__in=buildings)) if buildings else []
        notice = Notice(community=community, notice_type=notice_type, title_zh=title_zh, title_en=title_en,
                        body_zh=body_zh, body_en=body_en, audience="buildings" if targets else "community",
                        buildings=targets, publish_date=day, author=clerk, state="draft",
                        reference=f"〔2026〕{community.code}-{number:02d}")
        notice.save_versioned(None)
        if state == "published":
            Notice.objects(pk=notice.pk).update_one(set__state="published", set__published_by=supervisor,
                                                    set__published_at=datetime.combine(day, datetime.min.time()),
                                                    inc__version=1)
