"""Repairs, complaints and renovation files for the benchmarks, generated fast: the one generator.

`bench.data` loads the households (as the app saves them). On top of it the demo seed walks a
few dozen repairs, complaints and renovation files through the real workflow steps
(`seed.services`, `seed.renovations`): they are the templates, each a realistic document with its
audit entries. `service_records()` then makes any number of records from them in one community:
a copy of a template gets a new id and number, a household of the community (room, room code,
building, name, phone), and all its times moved to a moment of the last `years` years (its audit
entries come along, moved the same way); an open copy gets the open clocks the agenda would have
started for it (`open_clocks()`). Documents go straight into the store (`insert_raw`: the
embedded store's `load_many`, else `insert_many`), not through the app's save paths.

Two benchmarks use it:
- `bench.store`: five years of a small office (`load()`): per community, the work in hand (each
  open template once, recent) and years of finished work, with audit history;
- `bench.handover`: one busy community of only generated records (`busy_community()`: 50,000
  repairs and 10,000 complaints over two years, a tenth of them open, templates seeded in a small
  community of their own), through `add_service_records(..., open_share=OPEN_SHARE)`.
Deterministic for a given seed (but for the moment it runs: times are relative to now).
"""
import copy
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bson import ObjectId

FULL = {"repairs": 100_000, "complaints": 20_000, "renovations": 2_000, "audit": 500_000}
QUICK = {"repairs": 5_000, "complaints": 1_000, "renovations": 200, "audit": 25_000}
YEARS = 5
FINISHED = ("closed", "cancelled", "archived", "refunded", "rejected")
BATCH = 5_000
#: the work in hand was registered this many hours ago (least, most)
RECENT_HOURS = (1, 72)
#: the share of open records in a busy community (`bench.handover`)
OPEN_SHARE = 0.1
#: households of the community the templates are seeded in for `busy_community()` (the seed
#: places its records in up to 24 of them)
TEMPLATE_HOUSEHOLDS = 40


def insert_raw(document_class, docs) -> int:
    """Store raw documents (dicts with the database's field names) without the app's save path."""
    document_class.ensure_indexes()
    collection = document_class._get_collection()
    store = getattr(collection, "_store", None)
    for start in range(0, len(docs), BATCH):
        chunk = docs[start:start + BATCH]
        if hasattr(store, "load_many"):
            store.load_many(chunk)
        else:
            collection.insert_many(chunk)
    return len(docs)


def _shift(value, delta):
    """Every date and time in a document moved by `delta` (embedded documents and lists too)."""
    if isinstance(value, datetime):
        return value + delta
    if isinstance(value, dict):
        return {key: _shift(item, delta) for key, item in value.items()}
    if isinstance(value, list):
        return [_shift(item, delta) for item in value]
    return value


@dataclass
class Templates:
    """Records walked through the real steps, and their audit entries, per collection."""
    docs: dict = field(default_factory=lambda: defaultdict(list))        # collection -> docs
    audit: dict = field(default_factory=lambda: defaultdict(list))       # record id -> entries

    @classmethod
    def read(cls):
        from documents.audit import AuditEntry
        from documents.complaints import Complaint
        from documents.renovations import Renovation
        from documents.repairs import Repair

        templates = cls()
        for model in (Repair, Complaint, Renovation):
            name = model._get_collection_name()
            templates.docs[name] = [doc for doc in model._get_collection().find()
                                    if not doc.get("audit_outbox")]
        for entry in AuditEntry._get_collection().find():
            templates.audit[entry["record_id"]].append(entry)
        return templates


#: (collection, the time that places a record in its year, the number's prefix or None)
KINDS = {"repairs": ("reported_at", "BX"), "complaints": ("received_at", "TS"),
         "renovations": ("created_at", None)}


