"""Demo repairs, complaints, visits and a shift handover, in every state, timed around "now".

The records are walked through the real transitions (so deadlines, totals and the audit
history are what the portal itself would produce) with the clock set back to when each step
happened. Content is deterministic; times are relative to the moment of seeding, so the demo
always has something late, something due today and something closed. A community that already
has repairs is left alone (running the seed twice creates nothing new).
"""
import random
from datetime import timedelta

from app import clock
from documents.complaints import Complaint
from documents.handover import write_handover
from documents.places import Building
from documents.repairs import Repair
from documents.residents import Household
from documents.visits import log_visit
from seed.frame import seed_each
from seed.frame import staff as _staff

REPAIRS = [
    # (category, description, urgency)
    ("plumbing", "厨房水龙头漏水，关不紧", "ordinary"),
    ("plumbing", "卫生间地漏堵塞，积水", "urgent"),
    ("walls", "次卧外墙雨后渗水，墙面发霉", "leak"),
    ("electrical", "客厅插座跳闸，整屋断电", "urgent"),
    ("doors_windows", "入户门锁芯卡住，钥匙转不动", "urgent"),
    ("appliances", "热水器不出热水", "ordinary"),
    ("doors_windows", "阳台推拉门滑轮损坏", "ordinary"),
    ("walls", "天花板吊顶有水渍，疑似楼上渗漏", "leak"),
    ("access", "可视对讲无画面", "ordinary"),
    ("plumbing", "马桶水箱一直流水", "ordinary"),
]
PUBLIC_REPAIRS = [
    ("lift", "%s栋2单元电梯按钮失灵", "urgent", "lift"),
    ("public_facilities", "%s栋1单元楼道声控灯不亮", "ordinary", "stairwell"),
    ("walls", "%s栋地下车库顶板渗水", "leak", "basement"),
]
COMPLAINTS = [
    # (kind, class, channel, content)
    ("complaint", 1, "phone", "前台接电话态度冷淡，报修两天无人回复"),
    ("complaint", 2, "face_to_face", "新交房卫生间墙砖空鼓开裂"),
    ("complaint", 3, "letter", "小区外马路施工夜间噪音扰民"),
    ("complaint", 1, "email", "保洁没有按时清理垃圾桶，气味很大"),
    ("complaint", 2, "phone", "窗户密封不严，下雨进水"),
    ("suggestion", None, "face_to_face", "建议在儿童游乐区增加遮阳棚"),
    ("complaint", 1, "phone", "装修施工超时作业，管家未制止"),
]
MATERIALS = [
    {"name": "水龙头阀芯", "spec": "陶瓷", "model": "DN15", "quantity": "1", "unit_price": "35.50"},
    {"name": "生料带", "spec": "20m", "model": "", "quantity": "2", "unit_price": "1.50"},
    {"name": "PPR管", "spec": "DN20", "model": "S2.5", "quantity": "1.5", "unit_price": "12.35"},
]


def seed_services(communities) -> int:
    """Seed every community that has no repairs yet; returns how many records were created."""
    return seed_each(communities, Repair, _seed_community, indexed=True)


