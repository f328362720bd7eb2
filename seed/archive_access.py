"""Demo access requests: one waiting for the manager, one approved and used (in the access register)."""
from datetime import timedelta

from app import clock
from documents.archive_access import AccessRequest, read_full
from documents.residents import Household
from documents.staff import Staff


def seed_access(communities) -> int:
    if AccessRequest.objects.first() is not None:
        return 0
    community = communities[0]
    households = list(Household.objects(community=community, status="current").order_by("sort_key").limit(2))
    clerk, supervisor, manager = (Staff.objects(username=name).first() for name in ("clerk", "supervisor", "manager"))
    if len(households) < 2 or None in (clerk, supervisor, manager):
        return 0
    now = clock.now()
    AccessRequest.ask(clerk, community, households[0], "full", "业主委托办理房产证，需核对身份证号",
                      now, now + timedelta(days=2))
    used = AccessRequest.ask(supervisor, community, households[1], "full", "投诉调查，需核对租户证件",
                             now - timedelta(hours=2), now + timedelta(days=1))
    used.approve(manager, "同意，限当日查阅")
    read_full(supervisor, households[1], what="完整档案")
    return 2