def service_records(community_id, households, templates, counts, rng, now=None, years=YEARS,
                    audit_budget=None, open_share=None):
    """Documents for `counts` ({collection: n}) records of one community over the last `years`.

    `households`: raw household documents of the community (room, room_code, building_no, name,
    owners). Returns ({collection: [documents]}, [audit entries]); the audit entries stop at
    `audit_budget` if given. Open records keep their recent times (registered `RECENT_HOURS`
    ago: the work in hand); the finished ones are spread evenly over the years. The work in hand
    is each open template once, or, with `open_share` (0.1), that share of the records, each a
    copy of an open template chosen at random.
    """
    now = now or datetime.utcnow()
    out, audit = defaultdict(list), []
    numbers = defaultdict(int)
    for name, count in counts.items():
        time_field, prefix = KINDS[name]
        sources = [doc for doc in templates.docs[name] if doc.get(time_field)]
        finished = [doc for doc in sources if doc.get("state") in FINISHED] or sources
        in_hand = [doc for doc in sources if doc.get("state") not in FINISHED] or sources
        if not sources or not households:
            continue
        for index in range(count):
            if open_share is None:   # each open template once, recent; then finished work
                recent = index < len(sources) and sources[index].get("state") not in FINISHED
                template = sources[index] if recent else finished[index % len(finished)]
            else:
                recent = rng.random() < open_share
                template = rng.choice(in_hand) if recent else finished[index % len(finished)]
            when = now - timedelta(hours=rng.uniform(*RECENT_HOURS)) if recent else \
                now - timedelta(days=rng.uniform(3, 365 * years))
            delta = when - template[time_field]
            doc = _shift(copy.deepcopy(template), delta)
            household = households[rng.randrange(len(households))]
            doc["_id"] = ObjectId()
            doc["community"] = community_id
            _place(doc, household)
            if prefix:
                day = doc[time_field].strftime("%Y%m%d")
                numbers[day, prefix] += 1
                # from 501 on: the day's own sequence (the seeded records, new ones) starts at 001
                doc["number"] = f"{prefix}{day}-{500 + numbers[day, prefix]:03d}"
            elif doc.get("permit_no"):
                numbers["permit"] += 1
                doc["permit_no"] = f"P-ZX{doc[time_field]:%Y}-{numbers['permit']:05d}"
            out[name].append(doc)
            for entry in templates.audit.get(str(template["_id"]), ()):
                if audit_budget is not None and len(audit) >= audit_budget:
                    break
                moved = _shift(copy.deepcopy(entry), delta)
                moved["_id"] = ObjectId()
                moved.update(record_id=str(doc["_id"]), community=community_id,
                             record_label=doc.get("number") or doc.get("room_code") or "")
                if moved.get("household") is not None:
                    moved["household"] = household["_id"]
                audit.append(moved)
    return out, audit


def open_clocks(records, now=None) -> list:
    """The open clocks of generated repairs and complaints, as `agenda.sync` would have started
    them (one per deadline the record's state runs), breached if the deadline has passed.

    `records`: {collection: [documents]} as `service_records()` returns them."""
    from documents.agenda import BREACHED, KINDS_OF, RUNNING, Clock
    from documents.complaints import Complaint
    from documents.repairs import Repair

    now = now or datetime.utcnow()
    clocks = []
    for model in (Repair, Complaint):
        name = model._get_collection_name()
        for doc in records.get(name, ()):
            if doc.get("state") in FINISHED:
                continue
            record = model._from_son(doc)
            for kind in KINDS_OF[model.__name__]:
                if not kind.wants(record):
                    continue
                due = kind.due_of(record)
                late = due < now
                clocks.append(Clock(
                    kind=kind.name, collection=name, record_id=record.pk, record_label=record.number,
                    community=record.community, building_no=record.building_no, due_at=due,
                    responsible_role=kind.role, started_at=due - timedelta(hours=1),
                    state=BREACHED if late else RUNNING, breached_at=due if late else None,
                    next_at=None if late else due).to_mongo().to_dict())
    return clocks


