"""Every URL of administration: users, assignments, survey rounds, the audit trail."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from ..accounts import queries as account_queries
from ..audit import ACTION_LABELS, ENTITY_LABELS
from ..accounts.access import allow, current_actor_id
from ..accounts.passwords import MESSAGES as PASSWORD_MESSAGES
from ..accounts.services import (
    AccountError, WeakPassword, assign_communes, create_user, remove_assignment, reset_password, update_user,
)
from ..accounts.tokens import TokenError, create_token, revoke_token
from ..adminunits import queries as unit_queries
from ..db import get_session
from ..models import Assignment, Role, SurveyRound, UnitEra
from ..questionnaire.publishing import known_versions
from ..questionnaire.registry import registry
from ..survey import queries as survey_queries
from ..web import page_number, redirect_past_last_page
from . import queries
from .forms import ROLE_LABELS, AssignmentForm, EditUserForm, NewUserForm, RoundForm
from .services import RoundError, create_round, set_round_open

bp = Blueprint("admin", __name__, template_folder="templates", url_prefix="/admin")
AUDIT_PAGE_SIZE = 100


@bp.get("/users")
@allow(Role.admin)
def users():
    return render_template("admin/users.html", users=account_queries.all_users(get_session()), role_labels=ROLE_LABELS)


@bp.route("/users/new", methods=["GET", "POST"])
@allow(Role.admin)
def new_user():
    form = NewUserForm()
    if form.validate_on_submit():
        session = get_session()
        try:
            user, password = create_user(session, form.username.data, form.role.data, form.password.data or None,
                                         form.full_name.data or None, actor_id=current_actor_id())
        except WeakPassword as error:
            form.password.errors.append(PASSWORD_MESSAGES[error.reason])
        except AccountError as error:
            form.username.errors.append(_("This username is taken.") if "taken" in str(error) else str(error))
        else:
            session.commit()
            # Shown on this page only (never put in the session cookie): the admin hands it over.
            return render_template("admin/password_once.html", user=user, password=password)
    return render_template("admin/user_new.html", form=form), (422 if form.errors else 200)


def _user_or_404(user_id: int):
    user = account_queries.user_by_id(get_session(), user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@allow(Role.admin)
def edit_user(user_id: int):
    session = get_session()
    user = _user_or_404(user_id)
    form = EditUserForm(obj=user)
    if form.validate_on_submit():
        try:
            update_user(session, user, role=form.role.data, full_name=form.full_name.data or None,
                        is_active=form.is_active.data, actor_id=current_actor_id())
        except AccountError:
            form.role.errors.append(_("You cannot remove your own administrator role or deactivate yourself."))
        else:
            session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("admin.edit_user", user_id=user_id))
    return render_template("admin/user_edit.html", user=user, form=form, assignment_form=_assignment_form(),
                           assignments=account_queries.assignments_of_user(session, user_id),
                           tokens=account_queries.active_tokens_of_user(session, user_id)), (422 if form.errors else 200)


def _assignment_form() -> AssignmentForm:
    session = get_session()
    province_code = current_app.config["PROVINCE_CODE"]
    form = AssignmentForm()
    form.round.choices = [SelectChoice(str(r.id), r.title) for r in survey_queries.all_rounds(session)]
    form.district.choices = [SelectChoice("", "—")] + [
        SelectChoice(d.code, d.name) for d in unit_queries.districts_of_province(session, province_code)]
    districts = {d.code: d.short_name for d in unit_queries.districts_of_province(session, province_code)}
    form.communes.choices = [SelectChoice(c.code, f"{c.name} – {districts.get(c.parent_code, '')}")
                             for c in unit_queries.communes_of_province(session, province_code)]
    form.communes_2025.choices = [SelectChoice(code, name)
                                  for code, name in unit_queries.commune_2025_choices(session, province_code)]
    return form


@bp.post("/users/<int:user_id>/password")
@allow(Role.admin)
def reset_user_password(user_id: int):
    session = get_session()
    user = _user_or_404(user_id)
    password = reset_password(session, user, actor_id=current_actor_id())
    session.commit()
    return render_template("admin/password_once.html", user=user, password=password)


@bp.post("/users/<int:user_id>/assignments")
@allow(Role.admin)
def add_assignments(user_id: int):
    session = get_session()
    user = _user_or_404(user_id)
    form = _assignment_form()
    if not form.validate_on_submit():
        flash(_("Choose a survey round and at least one commune or a district."), "error")
        return redirect(url_for("admin.edit_user", user_id=user_id))
    survey_round = session.get(SurveyRound, int(form.round.data))
    if survey_round.admin_units == UnitEra.units_2025.value:  # organised by the communes after 1 July 2025
        codes = list(form.communes_2025.data or [])
    else:
        codes = list(form.communes.data or [])
        if form.district.data:
            codes += [c.code for c in unit_queries.communes_of_district(session, form.district.data)]
    if not codes:
        flash(_("Choose a survey round and at least one commune or a district."), "error")
        return redirect(url_for("admin.edit_user", user_id=user_id))
    added = assign_communes(session, user, survey_round, codes, actor_id=current_actor_id())
    session.commit()
    flash(_("%(n)d communes assigned.", n=len(added)), "success")
    return redirect(url_for("admin.edit_user", user_id=user_id))


@bp.post("/assignments/<int:assignment_id>/delete")
@allow(Role.admin)
def delete_assignment(assignment_id: int):
    session = get_session()
    assignment = session.get(Assignment, assignment_id)
    if assignment is None:
        abort(404)
    user_id = assignment.user_id
    remove_assignment(session, assignment, actor_id=current_actor_id())
    session.commit()
    flash(_("Assignment removed."), "success")
    return redirect(url_for("admin.edit_user", user_id=user_id))


@bp.route("/rounds", methods=["GET", "POST"])
@allow(Role.admin)
def rounds():
    session = get_session()
    form = RoundForm()
    # The current file of each questionnaire, and every version published at /admin/questionnaires.
    current = {(d.form_id, d.version) for d in registry().definitions()}
    form.questionnaire.choices = [SelectChoice(f"{v.form_id}@{v.version}", f"{v.form_id} ({v.version})")
                                  for v in known_versions(session, registry())
                                  if (v.form_id, v.version) in current or v.origin == "database"]
    if not form.is_submitted():
        form.admin_units.data = current_app.config["NEW_ROUND_ADMIN_UNITS"]
    if form.validate_on_submit():
        form_id, _sep, version = form.questionnaire.data.partition("@")
        try:
            create_round(session, code=form.code.data, title=form.title.data, questionnaire_id=form_id,
                         questionnaire_version=version, start_date=form.start_date.data, end_date=form.end_date.data,
                         is_open=form.is_open.data, actor_id=current_actor_id(),
                         admin_units=form.admin_units.data or current_app.config["NEW_ROUND_ADMIN_UNITS"])
        except RoundError as error:
            messages = {"code": _("Letters, digits, '.', '-' or '_' only."), "taken": _("This code is taken."),
                        "order": _("The end date is before the start date."),
                        "admin_units": _("Choose the administrative units before or after 1/7/2025.")}
            getattr(form, error.field).errors.append(messages[str(error)])
        else:
            session.commit()
            flash(_("Survey round created."), "success")
            return redirect(url_for("admin.rounds"))
    return render_template("admin/rounds.html", form=form, rounds=survey_queries.all_rounds(session)), (422 if form.errors else 200)


@bp.post("/rounds/<code>/open")
@allow(Role.admin)
def toggle_round(code: str):
    session = get_session()
    survey_round = next((r for r in survey_queries.all_rounds(session) if r.code == code), None)
    if survey_round is None:
        abort(404)
    set_round_open(session, survey_round, request.form.get("open") == "1", actor_id=current_actor_id())
    session.commit()
    return redirect(url_for("admin.rounds"))


def _date_arg(name: str) -> dt.date | None:
    raw = request.args.get(name) or ""
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        abort(400, description=_("Dates are written YYYY-MM-DD."))


@bp.get("/audit")
@allow(Role.admin)
def audit():
    session = get_session()
    page = page_number(request.args.get("page"))
    wanted = queries.AuditFilter(action=request.args.get("action") or None,
                                 entity_type=request.args.get("entity_type") or None,
                                 actor=request.args.get("actor") or None, since=_date_arg("since"),
                                 until=_date_arg("until"))
    events, total = queries.audit_page(session, wanted, page, AUDIT_PAGE_SIZE)
    pages = max(1, -(-total // AUDIT_PAGE_SIZE))
    kept = {name: request.args.get(name) for name in ("action", "entity_type", "actor", "since", "until")}
    moved = redirect_past_last_page("admin.audit", kept, page, pages, total)
    if moved:
        return moved
    actions, entity_types = queries.audit_choices(session)
    return render_template("admin/audit.html", events=events, total=total, page=page, pages=pages, wanted=wanted,
                           actions=actions, entity_types=entity_types, audit_action_labels=ACTION_LABELS,
                           audit_entity_labels=ENTITY_LABELS)


@bp.post("/users/<int:user_id>/tokens")
@allow(Role.admin)
def create_user_token(user_id: int):
    session = get_session()
    user = _user_or_404(user_id)
    try:
        token_row, token = create_token(session, user, request.form.get("name", ""), actor_id=current_actor_id())
    except TokenError:
        flash(_("Give the token a name."), "error")
        return redirect(url_for("admin.edit_user", user_id=user_id))
    session.commit()
    return render_template("accounts/token_once.html", token_row=token_row, token=token,
                           back=url_for("admin.edit_user", user_id=user_id))


@bp.post("/users/<int:user_id>/tokens/<int:token_id>/revoke")
@allow(Role.admin)
def revoke_user_token(user_id: int, token_id: int):
    session = get_session()
    token = account_queries.token_of_user(session, user_id, token_id)
    if token is None:
        abort(404)
    revoke_token(session, token, actor_id=current_actor_id())
    session.commit()
    flash(_("Token revoked."), "success")
    return redirect(url_for("admin.edit_user", user_id=user_id))

from . import questionnaires  # noqa: E402,F401  (its routes are on this blueprint)
