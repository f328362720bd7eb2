"""Demo renovation files in every state of the workflow, moved there by the demo staff.

Deterministic (a seeded random generator picks households and people) and idempotent: a household
that already has a renovation file gets no second one. Dates are relative to today, so the demo
always shows patrols due today and overdue.
"""
import random
import zlib
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

from flask import current_app, has_app_context, has_request_context

from app import clock
from documents.deadlines import start_of_local_day, zone_of

from documents.renovations import (Contractor, OtherFee, Renovation, Worker, local_today,
                                   uscc_check_char)
from documents.residents import Household
from documents.staff import Staff
from seed import names

COMPANIES = [
    ("深圳市安居装饰工程有限公司", "建筑装修装饰工程专业承包二级"),
    ("深圳市美家室内设计装饰有限公司", "建筑装饰工程设计专项乙级"),
    ("广东华艺建筑装饰工程有限公司", "建筑装修装饰工程专业承包一级"),
    ("深圳市匠心家居装修有限公司", "建筑装修装饰工程专业承包二级"),
]
TRADES = ["水电工", "木工", "泥瓦工", "油漆工", "安装工"]
SCOPES = ["厨房、卫生间改造，全屋铺木地板，墙面翻新", "全屋水电改造、吊顶、墙面乳胶漆",
          "阳台封闭（不改变外立面）、厨卫瓷砖翻新", "主卧衣柜定制、客厅背景墙、更换洁具"]

#: (state to reach, first phase, days since the work started, patrol plan[, deposit])
PLAN = [
    ("draft", None, 0, []), ("submitted", None, 0, []), ("flat_failed", None, 0, []),
    ("flat_passed", None, 0, []), ("flat_passed", None, 0, []), ("approved", None, 0, []),
    ("fees_paid", None, 0, []),
    ("in_progress", "water_electric", 0, []),
    ("in_progress", "carpentry_painting", 8, [8, 4]),
    ("in_progress", "tiling_flooring", 3, [3, 2, 1, 0]),
    ("initial_inspected", "water_electric", 20, [20, 10]),
    ("final_passed", "carpentry_painting", 40, [40, 30]),
    ("final_passed", "water_electric", 30, [30]),
    ("refunded", "water_electric", 60, [60, 50]), ("archived", "water_electric", 90, [90]),
    ("rejected", None, 0, []),
]
#: the second community also shows a refund above the limit, waiting for its manager's approval
PLAN_OTHER = [("in_progress", "water_electric", 2, [2]), ("flat_passed", None, 0, []),
              ("final_passed", "water_electric", 30, [30, 20], Decimal("8000.00"))]

VIOLATION_TEXT = {"debris": "楼道堆放装修垃圾未及时清运", "hours": "午休时间使用电锤施工",
                  "no_pass": "一名工人未办理临时出入证进场"}
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>"
       b"endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def _png() -> bytes:
    """A 1x1 grey PNG (a placeholder site photo)."""
    def chunk(kind, data):
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")
    header = (1).to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x80")) \
        + chunk(b"IEND", b"")


def seed_renovations(communities) -> int:
    """Create the demo files; returns how many were created."""
    if has_app_context() and not has_request_context():
        # messages and labels are translated; a request context gives them a locale
        with current_app.test_request_context("/"):
            return _seed(communities)
    return _seed(communities)


def _seed(communities) -> int:
    staff = {s.username: s for s in Staff.objects(username__in=[
        "clerk", "supervisor", "housekeeper", "cashier", "manager", "clerk2", "manager2"])}
    if len(staff) < 7:
        return 0
    created = 0
    for index, community in enumerate(communities[:2]):
        if Renovation.objects(community=community).first() is not None:
            continue       # seeded before: other seeds since then changed which households are current
        plan = PLAN if index == 0 else PLAN_OTHER
        roles = ("supervisor", "housekeeper", "cashier", "manager")
        people = {role: staff[role] for role in roles + ("clerk",)} if index == 0 else \
            {role: staff["manager2"] for role in roles} | {"clerk": staff["clerk2"]}
        rng = random.Random(f"renovations-{community.code}")
        households = list(Household.objects(community=community, status="current",
                                            building_no__in=["1", "2", "3"]).order_by("sort_key"))
        chosen = rng.sample(households, min(len(plan), len(households)))
        for household, steps in zip(chosen, plan):
            spec = _draw(rng)  # drawn for every household, so the data stay the same run after run
            if Renovation.objects(household=household).first() is not None:
                continue
            _make(community, household, spec, steps, people)
            created += 1
    return created


def _draw(rng):
    company, qualification = rng.choice(COMPANIES)
    body = f"9144030{rng.randrange(10)}MA5F{rng.randrange(10**4, 10**5)}"
    workers = []
    for _ in range(rng.choice([2, 3])):
        birthday = names.birthday(rng, 22, 55)
        workers.append(Worker(name=names.chinese_name(rng), id_number=names.id_card(rng, birthday, False),
                              phone=names.mobile(rng), trade=rng.choice(TRADES)))
    return {
        "contractor": Contractor(company=company, licence_no=body + uscc_check_char(body),
                                 qualification=qualification, site_manager=names.chinese_name(rng),
                                 phone=names.mobile(rng)),
        "workers": workers, "scope": rng.choice(SCOPES),
        "deposit": Decimal(rng.choice(["2000.00", "3000.00", "5000.00"])),
        "fee": Decimal(rng.choice(["300.00", "450.00", "600.00"])), "weeks": rng.choice([6, 8, 10, 12]),
        "violation": rng.choice(["debris", "hours", "no_pass"]),
    }


