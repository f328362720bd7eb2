"""Archive lookup: the unit grid and the four forms of the search box, safe against injection."""
import pytest

from documents.places import Unit
from documents.residents import Household, Person, search_households, unit_grid


def names(queryset):
    return sorted(h.name for h in queryset)


def test_unit_grid_floors_top_down_with_household_names(world):
    unit = Unit.objects(community=world["A"]).get()
    grid = unit_grid(unit)
    assert [floor for floor, _ in grid] == [3, 2, 1]
    floor1 = dict((room.code, household) for room, household in grid[-1][1])
    assert floor1["1-1-101"]["name"] == "张伟" and floor1["1-1-102"] is None
    floor2 = dict((room.code, household) for room, household in grid[1][1])
    assert floor2["1-1-201"]["name"] == "Michael Brown"


def test_grid_ignores_moved_out_households(world):
    world["hh_a"].move_out()
    unit = Unit.objects(community=world["A"]).get()
    floor1 = dict((room.code, hh) for room, hh in unit_grid(unit)[-1][1])
    assert floor1["1-1-101"] is None


@pytest.mark.parametrize("term, expected", [
    ("1-1-101", ["张伟"]), ("1栋1单元101", ["张伟"]), ("1-1-201", ["Michael Brown"]),
    ("张伟", ["张伟"]), ("张", ["张伟"]), ("michael", ["Michael Brown"]),
    ("8000", ["张伟"]), ("5678", ["Michael Brown"]), ("13912345678", ["Michael Brown"]),
    ("1-1", ["Michael Brown", "张伟"]), ("101", ["张伟"]),
    ("李娜", []),  # community B is not in the scoped queryset
])
def test_search_forms(world, term, expected):
    scoped = Household.objects(community=world["A"])
    assert names(search_households(scoped, term)) == expected


@pytest.mark.parametrize("term", [".*", "$ne", '{"$gt": ""}', "^", "[", "(?i)", "\\", "$where", "a|b"])
def test_search_is_safe_against_regex_and_operator_injection(world, term):
    scoped = Household.objects(community=world["A"])
    assert names(search_households(scoped, term)) == []


def test_search_finds_literal_special_characters(world):
    Household(community=world["A"], room=world["rooms"]["A"]["1-1-102"], name="A.*B",
              owners=[Person(name="A.*B", relation="owner")]).save_versioned(None)
    scoped = Household.objects(community=world["A"])
    assert names(search_households(scoped, ".*")) == []
    assert names(search_households(scoped, "A.*")) == ["A.*B"]


def test_search_box_page_lists_results_and_escapes_input(client_as, world):
    client = client_as("clerk")
    page = client.get("/admin/lookup/search?q=<script>alert(1)</script>").data.decode()
    assert "<script>alert(1)</script>" not in page
    page = client.get("/admin/lookup/search?q=8000").data.decode()
    assert "1 household found." in page and "张伟" in page


def test_lookup_page_shows_grid_of_unit(client_as, world):
    client = client_as("clerk")
    unit = Unit.objects(community=world["A"]).get()
    page = client.get(f"/admin/lookup/?community={world['A'].pk}&building={unit.building.pk}"
                      f"&unit={unit.pk}").data.decode()
    assert 'id="lookup-grid"' in page and "张伟" in page and "Michael Brown" in page
    # another community's unit id gives no grid
    unit_b = Unit.objects(community=world["B"]).get()
    page = client.get(f"/admin/lookup/?community={world['B'].pk}&building={unit_b.building.pk}"
                      f"&unit={unit_b.pk}").data.decode()
    assert "李娜" not in page


def test_search_results_show_phones_masked_by_role(client_as, world):
    clerk_page = client_as("clerk").get("/admin/lookup/search?q=8000").data.decode()
    assert "13800138000" in clerk_page[clerk_page.index('id="search-results"'):]
    cashier_page = client_as("cashier").get("/admin/lookup/search?q=8000").data.decode()
    results = cashier_page[cashier_page.index('id="search-results"'):]
    assert "13800138000" not in results and "138****8000" in results
