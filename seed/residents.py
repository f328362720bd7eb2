"""About 300 households across the demo communities, with members, tenants, vehicles and pets."""
import random
from datetime import date, timedelta

from documents.places import Room
from documents.residents import ExtraField, Household, Person, Pet, Tenant, Vehicle
from seed import names

TAGS = ["独居老人", "VIP", "党员", "欠费提醒", "宠物户", "新入住"]


def seed_households(communities, counts) -> int:
    created = 0
    for community, count in zip(communities, counts):
        rng = random.Random(f"households-{community.code}")
        rooms = list(Room.objects(community=community, floor__gt=0).order_by("sort_key"))   # not basements
        chosen = sorted(rng.sample(range(len(rooms)), min(count, len(rooms))))
        existing = set(Household.objects(community=community).scalar("room"))
        existing_ids = {r.pk for r in existing if r is not None}
        for index, room_index in enumerate(chosen):
            room = rooms[room_index]
            household = build_household(rng, community, room, index)
            if room.pk in existing_ids:
                continue
            household.save_versioned(None)
            created += 1
    return created


def build_household(rng, community, room, index) -> Household:
    """One household; drawing all random values first keeps the data identical run after run."""
    female = rng.random() < 0.5
    owner_birthday = names.birthday(rng, 28, 75)
    owner = Person(name=names.chinese_name(rng), relation="owner", phone=names.mobile(rng),
                   id_type="id_card", id_number=names.id_card(rng, owner_birthday, female),
                   birthday=owner_birthday, work_unit=rng.choice(["", "腾讯", "华为", "市第二人民医院",
                                                                  "南山实验学校", "个体经营"]))
    members = []
    if rng.random() < 0.7:
        spouse_birthday = names.birthday(rng, 28, 70)
        members.append(Person(name=names.chinese_name(rng), relation="spouse", phone=names.mobile(rng),
                              id_type="id_card",
                              id_number=names.id_card(rng, spouse_birthday, not female),
                              birthday=spouse_birthday))
    for _ in range(rng.choice([0, 0, 1, 1, 2])):
        child_birthday = names.birthday(rng, 2, 20)
        members.append(Person(name=owner.name[0] + rng.choice(names.GIVEN), relation="child",
                              birthday=child_birthday))
    tenants = []
    if index % 12 == 5:
        first, last = rng.choice(names.FOREIGN)
        tenants.append(Tenant(name=f"{first} {last}", relation="tenant", phone=names.mobile(rng),
                              id_type="passport", id_number=f"E{rng.randrange(10**7, 10**8)}",
                              lease_start=date(2026, 3, 1), lease_end=date(2027, 2, 28)))
    elif index % 9 == 4:
        tenant_birthday = names.birthday(rng, 22, 45)
        tenants.append(Tenant(name=names.chinese_name(rng), relation="tenant", phone=names.mobile(rng),
                              id_type="id_card", id_number=names.id_card(rng, tenant_birthday, False),
                              lease_start=date(2026, 1, 1), lease_end=date(2026, 12, 31)))
    vehicles = [Vehicle(plate=names.plate(rng), parking_space=f"B{rng.randrange(1, 400):03d}",
                        description=rng.choice(["白色大众", "黑色丰田", "蓝色比亚迪", "银色本田"]))
                for _ in range(rng.choice([0, 1, 1, 2]))]
    pets = [Pet(kind=rng.choice(["狗", "猫"]), name=rng.choice(["旺财", "咪咪", "豆豆", "球球"]))] \
        if rng.random() < 0.2 else []
    tags = sorted(set(rng.sample(TAGS, rng.choice([0, 0, 1, 2]))))
    extra = [ExtraField(key="装修情况", value=rng.choice(["精装", "简装", "毛坯"]))] if rng.random() < 0.3 else []
    move_in = date(2018, 1, 1) + timedelta(days=rng.randrange(0, 2900))
    return Household(community=community, room=room, name=owner.name, owners=[owner], members=members,
                     tenants=tenants, vehicles=vehicles, pets=pets, tags=tags, extra_fields=extra,
                     move_in_date=move_in, status="current")
