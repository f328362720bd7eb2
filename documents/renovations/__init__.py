"""Renovation files (装修): application, approval, fees, permits, patrols, inspections, refund.

One package, split by concern:

- `file`: the Renovation document, its workflow (every step declared once) and main steps;
- `permits`: temporary passes, temporary power, hot work; when large items may leave (they leave on the
  item release form of documents/item_release.py, source "renovation");
- `patrols`: patrol due dates by phase, violations and their rectification;
- `fees`: the cashier's "fees and deposit paid" and its receipt;
- `refund`: deductions (never beyond the deposit), the manager's approval above the community's
  limit, the refund exactly once and its receipt;
- `attachments`: the contractor's documents and photos;
- `common`, `parts`, `receipts`: vocabularies, embedded parts, receipt numbering.
"""
from documents.renovations.attachments import (ATTACHMENT_KINDS, DOCUMENT_UPLOAD, MAX_ATTACHMENT_BYTES,
                                                PHOTO_UPLOAD, REQUIRED_DOCUMENTS, RenovationAttachment,
                                                upload_rule)
from documents.renovations.common import (AREA, INSPECTION_KINDS, PAYMENT_METHODS, PHASES, REFUND_METHODS,
                                          STATES, amount_problem, as_date, licence_problem, local_today, new_key,
                                          phase_label, uscc_check_char)
from documents.renovations.fees import FeePayment
from documents.renovations.file import PERMIT_STATES, Renovation
from documents.renovations.parts import Contractor, Inspection, InspectionItem, OtherFee, Worker
from documents.renovations.patrols import (VIOLATION_TYPES, Patrol, Violation, due_patrols, next_patrol_due,
                                           count_due_patrols, patrol_buildings, patrol_status)
from documents.renovations.permits import (MAX_HOT_WORK_HOURS, PERMIT_CODES, PERMIT_FIELDS, PERMIT_KINDS,
                                           PERMIT_STATUSES, RELEASE_KIND, Permit, load_problem, permit_step)
from documents.renovations.refund import DepositRefund

__all__ = [
    "AREA", "ATTACHMENT_KINDS", "DOCUMENT_UPLOAD", "INSPECTION_KINDS", "MAX_ATTACHMENT_BYTES",
    "MAX_HOT_WORK_HOURS", "PAYMENT_METHODS", "PERMIT_CODES", "PERMIT_FIELDS", "PERMIT_KINDS", "PERMIT_STATES",
    "PERMIT_STATUSES", "PHASES", "RELEASE_KIND", "PHOTO_UPLOAD", "REFUND_METHODS", "REQUIRED_DOCUMENTS", "STATES",
    "VIOLATION_TYPES", "Contractor", "DepositRefund", "FeePayment", "Inspection", "InspectionItem", "OtherFee",
    "Patrol", "Permit", "Renovation", "RenovationAttachment", "Violation", "Worker", "amount_problem", "as_date",
    "due_patrols", "licence_problem", "load_problem", "local_today", "new_key", "next_patrol_due", "count_due_patrols", "patrol_buildings",
    "patrol_status", "permit_step", "phase_label", "upload_rule", "uscc_check_char",
]
