"""Shared set-up of renovation tests: a complete file, walked to any state by the right roles."""
from datetime import date, datetime
from decimal import Decimal

from documents.renovations import (Contractor, OtherFee, Renovation, Worker, uscc_check_char)
from documents.validators import id_card_check_digit
from tests.support import JPEG, PDF

#: A Monday in Shanghai at 10:00 (02:00 UTC); tests freeze the clock here.
NOW = datetime(2026, 3, 2, 2, 0)
TODAY = date(2026, 3, 2)


def licence_no(body="91440300MA5F12345"):
    return body + uscc_check_char(body)


def id_number(first17="44030519850312123"):
    return first17 + id_card_check_digit(first17)


def new_file(world, household=None, deposit="3000", **overrides) -> Renovation:
    household = household or world["hh_a"]
    data = dict(
        community=household.community, household=household, applicant=household.name,
        applicant_phone="13800138000",
        contractor=Contractor(company="深圳市安居装饰工程有限公司", licence_no=licence_no(),
                              qualification="建筑装修装饰工程专业承包二级", site_manager="王建国",
                              phone="13600001111"),
        workers=[Worker(name="李师傅", id_number=id_number(), phone="13511112222", trade="水电工"),
                 Worker(name="赵师傅", id_number=id_number("44030519900101456"), trade="木工")],
        scope="厨卫改造、铺木地板、墙面翻新", planned_start=date(2026, 3, 5), planned_end=date(2026, 5, 31),
        deposit=Decimal(deposit), management_fee=Decimal("450.00"),
        other_fees=[OtherFee(item="垃圾清运费", amount=Decimal("200.00"))],
        agreement_signed_on=date(2026, 3, 1))
    data.update(overrides)
    renovation = Renovation(**data)
    renovation.save_versioned(None)
    return renovation


def attach_documents(renovation, user):
    renovation.attach(user, "licence", "营业执照.pdf", PDF)
    renovation.attach(user, "qualification", "资质证书.pdf", PDF)
    renovation.attach(user, "worker_ids", "身份证.jpg", JPEG)


#: the path through the workflow; each step: (state reached, role, callable)
STEPS = [
    ("submitted", "clerk", lambda r, u: r.submit(u)),
    ("flat_passed", "housekeeper", lambda r, u: r.record_flat_inspection(u, passed=True, notes="闭水试验合格")),
    ("approved", "supervisor", lambda r, u: r.approve(u)),
    ("fees_paid", "cashier", lambda r, u: r.pay_fees(u, "cash", r.applicant)),
    ("in_progress", "clerk", lambda r, u: r.start(u, "water_electric")),
    ("initial_inspected", "housekeeper", lambda r, u: r.record_initial_inspection(u, notes="完工")),
    ("final_passed", "supervisor", lambda r, u: r.record_final_inspection(u, passed=True)),
    ("refunded", "cashier", lambda r, u: r.refund(u, "bank_transfer", "张伟")),
    ("archived", "clerk", lambda r, u: r.archive(u)),
]


def file_in_state(world, state, **kwargs) -> Renovation:
    """A complete file moved through the workflow by the proper roles until it is in `state`."""
    staff = world["staff"]
    renovation = new_file(world, **kwargs)
    if state == "draft":
        return renovation
    attach_documents(renovation, staff["clerk"])
    for reached, role, step in STEPS:
        step(renovation, staff[role])
        assert renovation.state == reached
        if reached == state:
            return renovation
    raise ValueError(state)
