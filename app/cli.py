"""`flask` commands: seed the demo data, create an administrator, deliver waiting audit entries."""
import click
from flask.cli import with_appcontext


def init_app(app):
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
