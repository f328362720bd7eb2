"""Benchmark data: one large community and two smaller ones, loaded fast into a fresh store.

Places are made by the same code the portal uses (`Building.generate_units_and_rooms`, which
bulk-inserts rooms). Households are the demo seed's realistic households
(`seed.residents.build_household`), validated with the document's own `validate()` — so
`Household.clean()` fills room_code, room_codes, room_numbers, search_names, phone_tails,
sort_key, building_no and unit_no exactly as a save through the app does — then bulk-inserted
with `insert(..., load_bulk=False)`. Room statuses follow with the document's own
`_sync_room_status()`. Deterministic for a given seed.
"""
import math
import random
import secrets
import time
from dataclasses import dataclass, field
from datetime import timedelta

from documents.places import Building, Community, Room
from documents.residents import Household
from documents.staff import Staff
from seed.residents import build_household

FULL = (5000, 2000, 2000)
QUICK = (1000, 400, 400)

UNITS, FLOORS, PER_FLOOR = 2, 30, 4          # 240 rooms per building
MOVED_OUT_SHARE = 0.02                       # earlier residents' archives, kept after moving out
BATCH = 1000

COMMUNITY_NAMES = [
    ("BENCH-A", "碧桂华庭", "Bigui Court"),
    ("BENCH-B", "翠湖湾", "Emerald Lake Bay"),
    ("BENCH-C", "锦绣花园", "Jinxiu Garden"),
]


@dataclass
class BenchWorld:
    communities: list
    households: list                         # archives per community, same order
    clerk_username: str
    clerk_password: str
    seconds: dict = field(default_factory=dict)

    @property
    def big(self):
        return self.communities[0]


def load(sizes=FULL, seed: int = 2026) -> BenchWorld:
    """Fill the connected (empty) store; returns what the benchmark needs to log in and look up."""
    if Household.objects.limit(1).count(with_limit_and_skip=True):
        raise RuntimeError("The benchmark needs an empty store.")
    seconds = {}
    communities = []
    for (code, name_zh, name_en), size in zip(COMMUNITY_NAMES, sizes):
        started = time.perf_counter()
        community = Community(code=code, name_zh=name_zh, name_en=name_en,
                              address=f"深圳市南山区{name_zh}路 1 号").save()
        make_places(community, size)
        seconds[f"{code} places"] = time.perf_counter() - started
        started = time.perf_counter()
        make_households(community, size, random.Random(f"{seed}-{code}"))
        seconds[f"{code} households"] = time.perf_counter() - started
        communities.append(community)
    password = secrets.token_urlsafe(12)
    clerk = Staff(username="bench_clerk", display_name="基准前台", roles=["clerk"],
                  communities=[communities[0]], language="zh_Hans_CN")
    clerk.set_password(password)
    clerk.save()
    return BenchWorld(communities, list(sizes[:len(communities)]), clerk.username, password, seconds)


def make_places(community, households: int) -> int:
    """Enough buildings of 2 units x 30 floors x 4 rooms for the households, plus a few empty rooms."""
    buildings = math.ceil(households * 1.05 / (UNITS * FLOORS * PER_FLOOR))
    rooms = 0
    for number in range(1, buildings + 1):
        building = Building(community=community, number=str(number), floors=FLOORS,
                            name=f"{number}栋").save()
        rooms += building.generate_units_and_rooms(UNITS, FLOORS, PER_FLOOR, area=89)
    return rooms


def make_households(community, count: int, rng: random.Random) -> int:
    """`count` archives: current ones in randomly chosen rooms and ~2 % moved-out earlier ones."""
    # select_related: clean() reads room.community; resolve all rooms' references in bulk
    rooms = list(Room.objects(community=community).order_by("sort_key").select_related(max_depth=1))
    moved_out = int(count * MOVED_OUT_SHARE)
    current_rooms = sorted(rng.sample(range(len(rooms)), count - moved_out))
    earlier_rooms = sorted(rng.sample(current_rooms, moved_out))
    archives = []
    for index, room_index in enumerate(earlier_rooms):
        household = build_household(rng, community, rooms[room_index], index)
        household.status = "moved_out"
        household.move_out_date = household.move_in_date + timedelta(days=rng.randrange(200, 1500))
        archives.append(household)
    for index, room_index in enumerate(current_rooms):
        archives.append(build_household(rng, community, rooms[room_index], index))
    return bulk_save(archives)


def bulk_save(archives) -> int:
    """Store new archives as `save_versioned(None)` would, but with one insert per 1,000.

    Moved-out archives should come before the current archive of the same room, so that the
    room's status follows the current one (as when saved one by one in that order).
    """
    for household in archives:
        household.version = 1           # as Versioned.save_versioned sets it on creation
        household.validate()            # runs Household.clean(): the derived search fields
    for start in range(0, len(archives), BATCH):
        Household.objects.insert(archives[start:start + BATCH], load_bulk=False)
    for household in archives:
        household._sync_room_status()   # Household.save() does this after each save
    return len(archives)
