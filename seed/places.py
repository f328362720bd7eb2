"""Two demo communities with buildings, units and rooms."""
from documents.places import Building, Community

COMMUNITIES = [
    {"code": "JXHY", "name_zh": "锦绣花园", "name_en": "Jinxiu Garden",
     "address": "深圳市南山区科苑路 88 号", "buildings": 6, "units": 2, "floors": 18, "per_floor": 2},
    {"code": "CHW", "name_zh": "翠湖湾", "name_en": "Emerald Lake Bay",
     "address": "深圳市福田区莲花路 16 号", "buildings": 4, "units": 2, "floors": 12, "per_floor": 2},
]


def seed_places():
    communities = []
    for spec in COMMUNITIES:
        community = Community.objects(code=spec["code"]).first()
        if community is None:
            community = Community(code=spec["code"], name_zh=spec["name_zh"], name_en=spec["name_en"],
                                  address=spec["address"]).save()
        for number in range(1, spec["buildings"] + 1):
            building = Building.objects(community=community, number=str(number)).first()
            if building is None:
                building = Building(community=community, number=str(number), floors=spec["floors"],
                                    name=f"{number}栋").save()
            building.generate_units_and_rooms(spec["units"], spec["floors"], spec["per_floor"], area=89)
        communities.append(community)
    return communities
