"""Every page of the key register renders for the key keeper in English and Chinese, with its record."""
from tests.views.test_keys_views import kv, in_chinese, key, loan_data  # noqa
from documents.keys import KeyLoan
def test_every_keys_page_renders_in_both_languages(kv, client_as):
    clerk = client_as("clerk")
    clerk.post("/admin/key_loans/lend/", data=loan_data())
    clerk.post("/admin/key_loans/lend/", data=loan_data(label_code="1-1-102-E", borrower_kind="sales", expected_return_at="2026-12-20 17:00"))
    k = key("1-1-101-E"); l = KeyLoan.objects(state="on_loan").first(); s = KeyLoan.objects(state="awaiting_signature").first()
    urls = ["/admin/key_sets/", "/admin/key_sets/?search=1-1-1", f"/admin/key_sets/details/?id={k.pk}", f"/admin/key_sets/edit/?id={k.pk}",
            "/admin/key_sets/new/", f"/admin/key_sets/step/check_label/?id={k.pk}", f"/admin/key_sets/step/mark_lost/?id={k.pk}",
            f"/admin/key_sets/step/renew_label/?id={k.pk}", "/admin/key_sets/check/", "/admin/key_sets/renew/", "/admin/key_sets/labels/",
            f"/admin/key_sets/issue/?id={key('1-1-201-E').pk}",
            "/admin/key_loans/", f"/admin/key_loans/details/?id={l.pk}", f"/admin/key_loans/step/return_key/?id={l.pk}",
            f"/admin/key_loans/step/chase/?id={l.pk}", f"/admin/key_loans/step/approve/?id={s.pk}", f"/admin/key_loans/step/cancel/?id={s.pk}",
            "/admin/key_loans/lend/", f"/admin/key_loans/lend/?key_set={k.pk}", "/admin/key_loans/return/", "/admin/key_loans/overdue/",
            f"/admin/key_loans/print/?id={l.pk}", "/admin/key_receipts/", "/admin/key_receipts/receive/", "/admin/key_movements/",
            "/admin/key_sets/export/csv/", "/admin/key_loans/export/csv/"]
    for lang in ("en", "zh"):
        if lang == "zh":
            in_chinese(clerk)
        for url in urls:
            r = clerk.get(url)
            assert r.status_code == 200, (url, r.status_code)
            if "id=" in url or "key_set=" in url:
                assert "1-1-" in r.get_data(as_text=True), url
            if lang == "zh" and "export" not in url:
                assert "钥匙" in r.get_data(as_text=True), url
    sup = client_as("supervisor")
    for url in urls[:3] + ["/admin/key_loans/", "/admin/key_loans/overdue/", f"/admin/key_loans/print/?id={l.pk}"]:
        assert sup.get(url).status_code == 200, url
