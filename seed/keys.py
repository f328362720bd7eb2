"""Demo key register: the first building of each community received from the developer (entrance,
mailbox and meter-box keys), a few sets issued to their owners, loans out now (one contractor due
tonight, one owner's returned, one overdue from yesterday and chased, one sales loan waiting for its
supervisor's signature) and two labels to renew.

Each step goes through the real rules with the clock set back to when it happened. A community that
already has key sets is left alone, so a second `flask seed` creates nothing.
"""
from datetime import datetime, time, timedelta

from app import clock
from app.permissions import KEY_KEEPER_ROLES
from documents.deadlines import to_utc, zone_of
from documents.keys import (KeySet, community_today, issue_to_owner, lend,
                            receive_from_developer, return_key)
from documents.places import Building
from seed.frame import seed_each, staff

KINDS = {"entrance": 3, "mailbox": 1, "meter_box": 1}
CABINET = "K1"
ID = "110105198803150018"


def seed_keys(communities) -> int:
    """Seed every community without key sets; returns how many key sets were registered."""
    return seed_each(communities, KeySet, _seed_community)


def _keeper(community):
    return staff(community, *KEY_KEEPER_ROLES)


def _at(community, day, hour: int, now=None):
    """Set the clock to `hour` o'clock of the community's local `day`, never later than the seeding."""
    clock.freeze(min(to_utc(datetime.combine(day, time(hour)), zone_of(community)), now or clock.now()))


def _seed_community(community) -> int:
    keeper = _keeper(community)
    building = Building.objects(community=community.pk).order_by("number").first()
    if keeper is None or building is None:
        return 0
    today = community_today(community)
    seeded_at = clock.now()
    _at(community, today - timedelta(days=400), 10, seeded_at)
    receipt = receive_from_developer(keeper, building, "开发商工程部 周经理", None, KINDS, cabinet=CABINET,
                                     note="集中交付前移交")
    # owners who moved in signed for their entrance keys
    from documents.residents import Household
    households = Household.objects(community=community.pk, building_no=building.number, status="current") \
        .order_by("sort_key").limit(4)
    for household in households:
        key_set = KeySet.objects(room=household.room, kind="entrance").first()
        if key_set is not None and key_set.state == "in_cabinet":
            owner = next(iter(household.owners or []), None)
            issue_to_owner(key_set, household, keeper, True, owner.name if owner else household.name)
    spare = list(KeySet.objects(community=community.pk, kind="entrance", state="in_cabinet")
                 .order_by("sort_key").limit(4))
    if len(spare) < 4:
        return receipt.sets_created
    # an owner's loan, returned two days later
    _at(community, today - timedelta(days=10), 9, seeded_at)
    loan = lend(spare[0], keeper, "陈静", ID, "owner", "忘带钥匙，临时借用", clock.now() + timedelta(days=1))
    _at(community, today - timedelta(days=9), 18, seeded_at)
    return_key(loan, keeper, "完好归还")
    # a repair man who did not bring the key back yesterday, chased this morning
    _at(community, today - timedelta(days=1), 9, seeded_at)
    late = lend(KeySet.objects(pk=spare[1].pk).first(), keeper, "刘师傅（维修）", ID, "repair_staff",
                "入户检修漏水", None)
    _at(community, today, 8, seeded_at)
    late.chase(keeper, "电话联系刘师傅，答应上午送回")
    # a contractor out now, due tonight; a sales loan waiting for the signature
    _at(community, today, 9, seeded_at)
    lend(KeySet.objects(pk=spare[2].pk).first(), keeper, "王工（装修公司）", ID, "contractor", "测量尺寸", None)
    lend(KeySet.objects(pk=spare[3].pk).first(), keeper, "销售部 林小姐", ID, "sales", "带客户看样板房",
         clock.now() + timedelta(hours=6))
    # the last label check found two labels to renew
    for label in KeySet.objects(community=community.pk, kind="mailbox").order_by("sort_key").limit(2):
        label.check_label(keeper, "damaged", "标签破损")
    return receipt.sets_created
