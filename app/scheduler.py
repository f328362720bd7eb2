"""The in-process scheduler: runs the agenda's sweeper every minute (`RUN_SCHEDULER=1`, `make run`).

APScheduler's background thread calls `documents.agenda.sweep` inside an application context.
Other processes may sweep at the same time (cron's `flask sweep`, a second worker): the sweep's
lease lets one run at a time and every effect happens once, so nothing here coordinates them.
"""
import atexit
import logging

from apscheduler.schedulers.background import BackgroundScheduler

log = logging.getLogger(__name__)


def start_scheduler(app) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(daemon=True, timezone="UTC")

    def run_sweep():
        from documents.agenda import sweep
        with app.app_context():
            try:
                report = sweep()
            except Exception:  # noqa: BLE001 - a failed sweep is logged and tried again next minute
                log.exception("sweep failed")
                return
            if report.breached or report.escalated or report.delivered:
                log.info("sweep: %s", report)

    scheduler.add_job(run_sweep, "interval", seconds=app.config.get("SWEEP_SECONDS", 60),
                      id="sweep", max_instances=1, coalesce=True)
    scheduler.start()
    atexit.register(lambda: scheduler.shutdown(wait=False))
    app.extensions["scheduler"] = scheduler
    return scheduler
