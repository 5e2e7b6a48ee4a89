"""Accounts for administrators: list, invite (resend, revoke), disable or enable, reset."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_wtf import FlaskForm

from quiz import auth, delivery, queries
from quiz.admin import bp, error_text
from quiz.admin.forms import ActionForm, ResetPasswordForm, UserForm, choices
from quiz.models import User
from quiz.services import ServiceError, accounts
from quiz.services import users as user_service

T = TypeVar("T")


def _user_form() -> UserForm:
    form = UserForm()
    form.clinic.choices = choices([("", "—"), *queries.clinic_choices(auth.Scope(everything=True))])
    return form


def _page(form: UserForm, code: int = 200):
    return render_template(
        "admin/users.html",
        rows=queries.list_users(),
        form=form,
        action_form=ActionForm(),
        reset_form=ResetPasswordForm(),
        me=auth.signed_in_user(),
    ), code


@bp.get("/users")
@auth.admin_required
def users():
    """List accounts, with the form to add one."""
    return _page(_user_form())


@bp.post("/users")
@auth.admin_required
def user_create():
    """Invite someone: store the account and mail them a link to choose their password."""
    form = _user_form()
    if form.validate_on_submit():
        try:
            user, delivery_id = accounts.invite_user(
                form.email.data,
                form.role.data,
                clinic=form.clinic.data or None,
                actor=auth.signed_in_user().email,
            )
        except ServiceError as exc:
            form.form_errors.append(error_text(exc))
        else:
            _flash_sent(delivery_id, user.email)
            return redirect(url_for("admin.users"))
    return _page(form, 422)


def _flash_sent(delivery_id: int, email: str) -> None:
    """Mail the invitation now and say how it went (a failed mail is retried)."""
    outcome, error = delivery.send_now(delivery_id)
    if outcome in ("sent", "queued"):
        flash(
            gettext(
                "Invitation mailed to %(email)s. The link works once, for 72 hours.", email=email
            )
        )
    else:
        flash(
            gettext(
                "The invitation to %(email)s could not be mailed yet (%(error)s); it is tried "
                "again automatically, and shows under Deliveries if it keeps failing.",
                email=email,
                error=error,
            )
        )


def _user_or_404(user_id: int) -> User:
    user = queries.get_user(user_id)
    if user is None:
        abort(404)
    return user


@bp.post("/users/<int:user_id>/active")
@auth.admin_required
def user_toggle(user_id: int):
    """Disable an active account or enable a disabled one (never one's own)."""
    user = _user_or_404(user_id)
    me = auth.signed_in_user()
    if ActionForm().validate_on_submit():
        if user.id == me.id:
            flash(gettext("You cannot disable your own account."))
        else:
            user_service.set_active(user, not user.active, actor=me.email)
            flash(
                gettext("Account %(email)s enabled.", email=user.email)
                if user.active
                else gettext("Account %(email)s disabled.", email=user.email)
            )
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/password")
@auth.admin_required
def user_reset(user_id: int):
    """Set a new password for an account (also lifts a lock)."""
    form = ResetPasswordForm()
    return _on_account(
        user_id,
        form,
        lambda user, actor: user_service.set_password(user, form.password.data, actor=actor),
        lambda user, _: flash(gettext("Password of %(email)s reset.", email=user.email)),
    )


@bp.post("/users/<int:user_id>/invite")
@auth.admin_required
def user_invite_again(user_id: int):
    """Send a new invitation to an account without a password; the earlier link stops working."""
    return _on_account(
        user_id,
        ActionForm(),
        lambda user, actor: accounts.resend_invite(user, actor=actor),
        lambda user, delivery_id: _flash_sent(delivery_id, user.email),
    )


@bp.post("/users/<int:user_id>/invite/revoke")
@auth.admin_required
def user_invite_revoke(user_id: int):
    """Make an account's open invitation or reset link unusable."""
    return _on_account(
        user_id,
        ActionForm(),
        lambda user, actor: accounts.revoke_invite(user, actor=actor),
        lambda user, _: flash(
            gettext("The link sent to %(email)s no longer works.", email=user.email)
        ),
    )


def _on_account(
    user_id: int,
    form: FlaskForm,
    act: Callable[[User, str], T],
    done: Callable[[User, T], None],
):
    """Run `act(user, actor)` on an account when `form` is valid, then go back to the list.

    A refusal from the service is flashed with the account's address; otherwise `done` gets
    the account and what `act` returned, to say how it went.
    """
    user = _user_or_404(user_id)
    if form.validate_on_submit():
        try:
            outcome = act(user, auth.signed_in_user().email)
        except ServiceError as exc:
            flash(f"{user.email}: {error_text(exc)}")
        else:
            done(user, outcome)
    return redirect(url_for("admin.users"))
