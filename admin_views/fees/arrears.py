"""Arrears (欠费) and dunning (催缴) pages: the list with its filters, export and letters, a household's
arrears and dunning history, the contact form. Thin: every rule is in documents/fees/dunning.py."""
import secrets
from types import SimpleNamespace

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.helpers import get_redirect_target
from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from admin_views.base import SecurePage, raw_id, scoped_or_404, show_refusal, user_communities
from admin_views.datetimes import TypedDateField, TypedDateTimeField
from admin_views.exports import record_export, rows_response
from app import clock
from app.i18n import current_language
from app.permissions import can
from documents.base import DomainError
from documents.deadlines import local_text, to_local, to_utc, zone_of
from documents.fees.dunning import (AGING, CONTACT_FILTERS, IN_ARREARS, METHODS, RIGHT, Contact, DunningRecord,
                                    aging_label, arrears_for, check_contact, check_pay_by, household_in_arrears,
                                    letter_for, may_see, own_buildings, record_contact, unpaid_lines)
from documents.fees.ledger import Account, settle_household
from documents.places import Building
from documents.residents import Household

AREA = "fees"
PAGE_SIZE = 20
#: letters printed at once at the most (a building's arrears; narrow the list for more)
MAX_LETTERS = 300
SORT_CHOICES = [("owed", _l("Owed, most first")), ("room", _l("Room"))]


class ContactForm(FlaskForm):
    """A dunning contact, typed in the local time of the household's community; every problem the
    document can see is shown on its field at once."""
    household = StringField(_l("Room"), validators=[DataRequired()], description=_l("e.g. 3-2-1201"))
    method = SelectField(_l("Contact method"), choices=METHODS, validators=[DataRequired()])
    contacted_at = TypedDateTimeField(_l("Contacted at"), validators=[InputRequired()])
    resident_said = TextAreaField(_l("What the resident said"), validators=[Optional(), Length(max=2000)])
    promised_on = TypedDateField(_l("Promised payment date"), validators=[Optional()],
                                 description=_l("Empty when no date was promised"))
    next_step = TextAreaField(_l("Next step"), validators=[Optional(), Length(max=500)])
    submission_key = HiddenField()

    def contact(self, community) -> Contact:
        at = self.contacted_at.data
        return Contact(method=self.method.data, contacted_at=to_utc(at, zone_of(community)) if at else None,
                       resident_said=self.resident_said.data or "", promised_on=self.promised_on.data,
                       next_step=self.next_step.data or "")

    def prefill(self, household):
        zone = zone_of(household.community if household else None)
        self.contacted_at.data = to_local(clock.now(), zone).replace(tzinfo=None, second=0, microsecond=0)
        self.submission_key.data = secrets.token_urlsafe(16)
        if household is not None:
            self.household.data = household.room_code


def _choice(value, allowed, default=""):
    return value if value in allowed else default


