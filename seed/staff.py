"""One demo account per role for the first community; manager2 and clerk2 for the second; senior
management (`executive`, 公司领导) for the whole company. Demo accounts have no e-mail address."""
from documents.staff import Staff

ACCOUNTS = [
    ("admin", "系统管理员", ["admin"], 0),
    ("manager", "王经理", ["manager"], 0),
    ("supervisor", "李主管", ["supervisor"], 0),
    ("clerk", "张前台", ["clerk"], 0),
    ("housekeeper", "刘管家", ["housekeeper"], 0),
    ("cashier", "陈收银", ["cashier"], 0),
    ("culture", "赵专员", ["culture"], 0),
    ("guard", "黄门岗", ["guard"], 0),
    ("manager2", "周经理", ["manager"], 1),
    ("clerk2", "吴前台", ["clerk"], 1),
    ("executive", "孙总", ["executive"], None),      # company level: sees every community
]


def seed_staff(communities, password: str) -> list[str]:
    created = []
    for username, display_name, roles, community_index in ACCOUNTS:
        if Staff.objects(username=username).first() is not None:
            continue
        staff = Staff(username=username, display_name=display_name, roles=roles,
                      communities=[] if community_index is None else [communities[community_index]],
                      buildings=["1", "2", "3"] if "housekeeper" in roles else [])
        staff.set_password(password)
        staff.save()
        created.append(username)
    return created
