"""Rental agency through the pages, in English and Chinese: owner data kept from the prospect's page
and print and from roles that do not deal with owners, the deposit and lease-fee refusals on their
fields (nothing saved), the receipts printed, signing with the copies, scoping and export."""
import io
from datetime import datetime
from decimal import Decimal

import pytest

from app import clock
from documents.rental import Listing, Prospect, RentalReceipt
from documents.residents import Household
from tests.support import english_request, separate_requests

TENANT_ID = "110105199001011232"


@pytest.fixture
def rv(app, world):
    clock.freeze(datetime(2026, 12, 6, 2, 0))
    with english_request(app):
        listing = Listing(household=world["hh_a2"], community=world["A"], bedrooms=2, furnishing="full",
                          rent_wanted=Decimal("3000"), owner_terms="不养宠物", owner_name="王业主",
                          owner_phone="13912345678")
        listing.save_versioned(None)
        prospect = Prospect(community=world["A"], name="赵租客", phone="13600001234", bedrooms=2,
                            rent_max=Decimal("3500"))
        prospect.save_versioned(None)
    world["listing"], world["prospect"] = listing, prospect
    with separate_requests(app):
        yield world


def in_chinese(client):
    client.post("/auth/language", data={"language": "zh_Hans_CN"})
    return client


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_prospect_page_and_print_never_show_the_owner(rv, client_as, lang):
    page = client_as("clerk").get(f"/admin/rental_listings/for-prospect/?id={rv['listing'].pk}&lang={lang}")
    html = page.get_data(as_text=True)
    assert "3,000.00" in html and "不养宠物" in html
    assert "王业主" not in html and "13912345678" not in html
    assert ("出租房源" if lang == "zh" else "Flat to let") in html


def test_owner_data_shown_to_customer_service_only(rv, client_as):
    url = f"/admin/rental_listings/details/?id={rv['listing'].pk}"
    assert "13912345678" in client_as("clerk").get(url).get_data(as_text=True)
    client_as("clerk").post(f"/admin/rental_listings/edit/?id={rv['listing'].pk}", data={
        "household": str(rv["hh_a2"].pk), "bedrooms": "2", "furnishing": "full", "rent_wanted": "3000",
        "owner_terms": "不养宠物", "owner_name": "王业主", "owner_phone": "13912345679",
        "record_version": str(rv["listing"].version)})
    assert Listing.objects(pk=rv["listing"].pk).first().owner_phone == "13912345679"
    cashier_page = client_as("cashier").get(url).get_data(as_text=True)
    assert "1391234567" not in cashier_page and "王业主" not in cashier_page    # nor in the history
    assert client_as("manager_b").get(url).status_code in (302, 404)


def test_prospect_page_lists_matching_listings(rv, client_as):
    html = in_chinese(client_as("clerk")).get(
        f"/admin/rental_prospects/details/?id={rv['prospect'].pk}").get_data(as_text=True)
    assert "匹配房源" in html and "1-1-201" in html and "王业主" not in html


@pytest.mark.parametrize("lang,message", [("en", "The viewing deposit is exactly 100.00 yuan."),
                                          ("zh", "看房押金为 100.00 元")])
def test_a_deposit_other_than_100_is_refused_on_the_field(rv, client_as, lang, message):
    prospect = rv["prospect"]
    Prospect.objects(pk=prospect.pk).update_one(set__listing=rv["listing"])
    cashier = client_as("cashier")
    if lang == "zh":
        in_chinese(cashier)
    html = cashier.post(f"/admin/rental_prospects/step/take_deposit/?id={prospect.pk}",
                        data={"amount": "90"}).get_data(as_text=True)
    assert message in html and "invalid-feedback" in html
    assert Prospect.objects(pk=prospect.pk).first().state == "new" and RentalReceipt.objects.count() == 0
    cashier.post(f"/admin/rental_prospects/step/take_deposit/?id={prospect.pk}", data={"amount": "100"})
    receipt = RentalReceipt.objects.get()
    assert Prospect.objects(pk=prospect.pk).first().state == "deposit_paid"
    printed = cashier.get(f"/admin/rental_receipts/print/?id={receipt.pk}&lang=zh").get_data(as_text=True)
    assert "A-ZL2026-00001" in printed and "壹佰元整" in printed