class ArrearsView(SecurePage):
    area = AREA

    # --- the list ---
    def _communities(self):
        communities = user_communities()
        chosen = request.args.get("community", "")
        picked = [c for c in communities if str(c.pk) == chosen]
        return communities, (picked or communities)

    def _query(self):
        communities, shown = self._communities()
        args = request.args
        choices = {"building": (args.get("building") or "").strip()[:10],
                   "aging": _choice(args.get("aging", ""), IN_ARREARS),
                   "contact": _choice(args.get("contact", ""), dict(CONTACT_FILTERS)),
                   "sort": _choice(args.get("sort", ""), ("owed", "room"), "owed")}
        return communities, shown, choices, arrears_for(current_user, shown, **choices)

    def _buildings(self, communities) -> list[str]:
        own = own_buildings(current_user)
        numbers = {b.number for b in Building.objects(community__in=[c.pk for c in communities]).only("number")}
        numbers = numbers if own is None else numbers & set(own)
        return sorted(numbers, key=lambda n: (len(n), n))

    @expose("/")
    def index(self):
        communities, shown, choices, query = self._query()
        queryset = query.queryset()
        total = queryset.count()
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(max(0, request.args.get("page", 0, type=int) or 0), pages - 1)
        rows = list(queryset.skip(page * PAGE_SIZE).limit(PAGE_SIZE).no_dereference())
        by_id = {c.pk: c for c in shown}
        filters = {k: v for k, v in dict(request.args.items()).items() if k != "page" and v}
        return self.render("fees/arrears/index.html", rows=rows, total=total, page=page, pages=pages,
                           filters=filters, choices=choices, communities=communities, shown=shown,
                           buildings=self._buildings(shown), aging_choices=AGING, contact_choices=CONTACT_FILTERS,
                           sort_choices=SORT_CHOICES, aging_label=aging_label, method_label=_method_label,
                           local_text=local_text, can_dun=can(AREA, RIGHT), can_export=can(AREA, "export"),
                           own=own_buildings(current_user), dun_buildings=own_buildings(current_user, RIGHT),
                           max_letters=MAX_LETTERS, raw_id=raw_id,
                           community_of=lambda row: by_id.get(raw_id(row.community)))

    @expose("/export/<export_type>/")
    def export(self, export_type):
        if export_type not in ("csv", "xlsx"):
            abort(404)
        if not can(AREA, "export"):
            abort(403)
        communities_all, shown, choices, query = self._query()
        queryset = query.queryset().no_dereference()
        communities = {c.pk: c for c in shown}
        titles = [_("Room"), _("Household"), _("Building no."), _("Owed"), _("Unpaid lines"),
                  _("Oldest unpaid since"), _("Aging"), _("Last contact"), _("Contact method"), _("Contacted by"),
                  _("Promised payment date")]
        record_export(SimpleNamespace(model=Account, endpoint=self.endpoint, name=self.name), export_type,
                      queryset.count(), _described(choices, shown if len(shown) < len(communities_all) else []))
        stamp = local_text(clock.now(), shown[0] if shown else None, "%Y-%m-%d_%H-%M-%S")
        return rows_response(export_type, f"arrears_{stamp}.{export_type}", titles,
                             (_export_row(account, communities.get(raw_id(account.community))) for account in queryset))

    # --- one household ---
    def _household_or_404(self, raw_id):
        household = scoped_or_404(Household, raw_id)
        if not may_see(current_user, household):
            abort(404)
        return household

    @expose("/household/")
    def household(self):
        household = self._household_or_404(request.args.get("id"))
        account = settle_household(household)
        records = list(DunningRecord.objects(household=household).order_by("-contacted_at").limit(100))
        return self.render("fees/arrears/household.html", household=household, account=account,
                           lines=unpaid_lines(household), records=records, aging_label=aging_label,
                           local_text=local_text, can_dun=can(AREA, RIGHT) and may_dun(household),
                           in_arrears=account.aging in IN_ARREARS)

    @expose("/record/")
    def record(self):
        """A dunning record (the agenda's link of a promise): the household's arrears page."""
        record = scoped_or_404(DunningRecord, request.args.get("id"))
        return redirect(url_for(".household", id=str(record.household.pk)))

    @expose("/contact/", methods=("GET", "POST"))
    def contact(self):
        if not can(AREA, RIGHT):
            abort(403)
        communities = user_communities()
        chosen = request.args.get("household", "")
        household = self._household_or_404(chosen) if chosen else None
        return_url = get_redirect_target() or (url_for(".household", id=chosen) if chosen else url_for(".index"))
        form = ContactForm()
        if request.method == "GET":
            form.prefill(household)
        elif form.validate():
            try:
                target = household_in_arrears(communities, form.household.data, chosen or None)
                contact = form.contact(target.community)
                problems = check_contact(target, settle_household(target), contact)
                for name, message in problems:
                    getattr(form, name).errors = list(getattr(form, name).errors or []) + [message]
                if not problems:
                    record = record_contact(target, current_user._get_current_object(), contact,
                                            submission_key=form.submission_key.data)
                    flash(_("Dunning contact recorded: %(record)s.", record=str(record)), "success")
                    return redirect(get_redirect_target() or url_for(".household", id=str(target.pk)))
            except DomainError as err:
                show_refusal(form, err)
        return self.render("fees/arrears/contact.html", form=form, household=household, return_url=return_url)

    # --- letters ---
    def _pay_by(self, community):
        try:
            return check_pay_by(request.args.get("pay_by", ""), community)
        except DomainError as err:
            flash(err.message, "error")
            return None

    @expose("/letter/")
    def letter(self):
        household = self._household_or_404(request.args.get("id"))
        letters = [letter_for(household, self._pay_by(household.community))]
        return self._render_letters(letters)

    @expose("/letters/")
    def letters(self):
        _communities, shown, _choices, query = self._query()
        accounts = list(query.queryset().only("household").limit(MAX_LETTERS + 1).no_dereference())
        if len(accounts) > MAX_LETTERS:
            flash(_("More than %(n)d households: choose a building or an aging first.", n=MAX_LETTERS), "error")
            return redirect(url_for(".index", **request.args))
        ids = [raw_id(a.household) for a in accounts]
        households = {h.pk: h for h in Household.objects(pk__in=ids).select_related(max_depth=1)}
        pay_by = self._pay_by(shown[0]) if shown else None
        letters = [letter_for(households[pk], pay_by) for pk in ids if pk in households]
        return self._render_letters(letters)

    def _render_letters(self, letters):
        """The letters on the one A4 frame, in the language asked (?lang=zh|en), else the user's."""
        lang = {"en": "en", "zh": "zh_Hans_CN"}.get(request.args.get("lang"), current_language())
        with force_locale(lang):
            return self.render("fees/arrears/letters.html", letters=letters, lang=lang, printed_at=clock.now())


def _described(choices: dict, communities) -> str:
    """The list's filters as the person chose them, for the export's audit entry."""
    parts = [f"{_('Community')}: {c.display_name(None)}" for c in communities]
    if choices.get("building"):
        parts.append(f"{_('Building no.')}: {choices['building']}")
    if choices.get("aging"):
        parts.append(f"{_('Aging')}: {aging_label(choices['aging'])}")
    if choices.get("contact"):
        parts.append(f"{_('Last contact')}: {dict(CONTACT_FILTERS)[choices['contact']]}")
    parts.append(f"{_('Sort by')}: {dict(SORT_CHOICES)[choices['sort']]}")
    return "; ".join(parts)


def may_dun(household) -> bool:
    """Would the contact form take this household from the logged-in user (own buildings)?"""
    buildings = own_buildings(current_user, RIGHT)
    return buildings is None or household.building_no in buildings


def _method_label(code) -> str:
    return str(dict(METHODS).get(code, code or ""))


def _export_row(account, community) -> list:
    """Numbers as numbers, dates as dates, the last contact on the community's clock, labels for codes."""
    contact = to_local(account.last_contact_at, zone_of(community)).replace(tzinfo=None) \
        if account.last_contact_at else None
    return [account.room_code, account.household_name, account.building_no, account.owed, account.open_lines,
            account.oldest_due_on, aging_label(account.aging), contact, _method_label(account.last_contact_method),
            account.last_contact_by_name or "", account.promised_on]


def register(admin, category):
    admin.add_view(ArrearsView(name=_l("Arrears"), category=category, endpoint="arrears", url="arrears"))
