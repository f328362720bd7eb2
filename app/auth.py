"""Login, logout, own password and language. Sessions carry a version so logout kills old cookies."""
from urllib.parse import urlparse

from bson import ObjectId
from flask import (Blueprint, abort, current_app, flash, has_request_context, redirect,
                   render_template, request, session, url_for)
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from app.extensions import limiter, login_manager
from documents import audit
from documents.base import DomainError
from documents.staff import (LANGUAGES, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, LoginThrottle, Staff,
                             audit_login_failure)

bp = Blueprint("auth", __name__, url_prefix="/auth")


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=40)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    next = HiddenField()


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"),
                                 validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)])
    confirm = PasswordField(_l("Repeat new password"),
                            validators=[DataRequired(), EqualTo("new_password",
                                                                message=_l("The two passwords differ."))])


class LanguageForm(FlaskForm):
    language = SelectField(_l("Language"), choices=LANGUAGES)
    next = HiddenField()


def safe_next(target: str | None) -> str:
    """Only same-site paths are followed after login (no open redirect)."""
    if target:
        parts = urlparse(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("admin.index")


def client_ip() -> str:
    return request.remote_addr or "-"


def _login_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        cfg = current_app.config
        username = form.username.data.strip().lower()
        pair_key, address_key = LoginThrottle.keys(username, client_ip())
        wait = LoginThrottle.wait_seconds(pair_key, address_key)
        if wait:
            flash(_("Too many failed logins. Please wait %(s)d seconds and try again.", s=wait), "error")
            return render_template("auth/login.html", form=form), 429
        staff = Staff.authenticate(username, form.password.data)
        if staff is None:
            waits = {
                "account": LoginThrottle.record_failure(pair_key, cfg["LOGIN_FAILURES_BEFORE_DELAY"],
                                                        cfg["LOGIN_BASE_DELAY_SECONDS"]),
                "address": LoginThrottle.record_failure(address_key,
                                                        cfg["LOGIN_ADDRESS_FAILURES_BEFORE_DELAY"],
                                                        cfg["LOGIN_ADDRESS_BASE_DELAY_SECONDS"]),
            }
            audit_login_failure(username, Staff.objects(username=username).first(), client_ip(), waits)
            flash(_("Wrong username or password, or the account is disabled."), "error")
            return render_template("auth/login.html", form=form), 401
        LoginThrottle.clear(pair_key)
        session.clear()
        login_user(staff)
        session.permanent = True
        staff.record_login()
        audit.record("login", staff, actor=staff)
        return redirect(safe_next(form.next.data))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    staff = current_user._get_current_object()
    audit.record("logout", staff, actor=staff)
    staff.invalidate_sessions()
    logout_user()
    session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        staff = current_user._get_current_object()
        try:
            staff.change_password(form.current_password.data, form.new_password.data)
        except DomainError as err:
            getattr(form, err.field or "new_password").errors.append(err.message)
        else:
            audit.record("change_password", staff, actor=staff)
            login_user(staff)  # this session continues with the new version; all others end
            flash(_("Your password has been changed. Other sessions have been logged out."), "success")
            return redirect(url_for("admin.index"))
    return render_template("auth/password.html", form=form)


@bp.route("/language", methods=["POST"])
def language():
    form = LanguageForm()
    if not form.validate_on_submit():
        abort(400)
    session["language"] = form.language.data
    if current_user.is_authenticated:
        Staff.objects(pk=current_user.pk).update_one(set__language=form.language.data)
    return redirect(safe_next(form.next.data or request.referrer and urlparse(request.referrer).path))


@login_manager.user_loader
def load_user(user_id: str):
    pk, _sep, version = (user_id or "").partition(":")
    if not ObjectId.is_valid(pk) or not version.isdigit():
        return None
    staff = Staff.objects(pk=pk, active=True).first()
    if staff is None or (staff.session_version or 0) != int(version):
        return None
    return staff


def error_page(status, level, title, message, back_endpoint="admin.index", back_label=None):
    return render_template("errors/error.html", level=level, title=title, message=message,
                           back_endpoint=back_endpoint,
                           back_label=back_label or _("Back to the start page")), status


def forbidden(_error=None):
    return error_page(403, "warning", _("Not allowed"),
                      _("Your role does not allow this page or action. Ask your manager if you need it."))


def not_found(_error=None):
    return error_page(404, "secondary", _("Not found"),
                      _("This page or record does not exist, or it is not one of your communities."))


def too_many(_error=None):
    return error_page(429, "danger", _("Too many attempts"),
                      _("Too many requests from your address. Please wait a minute and try again."),
                      back_endpoint="auth.login", back_label=_("Log in"))


def init_app(app):
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to open this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    app.register_blueprint(bp)
    app.register_error_handler(403, forbidden)
    app.register_error_handler(404, not_found)
    app.register_error_handler(429, too_many)

    def actor_provider():
        if not has_request_context():  # CLI, seed, tests of documents
            return None, None
        user = current_user._get_current_object()
        return (user if getattr(user, "is_authenticated", False) else None), client_ip()

    audit.set_actor_provider(actor_provider)

    @app.context_processor
    def _auth_forms():
        return {"language_form": LanguageForm(language=_current_lang())}

    @app.route("/")
    def root():
        return redirect(url_for("admin.index"))


def _current_lang():
    from app.i18n import current_language
    return current_language()