def _seed_community(community, index) -> int:
    rng = random.Random(f"services-{community.code}")
    now = clock.now().replace(second=0, microsecond=0)
    clerk = _staff(community, "clerk")
    boss = _staff(community, "supervisor", "manager")
    keeper = _staff(community, "housekeeper") or clerk
    if clerk is None or boss is None:
        return 0
    households = list(Household.objects(community=community, status="current").order_by("sort_key"))
    rng.shuffle(households)
    count = 0

    def at(hours_ago):
        clock.freeze(now - timedelta(hours=hours_ago))

    def repair(spec, household=None, public=None, hours_ago=0, appointment_in=2):
        at(hours_ago)
        category, description, urgency = spec[:3]
        fields = dict(community=community, source=rng.choice(["phone", "phone", "walk_in", "patrol"]),
                      category=category, description=description, urgency=urgency, registered_by=clerk,
                      appointment_at=clock.now() + timedelta(hours=appointment_in),
                      charge_note=rng.choice(["", "人工费30元，材料按实收取", "保修期内免费"]))
        if household is not None:
            fields.update(location="room", room=household.room,
                          resident_phone=household.owners[0].phone if household.owners else None)
        else:
            building, place = public
            fields.update(location="public", public_place=place,   # that building, or the first one there is
                          public_building=Building.objects(community=community, number=building).first()
                          or Building.objects(community=community).order_by("number").first())
        return Repair(**fields).save_versioned(None)

    technicians = ["王建国", "李师傅", "赵强", "孙师傅"]
    plan = [  # (hours ago registered, how far to walk it)
        (1, "reported"), (3, "dispatched_late"), (0.5, "dispatched"), (5, "arrived"), (4, "review"),
        (30, "completed"), (50, "signed_off"), (200, "closed"), (100, "closed"), (20, "cancelled"),
    ]
    steps_for = {"reported": 0, "dispatched": 1, "dispatched_late": 1, "arrived": 2, "review": 3,
                 "completed": 4, "signed_off": 5, "closed": 6, "cancelled": -1}
    limit = len(plan) if index == 0 else 6
    for (hours, target), spec, household in zip(plan[:limit], REPAIRS, households):
        record = repair(spec, household, hours_ago=hours, appointment_in=1)
        count += 1
        _walk(record, target, steps_for[target], hours, now, clerk, boss, keeper, rng.choice(technicians), rng)
    for spec in PUBLIC_REPAIRS[: 3 if index == 0 else 1]:
        building = str(rng.randint(1, 3))
        record = repair((spec[0], spec[1] % building, spec[2]), public=(building, spec[3]), hours_ago=26)
        count += 1
        # confirmed by the building's housekeeper; a community without one waits at "completed"
        target, steps = ("signed_off", 5) if record.looks_after_building(keeper) else ("completed", 4)
        _walk(record, target, steps, 26, now, clerk, boss, keeper, rng.choice(technicians), rng)

    complaint_plan = [(5, "received"), (2, "assigned"), (30, "handled"), (8, "assigned"), (80, "received"),
                      (10, "handled"), (150, "closed")]
    for (hours, target), (kind, klass, channel, content), household in zip(
            complaint_plan[: len(COMPLAINTS) if index == 0 else 3], COMPLAINTS, households[10:]):
        at(hours)
        record = Complaint(community=community, kind=kind, complaint_class=klass, channel=channel,
                           content=content, room=household.room, registered_by=clerk,
                           case_analysis="教训：报修受理后必须在 24 小时内答复业户，已纳入月度培训。"
                           if klass == 1 and target == "closed" else None).save_versioned(None)
        count += 1
        if target in ("assigned", "handled", "closed"):
            at(hours - 0.5)
            record.assign(boss, "engineering" if klass == 2 else "customer_service", keeper, "请尽快处理并回复业户")
        if target in ("handled", "closed"):
            at(hours - 2)
            record.handle(keeper, "已上门查看并处理，业户认可", "纳入每周巡查")
        if target == "closed":
            at(hours - 20)
            log_visit(record, clerk, method="phone", resident_said="问题已解决，感谢物业", satisfaction=5)

    for household in households[20:24 if index == 0 else 21]:
        at(rng.randint(24, 240))
        log_visit(household, keeper, method="on_site", resident_said=rng.choice(
            ["家里一切正常，希望加强夜间巡逻", "老人独居，请管家多关照", "对物业服务满意"]),
            satisfaction=rng.choice([4, 5]))
        count += 1
    at(14)
    write_handover(community, clerk, "day", "3栋电梯明早维保；12楼漏水待雨后回访；一类投诉需主管跟进。")
    count += 1
    return count


def _walk(record, target, steps, hours, now, clerk, boss, keeper, technician, rng):
    """Apply the transitions in order, each at a plausible past moment."""
    def at(hours_ago):
        clock.freeze(now - timedelta(hours=max(hours_ago, 0)))

    if target == "cancelled":
        at(hours - 1)
        record.cancel(boss, "业户已自行修好")
        return
    if steps >= 1:
        at(hours - 0.2)
        record.dispatch(clerk, technician, record.appointment_at, "13600000000")
    if steps >= 2:
        at(hours - 1.1 - (0.5 if rng.random() < 0.3 else 0))
        record.arrive(clerk)
    if steps >= 3:
        at(hours - 1.2)
        record.start_review(clerk, "需工程部确认管路走向")
        if target != "review":
            at(hours - 1.5)
            record.back_on_site(clerk)
    if steps >= 4:
        at(hours - 2.5)
        lines = MATERIALS[: rng.randint(0, 3)]
        record.complete(clerk, "已更换损坏部件，试用正常", lines, labour=rng.choice(["0", "30", "50"]))
    if steps >= 5:
        at(hours - 2.6)
        # the resident signed the paper work order (a public area: its building's housekeeper confirms)
        record.sign_off(keeper if record.location == "public" else clerk, rng.choice([4, 5, 5]), "师傅很专业",
                        paper_order_no=None if record.location == "public" else f"P{record.number[2:]}")
    if steps >= 6:
        at(hours - 24)
        log_visit(record, clerk, method="phone", resident_said="已修好，没有再出现问题", satisfaction=5)