@pytest.mark.parametrize("lang,message", [("en", "agreed rent: 1,500.00 yuan"),
                                          ("zh", "1,500.00 元")])
def test_signing_refuses_a_wrong_fee_then_signs(rv, client_as, lang, message):
    prospect = rv["prospect"]
    Prospect.objects(pk=prospect.pk).update_one(set__listing=rv["listing"])
    client_as("cashier").post(f"/admin/rental_prospects/step/take_deposit/?id={prospect.pk}", data={"amount": "100"})
    clerk = client_as("clerk")
    if lang == "zh":
        in_chinese(clerk)

    def data(fee):
        return {"agreed_rent": "3000", "lease_fee": fee, "lease_start": "2027-01-01", "lease_end": "2027-12-31",
                "id_type": "id_card", "id_number": TENANT_ID,
                "lease_copy": (io.BytesIO(b"%PDF-1.4 lease"), "lease.pdf"),
                "id_copy": (io.BytesIO(b"%PDF-1.4 id"), "id.pdf")}
    url = f"/admin/rental_prospects/step/sign/?id={prospect.pk}"
    html = clerk.post(url, data=data("1000"), content_type="multipart/form-data").get_data(as_text=True)
    assert message in html
    assert Prospect.objects(pk=prospect.pk).first().state == "deposit_paid"
    clerk.post(url, data=data("1500"), content_type="multipart/form-data")
    assert Prospect.objects(pk=prospect.pk).first().state == "signed"
    assert Household.objects(pk=rv["hh_a2"].pk).first().tenants[0].name == "赵租客"
    assert Listing.objects(pk=rv["listing"].pk).first().state == "let"


def test_lists_export_as_xlsx(rv, client_as):
    clerk = client_as("clerk")
    for endpoint in ("rental_listings", "rental_prospects", "rental_receipts", "rental_complaints"):
        response = clerk.get(f"/admin/{endpoint}/export/xlsx/")
        assert response.status_code == 200 and response.data[:2] == b"PK", endpoint
    assert client_as("housekeeper").get("/admin/rental_listings/export/xlsx/").status_code == 403


@pytest.mark.parametrize("lang,words", [("en", ["Listings", "Available", "1-1-201"]),
                                        ("zh", ["出租信息明细表", "待租", "1-1-201"])])
def test_list_pages_in_both_languages(rv, client_as, lang, words):
    clerk = client_as("clerk")
    if lang == "zh":
        in_chinese(clerk)
    html = clerk.get("/admin/rental_listings/").get_data(as_text=True)
    assert all(word in html for word in words)
    for endpoint in ("rental_prospects", "rental_receipts", "rental_complaints"):
        assert clerk.get(f"/admin/{endpoint}/").status_code == 200
    assert "赵租客" in clerk.get("/admin/rental_prospects/").get_data(as_text=True)


def test_a_complaint_form_starts_the_two_hour_clock(rv, client_as):
    from documents.agenda import Clock
    from documents.rental import TenantComplaint
    clerk = client_as("clerk")
    clerk.post("/admin/rental_complaints/new/", data={"listing": str(rv["listing"].pk), "content": "楼上噪音"})
    complaint = TenantComplaint.objects.get()
    assert complaint.report_due_at == datetime(2026, 12, 6, 4, 0)
    assert Clock.objects(kind="rental_complaint_report", phase="open").count() == 1
    html = in_chinese(clerk).get(f"/admin/rental_complaints/step/report/?id={complaint.pk}").get_data(as_text=True)
    assert "上报上级" in html


