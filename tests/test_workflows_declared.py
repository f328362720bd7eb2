"""Every area's declared workflow is complete: each step has a right in the role map, a label in
both languages, a document method, and a button or page; no function is too complex to read."""
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale

from app.permissions import PERMISSIONS
from documents.workflow import REGISTRY

ROOT = Path(__file__).resolve().parents[1]
ZH = ROOT / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
MAX_COMPLEXITY = 20


def area_workflows(app):
    """The workflows of the portal's areas (tests may declare toy ones; they are not counted)."""
    return [w for w in REGISTRY.values() if not w.model.__module__.startswith("tests.")]


def test_the_areas_declare_their_workflows(app):
    assert set(AREAS) <= {w.area for w in area_workflows(app)}


AREAS = ["renovations", "repairs", "complaints", "events", "notices", "handover", "archive_access", "vacancies",
         "feedback", "liaison_slips", "complaint_relays", "rental"]
#: steps without a step page or a row form of their own view, and where they are taken instead
TAKEN_ELSEWHERE = {
    ("repairs", "return_visit"): "the visit log (Log visit)",
    ("complaints", "return_visit"): "the visit log (Log visit)",
    ("handover", "acknowledge"): "the shift handover page",
    ("archive_access", "request"): "the request form (AccessRequestView.ask_view, from the household page)",
    ("vacancies", "apply"): "the application form (VacancyView.apply_view)",
    ("events", "promote"): "nobody: the system moves a sign-up up from the waiting list",
    ("rental", "let"): "signing the lease (Prospect.sign, the prospect's step page)",
}


@pytest.mark.parametrize("area", AREAS)
def test_every_step_has_a_right_a_label_a_method_and_a_page(app, area):
    with open(ZH, "rb") as fh:
        chinese = {m.id: m.string for m in read_po(fh) if m.id}
    views = {getattr(v, "model", None): v for v in app.extensions["estate_admin"]._views}
    problems = []
    for workflow in [w for w in area_workflows(app) if w.area == area]:
        for step in workflow.steps:
            where = f"{workflow.area}:{workflow.model.__name__}.{step.name}"
            area = step.area or workflow.area
            if not any(step.right in rights for rights in PERMISSIONS.get(area, {}).values()):
                problems.append(f"{where}: no role holds {step.right} on {area}")
            if step.label is None:
                problems.append(f"{where}: no label")
            for label in (step.label, step.audit_label):
                if label is None:
                    continue
                with force_locale("en"):
                    english = str(label)
                if not chinese.get(english):
                    problems.append(f"{where}: label {english!r} has no Chinese translation")
            if not callable(getattr(workflow.model, step.method_name, None)):
                problems.append(f"{where}: no method {step.method_name}")
            view = views.get(workflow.model)
            if step.page and (view is None or not hasattr(view, "step_view")):
                problems.append(f"{where}: a page step, but no view with step pages")
            if not step.page and step.name not in getattr(view, "row_step_forms", {}) \
                    and (workflow.area, step.name) not in TAKEN_ELSEWHERE:
                problems.append(f"{where}: no page, no row form, and not known to be taken elsewhere")
    assert problems == []


def test_no_function_is_too_complex_to_read():
    from radon.complexity import cc_visit
    found = []
    for folder in ("app", "documents", "admin_views"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for block in cc_visit(path.read_text(encoding="utf-8")):
                if block.complexity > MAX_COMPLEXITY:
                    found.append(f"{path.relative_to(ROOT)}:{block.lineno} {block.name} ({block.complexity})")
    assert found == [], "split these (radon cc): " + ", ".join(found)
