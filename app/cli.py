"""`flask` commands: seed the demo data, create an administrator, deliver waiting audit entries, sweep,
bill a month."""
import click
from flask.cli import with_appcontext


def init_app(app):
    register_storage_commands(app)

    @app.cli.command("seed")
    @click.option("--if-empty", is_flag=True, help="Only seed when there are no staff accounts yet.")
    @with_appcontext
    def seed_command(if_empty):
        """Load the deterministic demo data (idempotent)."""
        from documents.staff import Staff
        from seed import run

        if if_empty and Staff.objects.first() is not None:
            click.echo("Demo data already present; not seeding again.")
            return
        report = run()
        click.echo(report)

    @app.cli.command("create-admin")
    @click.argument("username")
    @click.password_option()
    @with_appcontext
    def create_admin(username, password):
        """Create (or reset) an administrator account."""
        from documents.staff import Staff

        staff = Staff.objects(username=username).first() or Staff(username=username, display_name=username)
        staff.roles = sorted(set(staff.roles or []) | {"admin"})
        staff.set_password(password)
        staff.save()
        click.echo(f"Administrator {username} is ready.")

    @app.cli.command("flush-audit")
    @with_appcontext
    def flush_audit():
        """Deliver audit entries left in records by a process that died mid-step (documents/workflow.py)."""
        from documents.workflow import deliver_all_audit

        click.echo(f"{deliver_all_audit()} waiting audit entries delivered.")

    @app.cli.command("sweep")
    @with_appcontext
    def sweep_command():
        """Breach and escalate the agenda's due clocks and send notifications (run it from cron)."""
        from documents.agenda import sweep

        click.echo(str(sweep()))

    @app.cli.command("bill")
    @click.option("--month", required=True, help="The month to bill, YYYY-MM (this month or earlier).")
    @click.option("--community", "code", help="One community's code (default: every community).")
    @with_appcontext
    def bill_command(month, code):
        """Make the month's bill lines (idempotent: lines already there are left as they are)."""
        from documents.base import DomainError
        from documents.fees.ledger import generate_bills
        from documents.places import Community

        communities = Community.objects(code=code) if code else Community.objects
        if code and not communities.count():
            raise click.ClickException(f"No community with the code {code}.")
        for community in communities:
            try:
                report = generate_bills(community, month)
            except DomainError as error:
                raise click.ClickException(str(error)) from None
            line = (f"{community.code} {report.period}: {report.created} lines created, {report.existing} already "
                    f"there, {report.households} households")
            if report.without_rate:
                line += "; no rate for: " + ", ".join(report.without_rate)
            if report.without_area:
                line += f"; {report.without_area} rooms without an area"
            click.echo(line)


def register_storage_commands(app):
    """`flask backup PATH` and `flask restore PATH` (app/database.py; MongoDB: mongodump/mongorestore)."""

    @app.cli.command("backup")
    @click.argument("path", type=click.Path(file_okay=False))
    @with_appcontext
    def backup_command(path):
        """Copy the embedded store to PATH (a new directory) while the portal serves."""
        from flask import current_app

        from app.database import backup

        try:
            click.echo(backup(current_app.config["MONGODB_URI"], path))
        except ValueError as error:
            raise click.ClickException(str(error)) from None

    @app.cli.command("restore")
    @click.argument("path", type=click.Path(exists=True, file_okay=False))
    @click.confirmation_option(prompt="Replace the store's contents with the backup?")
    @with_appcontext
    def restore_command(path):
        """Bring back a backup made by `flask backup` (replaces the store's contents)."""
        from flask import current_app

        from app.database import restore

        try:
            click.echo(restore(current_app.config["MONGODB_URI"], path))
        except ValueError as error:
            raise click.ClickException(str(error)) from None
