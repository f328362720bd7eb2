"""Deterministic demo data: `flask seed`. Running it twice creates nothing new."""
import os
import secrets

from documents.agenda import sweep
from documents.fees.dunning import seed_dunning
from seed import (archive_access, events, feedback, fees, item_release, keys, lost_found, movein, places,
                  renovations, rental, residents, services, staff, surveys, vacancy)


def demo_password() -> tuple[str, bool]:
    """DEMO_PASSWORD from the environment, else a fresh random one (printed once by the caller)."""
    value = os.environ.get("DEMO_PASSWORD")
    if value:
        return value, False
    return secrets.token_urlsafe(9), True


def run(households_per_community=(200, 100)) -> str:
    communities = places.seed_places()
    created_households = residents.seed_households(communities, households_per_community)
    password, generated = demo_password()
    created_staff = staff.seed_staff(communities, password)
    events.seed_events(communities)
    created_services = services.seed_services(communities)
    lines = [f"Communities: {len(communities)}; new households: {created_households}; "
             f"new staff accounts: {len(created_staff)}; new service records: {created_services}"]
    lines.append(f"New feedback records: {feedback.seed_feedback(communities)}")
    lines.append(f"New renovation files: {renovations.seed_renovations(communities)}")
    lines.append(f"New archive access requests: {archive_access.seed_access(communities)}")
    lines.append(f"New vacancy applications: {vacancy.seed_vacancies(communities)}")
    lines.append(f"New rental listings: {rental.seed_rental(communities)}")
    lines.append(f"Fees: {fees.seed_fees(communities)}")
    lines.append(f"New dunning records: {seed_dunning(communities)}")
    lines.append(f"New key sets: {keys.seed_keys(communities)}")
    lines.append(f"New move-in files: {movein.seed_move_ins(communities)}")
    lines.append(f"New item release forms: {item_release.seed_item_releases(communities)}")
    lines.append(f"New found items: {lost_found.seed_found_items(communities)}")
    lines.append(f"Survey questionnaires back: {surveys.seed_surveys(communities)}")
    # the demo's deadlines that passed "before" the seed: breached and escalated at their moment,
    # as the scheduler of `make run` would within a minute
    lines.append(f"Agenda: {sweep()}")
    if created_staff:
        lines.append("Demo accounts: " + ", ".join(created_staff))
        if generated:
            lines.append(f"Demo password (shown only now): {password}")
        else:
            lines.append("Demo password: the value of DEMO_PASSWORD")
    return "\n".join(lines)