def stopped_clocks(records) -> list:
    """The clocks finished repairs and complaints ran and stopped, as `agenda.sync` stopped them: per
    kind of the record's model whose deadline the record kept (`due_field`), met at its fact
    (`done_field`) when that came by the deadline, else breached at the deadline; a kind whose
    fact never came (a cancelled record) was cancelled. The history a KPI page reads.

    `records`: {collection: [documents]} as `service_records()` returns them."""
    from documents.agenda import BREACHED, CANCELLED, DONE, KINDS_OF, MET
    from documents.complaints import Complaint
    from documents.repairs import Repair

    clocks = []
    for model in (Repair, Complaint):
        name = model._get_collection_name()
        for doc in records.get(name, ()):
            if doc.get("state") not in FINISHED:
                continue
            for kind in KINDS_OF[model.__name__]:
                due = doc.get(kind.due_field)
                if not isinstance(due, datetime):
                    continue
                done = doc.get(kind.done_field) if kind.done_field else None
                state = CANCELLED if not isinstance(done, datetime) else MET if done <= due else BREACHED
                clocks.append({
                    "_id": ObjectId(), "kind": kind.name, "collection": name, "record_id": doc["_id"], "round": 0,
                    "record_label": doc.get("number"), "community": doc["community"],
                    "building_no": doc.get("building_no"), "due_at": due, "responsible_role": kind.role,
                    "state": state, "phase": DONE, "started_at": due - timedelta(hours=24),
                    "met_at": done if state == MET else None, "breached_at": due if state == BREACHED else None,
                    "stopped_at": done or due, "level": 0, "version": 1})
    for clock in clocks:
        for key in [k for k, v in clock.items() if v is None]:
            del clock[key]
    return clocks


def work_in_hand(records, clocks) -> dict:
    """What a handover counts of generated records: open repairs (and how many are late: their
    clock breached), open complaints."""
    from documents.agenda import BREACHED

    def open_of(name):
        return sum(doc.get("state") not in FINISHED for doc in records.get(name, ()))
    return {"open_repairs": open_of("repairs"), "open_complaints": open_of("complaints"),
            "late_repairs": sum(c["collection"] == "repairs" and c["state"] == BREACHED for c in clocks)}


def _place(doc, household):
    """The record belongs to this household's room (a public-area template becomes a repair in the
    room: its building and place belong to the template's community, not this one)."""
    if doc.get("location") == "public":
        doc["location"] = "room"
        for name in ("public_building", "public_place", "public_area", "signed_by_staff"):
            doc.pop(name, None)
    owners = household.get("owners") or [{}]
    doc.update(room=household["room"], household=household["_id"],
               room_code=household.get("room_code"), building_no=household.get("building_no"))
    if "resident_name" in doc or "resident_phone" in doc:
        doc["resident_name"] = household.get("name")
        if owners[0].get("phone"):
            doc["resident_phone"] = owners[0]["phone"]
    if "applicant" in doc:
        doc["applicant"] = household.get("name")
        doc["sort_key"] = household.get("sort_key")


def community_households(community_id):
    """The raw household documents `service_records()` places records in."""
    from documents.residents import Household

    return list(Household._get_collection().find(
        {"community": community_id},
        {"room": 1, "room_code": 1, "building_no": 1, "name": 1, "owners": 1, "sort_key": 1}))


def add_service_records(community, counts, rng, templates=None, audit_budget=0, open_share=None,
                        years=YEARS, now=None) -> dict:
    """Store `counts` ({"repairs": 50_000, "complaints": 10_000, ...}) records in one community,
    with the open clocks of the open ones (see `service_records()` for `open_share` and `years`).

    The store must hold templates (the demo seed's records, e.g. after `load()` or `flask seed`),
    or `templates` be given. `now`: the moment the records lead up to (default: now; an earlier one
    puts them all in the past, e.g. inside one month for `bench.reports`). Returns {collection:
    number stored} (audit entries and clocks included) and the work in hand (`work_in_hand()`)."""
    from documents.agenda import Clock
    from documents.audit import AuditEntry
    from documents.complaints import Complaint
    from documents.renovations import Renovation
    from documents.repairs import Repair

    templates = templates or Templates.read()
    records, audit = service_records(community.pk, community_households(community.pk), templates,
                                     counts, rng, now=now, years=years, audit_budget=audit_budget,
                                     open_share=open_share)
    clocks = open_clocks(records)
    stored = {}
    for model in (Repair, Complaint, Renovation):
        name = model._get_collection_name()
        if records.get(name):
            stored[name] = insert_raw(model, records[name])
    if clocks:
        stored["clocks"] = insert_raw(Clock, clocks)
    if audit:
        stored["audit_entries"] = insert_raw(AuditEntry, audit)
    stored.update(work_in_hand(records, clocks))
    return stored


