"""Format rules for personal data."""
import pytest
from mongoengine import ValidationError

from documents.validators import (id_card_check_digit, id_document_problem, mask_id, mask_phone,
                                  validate_mobile, validate_plate)


@pytest.mark.parametrize("number", ["11010519491231002X", "440305199001011234"[:17] +
                                    id_card_check_digit("44030519900101123")])
def test_valid_id_cards(number):
    assert id_document_problem("id_card", number) is None


@pytest.mark.parametrize("number, why", [
    ("110105194912310021", "check digit"),      # last digit wrong (should be X)
    ("11010519491331002X", "birth date"),       # month 13
    ("1101051949123100", "18 characters"),      # too short
    ("11010519491231002Y", "18 characters"),    # bad last character
])
def test_invalid_id_cards(number, why):
    assert why in id_document_problem("id_card", number)


def test_lowercase_x_is_accepted_as_check_digit():
    assert id_document_problem("id_card", "11010519491231002x") is None


@pytest.mark.parametrize("id_type, good, bad", [
    ("passport", "E12345678", "E1-23"),
    ("hk_macau_permit", "H12345678", "X12345678"),
    ("taiwan_permit", "12345678", "1234567"),
])
def test_other_id_documents(id_type, good, bad):
    assert id_document_problem(id_type, good) is None
    assert id_document_problem(id_type, bad) is not None


@pytest.mark.parametrize("phone", ["13800138000", "+86 139 1234 5678", "199-0000-1111"])
def test_valid_mobiles(phone):
    validate_mobile(phone)


@pytest.mark.parametrize("phone", ["12800138000", "1380013800", "010-12345678", "abc"])
def test_invalid_mobiles(phone):
    with pytest.raises(ValidationError):
        validate_mobile(phone)


@pytest.mark.parametrize("plate", ["粤B12345", "京A8888Z", "粤BD12345", "沪AF1234X"])
def test_valid_plates(plate):
    validate_plate(plate)


@pytest.mark.parametrize("plate", ["B12345", "粤I12345", "粤B1234", "粤B1234567", "XX12345"])
def test_invalid_plates(plate):
    with pytest.raises(ValidationError):
        validate_plate(plate)


def test_masks_keep_only_what_a_clerk_needs_to_recognise():
    assert mask_phone("13800138000") == "138****8000"
    assert mask_id("11010519491231002X") == "110***********002X"


def test_masking_an_empty_value_shows_nothing():
    from documents.validators import mask_id, mask_phone
    assert (mask_phone(""), mask_phone(None), mask_id("")) == ("", "", "")
    assert mask_phone("13800138000") == "138****8000"
