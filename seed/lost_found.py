"""Demo lost & found: items on this week's notice, a valuable handed to the administration office, an
item claimed with the owner's ID, and one unclaimed for 3 months handed to the company. Every step
through the real rules, with the clock set back to when it happened. A community that already has
found items is left alone."""
from datetime import timedelta

from app import clock
from documents.lost_found import DISPOSAL_MONTHS, FoundItem
from seed.frame import seed_each, staff

CLAIMANT_ID = "11010519491231002X"


def seed_found_items(communities) -> int:
    return seed_each(communities, FoundItem, _seed_community)


def _seed_community(community) -> int:
    clerk, head = staff(community, "clerk"), staff(community, "supervisor", "manager")
    if clerk is None:
        return 0
    now = clock.now()

    def found(days_ago, **fields):
        clock.freeze(now - timedelta(days=days_ago))
        return FoundItem.register(clerk, community, found_at=clock.now(), **fields)

    old = found(DISPOSAL_MONTHS * 31 + 2, item="黑色雨伞", place="2栋电梯厅", finder_name="保洁 陈阿姨",
                kept_at="前台储物柜", description="长柄，木质手柄")
    clock.freeze(now - timedelta(days=DISPOSAL_MONTHS * 31 - 5))
    old.to_office(clerk, received_by="行政 周", note="月底整理上交")
    if head is not None:
        clock.freeze(now - timedelta(days=1))
        old.to_company(head, received_by="企管部 孙", note="三个月未认领，报公司处理")
    phone = found(1, item="手机", place="会所前台", finder_name="保安 李明", kept_at="前台保险柜",
                  description="蓝色外壳", valuable=True)
    clock.freeze(phone.office_due_at)
    phone.to_office(clerk, received_by="行政 周", note="贵重物品当天未领取")
    found(2, item="儿童水壶", place="中心花园", finder_name="业主 王女士", finder_kind="resident", kept_at="前台",
          description="粉色，带吸管")
    wallet = found(3, item="钱包", place="1栋大堂", finder_name="保安 李明", kept_at="前台保险柜",
                   description="内有银行卡")
    clock.freeze(now - timedelta(days=2))
    wallet.claim(clerk, claimant_name="张伟", id_number=CLAIMANT_ID, description="棕色皮夹，有工商银行卡",
                 description_checked=True, signed="张伟")
    clock.freeze(now)
    return 4