def _make(community, household, spec, steps, people):
    """A file moved by the demo staff, in the office's order, until it is in the planned state."""
    state, phase, days_ago, patrols = steps[:4]
    today = local_today(community)
    start = today - timedelta(days=days_ago)
    renovation = Renovation(
        community=community, household=household, applicant=household.name,
        applicant_phone=household.owners[0].phone if household.owners else None,
        contractor=spec["contractor"], workers=spec["workers"], scope=spec["scope"],
        planned_start=start if days_ago else today + timedelta(days=3),
        planned_end=(start if days_ago else today) + timedelta(weeks=spec["weeks"]),
        deposit=steps[4] if len(steps) > 4 else spec["deposit"], management_fee=spec["fee"],
        other_fees=[OtherFee(item="垃圾清运费", amount=Decimal("200.00"))],
        agreement_signed_on=today - timedelta(days=days_ago + 2) if state != "draft" else None)
    renovation.save_versioned(None)
    renovation.attach(people["clerk"], "licence", "营业执照.pdf", PDF)
    plan = {"state": state, "phase": phase, "start": start, "today": today, "patrols": patrols, "spec": spec,
            "household": household, **people}
    for stage in (_submit, _flat_inspection, *STAGES):
        if renovation.state == state:
            break
        stage(renovation, plan)
    return renovation


def _submit(renovation, plan):
    clerk = plan["clerk"]
    renovation.attach(clerk, "qualification", "资质证书.pdf", PDF)
    renovation.attach(clerk, "worker_ids", "施工人员身份证.pdf", PDF)
    renovation.attach(clerk, "drawings", "平面布置图.pdf", PDF)
    renovation.submit(clerk)
    if plan["state"] == "rejected":
        renovation.reject(plan["supervisor"], "拟拆除承重墙，不符合《业主临时管理规约》，请修改方案后重新申请")


def _flat_inspection(renovation, plan):
    if plan["state"] == "flat_failed":
        renovation.record_flat_inspection(plan["housekeeper"], passed=False, items=["卫生间闭水试验渗漏", "地暖打压不合格"])
    else:
        renovation.record_flat_inspection(plan["housekeeper"], passed=True, notes="智能化布线、地暖打压、闭水试验均合格")


def _fees_then_pass(renovation, plan):
    """Fees and deposit paid -> the first worker's pass (permits follow the payment)."""
    renovation.pay_fees(plan["cashier"], "wechat", plan["household"].name)
    renovation.issue_permit(plan["clerk"], "worker_pass", worker_key=renovation.workers[0].key,
                            valid_from=renovation.planned_start, valid_to=renovation.planned_end)


#: the local hour a demo step of a past day happens at (the patrol round of the morning)
STEP_HOUR = 10


@contextmanager
def on_day(community, day):
    """The clock frozen at STEP_HOUR local time of `day` (not later than now), so that a step of a
    past day starts and stops its clocks then: a patrol logged on its due day meets its clock, one
    logged after it breaches it, as in the office. Whatever clock was there is put back."""
    before = clock._frozen
    clock.freeze(min(clock.now(), start_of_local_day(day, zone_of(community)) + timedelta(hours=STEP_HOUR)))
    try:
        yield
    finally:
        clock.freeze(before)


def _work_and_patrols(renovation, plan):
    keeper, spec, community = plan["housekeeper"], plan["spec"], renovation.community
    renovation.start(plan["clerk"], plan["phase"], on=plan["start"])     # recorded now, after the permit
    for n, ago in enumerate(sorted(plan["patrols"], reverse=True)):
        day = plan["today"] - timedelta(days=ago)
        violations = [] if n != 1 else [{
            "type": spec["violation"], "description": VIOLATION_TEXT[spec["violation"]], "deduction": "200.00",
            "deadline": day + timedelta(days=1)}]
        with on_day(community, day):
            patrol = renovation.log_patrol(keeper, on=day, findings="发现违规，已当场告知施工负责人" if violations
                                           else "现场文明施工，消防器材齐备", violations=violations,
                                           photos=[(f"巡查{day:%m%d}.png", _png())] if violations else ())
        if violations and plan["state"] != "in_progress":   # put right the next day
            with on_day(community, day + timedelta(days=1)):
                renovation.rectify_violation(keeper, patrol.key, patrol.violations[0].key,
                                             on=day + timedelta(days=1))


def _refund(renovation, plan):
    if renovation.refund_needs_approval():
        renovation.approve_refund(plan["manager"])
    renovation.refund(plan["cashier"], "bank_transfer", plan["household"].name)


#: after the flat inspection, in the office's order: fees and deposit paid -> permit
#: issued -> work starts -> initial and final inspection -> deposit refunded -> archived
STAGES = (
    lambda r, plan: r.approve(plan["supervisor"]),
    _fees_then_pass,
    _work_and_patrols,
    lambda r, plan: r.record_initial_inspection(plan["housekeeper"], notes="施工完毕，现场已清理"),
    lambda r, plan: r.record_final_inspection(plan["supervisor"], passed=True, notes="验收合格"),
    _refund,
    lambda r, plan: r.archive(plan["clerk"]),
)
