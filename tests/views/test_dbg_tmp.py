from tests.services_support import make_complaint
from documents.staff import Staff
def test_dbg(app, world, client_as):
    from tests.support import english_request
    with english_request(app):
        c = make_complaint(world)
        c.assign(world["staff"]["supervisor"], "landscaping")
    Staff.objects(username="manager").update_one(set__language="zh_Hans_CN")
    cl = client_as("manager")
    for url in ["/admin/complaints/", f"/admin/complaints/details/?id={c.pk}", f"/admin/complaints/step/assign/?id={c.pk}", "/admin/handover/", "/admin/complaints/export/csv/", f"/admin/complaints/edit/?id={c.pk}", "/admin/complaints/new/", "/admin/visits/new/"]:
        html = cl.get(url).get_data(as_text=True)
        for w in ["Landscaping", "Customer service", "On site", "已到场"]:
            if w in html:
                i = html.index(w); print(url, w, repr(html[max(0,i-100):i+30]))