def test_no_deal_prints_both_receipts_in_english(rv, client_as):
    prospect = rv["prospect"]
    Prospect.objects(pk=prospect.pk).update_one(set__listing=rv["listing"])
    cashier = client_as("cashier")
    cashier.post(f"/admin/rental_prospects/step/take_deposit/?id={prospect.pk}", data={"amount": "100"})
    cashier.post(f"/admin/rental_prospects/step/no_deal/?id={prospect.pk}", data={"note": "too dear"})
    assert Prospect.objects(pk=prospect.pk).first().state == "no_deal"
    refund = RentalReceipt.objects(kind="refund").get()
    fee = RentalReceipt.objects(kind="viewing_fee").get()
    printed = cashier.get(f"/admin/rental_receipts/print/?id={refund.pk}&lang=en").get_data(as_text=True)
    assert "Rental agency receipt" in printed and "Paid out:" in printed and "¥90.00" in printed
    printed = cashier.get(f"/admin/rental_receipts/print/?id={fee.pk}&lang=en").get_data(as_text=True)
    assert "Viewing service fee" in printed and "¥10.00" in printed and "Paid out" not in printed
    assert client_as("clerk").post(f"/admin/rental_prospects/step/no_deal/?id={prospect.pk}").status_code == 403


def test_choosing_a_matching_listing_then_the_filed_copies_are_served_in_scope(rv, client_as):
    prospect = rv["prospect"]
    clerk = client_as("clerk")
    page = clerk.get(f"/admin/rental_prospects/details/?id={prospect.pk}").get_data(as_text=True)
    assert "choose-listing" in page
    clerk.post(f"/admin/rental_prospects/do/choose/?id={prospect.pk}", data={"listing": "nonsense"})
    assert Prospect.objects(pk=prospect.pk).first().listing is None
    clerk.post(f"/admin/rental_prospects/do/choose/?id={prospect.pk}", data={"listing": str(rv["listing"].pk)})
    assert Prospect.objects(pk=prospect.pk).first().listing.pk == rv["listing"].pk
    assert client_as("cashier").post(f"/admin/rental_prospects/do/choose/?id={prospect.pk}",
                                     data={"listing": str(rv["listing"].pk)}).status_code == 403
    client_as("cashier").post(f"/admin/rental_prospects/step/take_deposit/?id={prospect.pk}", data={"amount": "100"})
    clerk.post(f"/admin/rental_prospects/step/sign/?id={prospect.pk}", content_type="multipart/form-data", data={
        "agreed_rent": "3000", "lease_fee": "1500", "lease_start": "2027-01-01", "lease_end": "2027-12-31",
        "id_type": "id_card", "id_number": TENANT_ID, "lease_copy": (io.BytesIO(b"%PDF-1.4 lease"), "lease.pdf"),
        "id_copy": (io.BytesIO(b"%PDF-1.4 id"), "id.pdf")})
    from documents.rental import RentalFile
    lease = RentalFile.objects(kind="lease").get()
    assert clerk.get(f"/admin/rental_prospects/file/{lease.pk}/").data == b"%PDF-1.4 lease"
    assert client_as("manager_b").get(f"/admin/rental_prospects/file/{lease.pk}/").status_code == 404
    assert "lease.pdf" in clerk.get(f"/admin/rental_prospects/details/?id={prospect.pk}").get_data(as_text=True)


def test_a_listing_created_takes_the_owner_from_the_archive_when_left_empty(rv, client_as):
    clerk = client_as("clerk")
    clerk.post("/admin/rental_listings/new/", data={"household": str(rv["hh_a"].pk), "bedrooms": "1",
                                                     "furnishing": "bare", "rent_wanted": "1800"})
    created = Listing.objects(room_code="1-1-101").get()
    assert (created.owner_name, created.owner_phone, created.community.pk) == ("张伟", "13800138000", rv["A"].pk)
    html = in_chinese(clerk).post("/admin/rental_listings/new/", data={
        "household": str(rv["hh_a"].pk), "bedrooms": "0", "furnishing": "bare", "rent_wanted": "1800"}
    ).get_data(as_text=True)
    assert Listing.objects.count() == 2 and "is-invalid" in html        # bedrooms 0: refused, nothing saved