def busy_community(community, households, repairs, complaints, seed: int = 2026, password: str | None = None) -> dict:
    """`bench.handover`'s community: its places and `households`, then `repairs` and `complaints`
    over two years, `OPEN_SHARE` of them open (some late), copied from templates the seed walks in
    a small community of their own (BENCH-T), so that this one holds only generated records.
    Returns what `add_service_records()` does."""
    from bench.data import make_households, make_places

    make_places(community, households)
    make_households(community, households, random.Random(f"{seed}-{community.code}"))
    templates = template_community(seed, password)
    return add_service_records(community, {"repairs": repairs, "complaints": complaints}, random.Random(seed),
                               templates, open_share=OPEN_SHARE, years=2)


def template_community(seed: int = 2026, password: str | None = None) -> "Templates":
    """A small community of its own (BENCH-T) where the demo seed walks its records through the real
    steps: the templates of generated communities, read before any is generated."""
    from bench.data import make_households, make_places
    from documents.places import Community

    templates_of = Community(code="BENCH-T", name_zh="样板小区", name_en="Template Court").save()
    make_places(templates_of, TEMPLATE_HOUSEHOLDS)
    make_households(templates_of, TEMPLATE_HOUSEHOLDS, random.Random(f"{seed}-templates"))
    return seed_templates([templates_of], password or "bench-" + str(seed), renovations=False)


def seed_templates(communities, password, renovations=True) -> "Templates":
    """Walk the demo seed's records through the real steps in `communities` (and their staff),
    then read them as templates."""
    from seed import renovations as seed_renovations
    from seed import services as seed_services
    from seed import staff as seed_staff

    # the demo's accounts work in a first and a second community: a single one takes both
    seed_staff.seed_staff((communities * 2)[:max(2, len(communities))], password)
    seed_services.seed_services(communities)
    if renovations:
        seed_renovations.seed_renovations(communities)
    return Templates.read()


def household_audit(community_id, households, templates, count, rng, now=None, years=YEARS):
    """`count` more audit entries: changes to archives over the years (cloned from the seed's)."""
    now = now or datetime.utcnow()
    sources = [entry for entries in templates.audit.values() for entry in entries
               if entry.get("collection") == "households"] or \
        [entry for entries in templates.audit.values() for entry in entries]
    entries = []
    for index in range(count):
        entry = copy.deepcopy(sources[index % len(sources)])
        household = households[rng.randrange(len(households))]
        entry.update(_id=ObjectId(), at=now - timedelta(days=rng.uniform(0, 365 * years)),
                     community=community_id, household=household["_id"],
                     record_id=str(household["_id"]), record_label=household.get("room_code") or "")
        entries.append(entry)
    return entries


def load(world, sizes=FULL, seed: int = 2026, password: str | None = None) -> dict:
    """Seed templates through the real steps, then fill five years. Returns timings (seconds)."""
    from documents.agenda import Clock
    from documents.audit import AuditEntry
    from documents.complaints import Complaint
    from documents.renovations import Renovation
    from documents.repairs import Repair

    seconds = {}
    started = time.perf_counter()
    templates = seed_templates(world.communities, password or "bench-" + str(seed))
    seconds["templates (seed through the steps)"] = time.perf_counter() - started

    rng = random.Random(seed)
    weights = [n / sum(world.households) for n in world.households]
    audit_left = sizes["audit"]
    totals = defaultdict(int)
    for community, weight in zip(world.communities, weights):
        started = time.perf_counter()
        households = community_households(community.pk)
        counts = {name: round(sizes[name] * weight) for name in ("repairs", "complaints", "renovations")}
        budget = round(sizes["audit"] * weight)
        records, audit = service_records(community.pk, households, templates, counts, rng,
                                         audit_budget=budget)
        audit += household_audit(community.pk, households, templates, max(0, budget - len(audit)), rng)
        for model in (Repair, Complaint, Renovation):
            totals[model._get_collection_name()] += insert_raw(model, records[model._get_collection_name()])
        insert_raw(Clock, open_clocks(records))
        audit = audit[:audit_left]
        audit_left -= len(audit)
        totals["audit_entries"] += insert_raw(AuditEntry, audit)
        seconds[f"{community.code} five years"] = time.perf_counter() - started
    seconds.update({f"count {name}": n for name, n in totals.items()})
    return seconds
