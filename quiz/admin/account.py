"""Sign-in, sign-out, password change, and choosing a password from a mailed link."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import login_user, logout_user

from quiz import auth
from quiz.admin import bp, error_text
from quiz.admin.forms import ChoosePasswordForm, ForgotForm, LoginForm, PasswordForm
from quiz.extensions import limiter
from quiz.i18n import translate
from quiz.services import ServiceError, accounts
from quiz.services import users as user_service


@bp.get("/")
def index():
    """Send signed-in users to their leads."""
    return redirect(url_for("admin.leads"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def login():
    """Show the sign-in form; on success rotate the session and go to `next` or the leads."""
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    error = None
    if form.validate_on_submit():
        result = user_service.authenticate(
            form.email.data, form.password.data, auth.client_address()
        )
        if result.user is not None:
            target = auth.safe_next(form.next.data) or url_for("admin.leads")
            # A fresh session on sign-in, so a session id planted before cannot be reused.
            session.clear()
            login_user(auth.Account(result.user))
            return redirect(target)
        error = translate(result.error)
    elif request.method == "POST":
        error = gettext("Enter your email and password.")
    status = 200 if error is None else 401
    return render_template("admin/login.html", form=form, error=error), status


@bp.post("/logout")
def logout():
    """Sign out: end the account's sessions on the server, then forget this one."""
    # Clearing the cookie alone would leave any copy of it valid; a new nonce does not.
    user_service.sign_out(auth.signed_in_user())
    logout_user()
    session.clear()
    flash(gettext("You are signed out."))
    return redirect(url_for("admin.login"))


@bp.route("/password", methods=["GET", "POST"])
def password():
    """Change the signed-in user's password."""
    form = PasswordForm()
    user = auth.signed_in_user()
    if form.validate_on_submit():
        try:
            user_service.change_password(user, form.current.data, form.new.data)
        except ServiceError as exc:
            form.new.errors = [error_text(exc)]
        else:
            # A new password gives the account a new session nonce: keep this session with it.
            login_user(auth.Account(user))
            flash(gettext("Your password is changed."))
            return redirect(url_for("admin.leads"))
    status = 422 if form.errors else 200
    return render_template("admin/password.html", form=form), status


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def forgot():
    """Mail a link to choose a new password; the answer never says whether an account exists."""
    form = ForgotForm()
    if form.validate_on_submit():
        accounts.request_reset(form.email.data, auth.client_address())
        return render_template("admin/forgot.html", form=form, asked=True)
    status = 422 if form.errors else 200
    return render_template("admin/forgot.html", form=form, asked=False), status


@bp.route("/password/new", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def choose_password():
    """Choose a password from an invitation or reset link (opening the page uses nothing).

    The token is in the query string, which the access log leaves out (it logs the path).
    """
    token = request.args.get("token", "")
    link = accounts.open_link(token)
    if link is None:
        # Mail scanners open links too: only the form's POST uses one.
        return render_template(
            "admin/choose_password.html", dead=translate(accounts.DEAD_LINK)
        ), 410
    form = ChoosePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.use_link(token, form.new.data)
        except ServiceError as exc:
            form.new.errors = [error_text(exc)]
        else:
            logout_user()
            session.clear()
            flash(gettext("Your password is set. Sign in with it."))
            return redirect(url_for("admin.login"))
    status = 422 if form.errors else 200
    return render_template(
        "admin/choose_password.html", form=form, email=accounts.account_email(link), dead=None
    ), status
