"""Name search by indexed prefixes: same answers as a case-insensitive 'starts with'."""
from documents.residents import NAME_PREFIX_MAX, Household, Person, name_prefixes, search_households


def names_found(text):
    return sorted(h.name for h in search_households(Household.objects, text))


def test_prefixes_are_lower_case_beginnings_up_to_the_limit():
    assert name_prefixes({"张伟"}) == ["张", "张伟"]
    long = "Maximilian Alexander"
    prefixes = name_prefixes({long})
    assert len(prefixes) == NAME_PREFIX_MAX and "maximilian a" in prefixes and "max" in prefixes
    assert all(p == p.lower() for p in prefixes)


def test_search_by_beginning_of_any_name_in_the_household(world):
    hh = world["hh_a"]
    hh.members = [Person(name="王芳", relation="spouse")]
    hh.save_versioned(hh.version)
    assert names_found("张") == ["张伟"]
    assert names_found("张伟") == ["张伟"]
    assert names_found("王芳") == ["张伟"]          # a member's name finds the household
    assert names_found("michael") == ["Michael Brown"]  # any case
    assert names_found("MICHAEL BR") == ["Michael Brown"]
    assert names_found("Brown") == []               # beginnings only, as before
    assert names_found("李娜") == ["李娜"]            # (scoping is the caller's: all communities here)


def test_names_longer_than_the_prefix_limit_still_match_exactly(world):
    hh = world["hh_a2"]
    hh.name = "Maximilian Alexander Brown"
    hh.save_versioned(hh.version)
    assert names_found("maximilian alexander b") == ["Maximilian Alexander Brown"]
    assert names_found("Maximilian Alexander X") == []


def test_operator_and_regex_text_is_only_text(world):
    for text in (".*", "$ne", '{"$gt": ""}', "^张", "[张李]"):
        assert names_found(text) == []


def test_an_edit_renews_the_prefixes(world):
    hh = world["hh_a"]
    hh.name = "赵云"
    hh.owners[0].name = "赵云"
    hh.save_versioned(hh.version)
    assert names_found("赵") == ["赵云"] and names_found("张") == []
