"""The forms a phone may fill and what a submission becomes: a normal record, through save_record.

A submission is checked as the JSON API checks a record (same answers check, approval lock, assignments)
and its instanceID is the record's client UUID: a resend of the same instance is recognised (202), the
same instanceID with other content is refused (409), and deprecatedID names the version an edit replaces.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from ..accounts import queries as account_queries
from ..establishments import queries as establishment_queries
from ..geo.capture import GpsRules
from ..models import Role, SurveyRecord, SurveyRound
from ..photos.services import PhotoRefused, PhotoRules, store_photo
from ..questionnaire.answers import check_answers
from ..questionnaire.definition import Definition
from ..questionnaire.registry import Registry
from ..questionnaire.validation import named
from ..questionnaire.xform import ESTABLISHMENT_QUESTION, xform_xml
from ..survey import queries as survey_queries
from ..survey.services import RecordApproved, RecordConflict, definition_for, save_record
from . import queries
from .documents import Instance, InstanceError, establishments_csv, instance_of, md5_hex, read_instance

CAPTURE_ROLES = (Role.admin.value, Role.enumerator.value)
_FORM_ID = re.compile(r"^(?P<questionnaire>.+)-round(?P<round_id>[0-9]{1,9})$")


class SubmissionRefused(Exception):
    """The submission is not stored; `status` is the HTTP status, the message is for the enumerator."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


@dataclass(frozen=True)
class PhoneForm:
    """One survey round as an XForm: its id (round-specific), title and document."""

    survey_round: SurveyRound
    definition: Definition
    form_id: str
    title: str
    xml: bytes

    @property
    def md5(self) -> str:
        return md5_hex(self.xml)


@dataclass(frozen=True)
class Accepted:
    record: SurveyRecord | None  #: None after a part of a split submission whose last part is still to come
    created: bool  #: False: a resend of an instance already stored (202)


def form_id_of(definition: Definition, survey_round: SurveyRound) -> str:
    """Each open round is a form of its own: two rounds may use the same questionnaire."""
    return f"{definition.form_id}-round{survey_round.id}"


def _assignment_scope(user) -> int | None:
    """The user whose assignments limit what a phone sees, or None (an admin sees every commune)."""
    return None if user.role == Role.admin.value else user.id


def phone_forms(session: Session, user, registry: Registry, language: str) -> list[PhoneForm]:
    """The forms of the open rounds the user works in (every open round for an admin)."""
    if user.role not in CAPTURE_ROLES:
        return []
    return [_phone_form(session, registry, survey_round, language)
            for survey_round in queries.open_rounds_of_user(session, _assignment_scope(user))]


def _phone_form(session: Session, registry: Registry, survey_round: SurveyRound, language: str) -> PhoneForm:
    definition = definition_for(session, registry, survey_round.questionnaire_id, survey_round.questionnaire_version)
    form_id = form_id_of(definition, survey_round)
    title = f"{definition.title_in(language)} ({survey_round.code})"
    return PhoneForm(survey_round, definition, form_id, title,
                     xform_xml(definition, form_id=form_id, title=title).encode("utf-8"))


def phone_form(session: Session, user, registry: Registry, form_id: str, language: str) -> PhoneForm | None:
    """The user's form with this id, or None (unknown, closed, or not one of the user's rounds)."""
    return next((form for form in phone_forms(session, user, registry, language) if form.form_id == form_id), None)


def establishments_file(session: Session, user, form: PhoneForm) -> bytes:
    """establishments.csv of the form: the establishments of the user's communes in its round."""
    return establishments_csv(queries.establishments_to_choose(session, form.survey_round.id,
                                                               _assignment_scope(user)))


def accept_submission(session: Session, *, user, xml: bytes, registry: Registry, language: str,
                      gps: GpsRules | None, attachments: dict[str, bytes] | None = None,
                      photos: PhotoRules | None = None, incomplete: bool = False) -> Accepted:
    """Store a submitted instance as a record version (the caller commits); SubmissionRefused otherwise.
    `attachments` (file name → bytes, as Collect posts them) are stored as photos of the establishment
    when `photos` is given; an answer naming one of them then holds the stored photo's file name.

    `incomplete`: one part of a submission Collect split over several POSTs (`*isIncomplete*`: each part
    carries the form and some of its files). The part's files are stored and remembered, and the record
    waits for the last part, whose answers may name the files of every part."""
    if user.role not in CAPTURE_ROLES:
        raise SubmissionRefused(403, str(_l("Your account may not send survey records.")))
    try:
        form_id, version, root = read_instance(xml)
    except InstanceError as error:
        raise SubmissionRefused(400, str(error)) from None
    survey_round, definition = _round_and_definition(session, registry, form_id, version)
    try:
        instance = instance_of(root, form_id, version, definition, ESTABLISHMENT_QUESTION)
    except InstanceError as error:
        raise SubmissionRefused(400, str(error)) from None
    establishment = establishment_queries.establishment_by_code(session, instance.establishment_code)
    if establishment is None:
        raise SubmissionRefused(400, str(_l("Unknown establishment: %(code)s", code=instance.establishment_code)))
    if user.role != Role.admin.value and not account_queries.is_assigned(session, user.id, establishment.commune_code,
                                                                         survey_round.id):
        raise SubmissionRefused(403, str(_l("The commune of %(name)s is not assigned to you in this survey round.",
                                            name=establishment.name)))
    stored = (_store_attachments(session, establishment, definition, instance, attachments, photos, user.id)
              if photos is not None and attachments else {})
    existing = survey_queries.record_by_uuid(session, instance.instance_uuid)
    if incomplete:
        queries.remember_attachments(session, instance.instance_uuid, stored)
        return Accepted(existing, created=existing is None)
    _rename_files_in_answers(instance.answers, {**queries.attachments_of_instance(session, instance.instance_uuid),
                                                **stored})
    if existing is not None:
        return _resend(existing, establishment.id, survey_round.id, definition, instance, language)
    try:
        result = save_record(session, establishment=establishment, survey_round=survey_round, definition=definition,
                             raw_answers=instance.answers, submit=True, actor_id=user.id, actor_role=user.role,
                             base_uuid=instance.deprecated_uuid, record_uuid=instance.instance_uuid,
                             language=language, gps=gps)
    except RecordApproved:
        raise SubmissionRefused(403, str(_l("This record is approved and can no longer be changed."))) from None
    except RecordConflict:
        raise SubmissionRefused(409, str(_l(
            "%(name)s already has a newer record in this round: the form sent does not replace it. "
            "Ask your supervisor.", name=establishment.name))) from None
    if not result.ok:
        problems = "; ".join(named(definition, key, message, language) for key, message in result.errors.items())
        raise SubmissionRefused(400, str(_l("Some answers are not valid: %(problems)s", problems=problems)))
    return Accepted(result.record, created=True)


def _round_and_definition(session: Session, registry: Registry, form_id: str, version: str) -> tuple[SurveyRound, Definition]:
    match = _FORM_ID.match(form_id)
    survey_round = session.get(SurveyRound, int(match["round_id"])) if match else None
    if survey_round is None or survey_round.questionnaire_id != match["questionnaire"]:
        raise SubmissionRefused(404, str(_l("This form is not one of the server's survey rounds: %(form)s",
                                            form=form_id)))
    if not survey_round.is_open:
        raise SubmissionRefused(403, str(_l("The survey round %(round)s is closed.", round=survey_round.code)))
    if version != survey_round.questionnaire_version:
        raise SubmissionRefused(409, str(_l(
            "This form's version (%(version)s) is no longer the round's: get the blank form again, "
            "then copy the answers into it.", version=version)))
    return survey_round, definition_for(session, registry, survey_round.questionnaire_id, version)


def _resend(existing: SurveyRecord, establishment_id: int, round_id: int, definition: Definition,
            instance: Instance, language: str) -> Accepted:
    """The same instanceID again: the same content is a resend (nothing new); other content is a 409."""
    outcome = check_answers(definition, instance.answers, submit=True, language=language)
    identical = (existing.establishment_id == establishment_id and existing.round_id == round_id
                 and existing.answers == outcome.answers and existing.supersedes == instance.deprecated_uuid
                 and existing.submitted_at is not None)
    if not identical:
        raise SubmissionRefused(409, str(_l("A different form with this instanceID was received before.")))
    return Accepted(existing, created=False)


def _store_attachments(session: Session, establishment, definition: Definition, instance: Instance,
                       attachments: dict[str, bytes], rules: PhotoRules, actor_id: int) -> dict[str, str]:
    """Every image attached becomes a photo of the establishment (stored once: a resend adds nothing);
    a file an answer names must be an image. Other files (audio, video) are not kept.
    Returns file name on the phone → stored photo's file name."""
    named = _answers_naming_files(definition, instance.answers, set(attachments))
    stored: dict[str, str] = {}
    for filename, data in attachments.items():
        try:
            photo = store_photo(session, establishment=establishment, question=named.get(filename), filename=filename,
                                data=data, rules=rules, record_uuid=instance.instance_uuid, actor_id=actor_id)
        except PhotoRefused as refusal:
            if filename in named:
                raise SubmissionRefused(400, f"{filename}: {refusal}") from None
            continue
        stored[filename] = photo.file_name
    return stored


def _answers_naming_files(definition: Definition, answers: dict, filenames: set[str]) -> dict[str, str]:
    """File name → the question whose answer names it (Collect answers a photo question with its file name)."""
    named = {}
    for key, value in answers.items():
        rows = value if isinstance(value, list) and value and isinstance(value[0], dict) else [{key: value}]
        for row in rows:
            for name, answer in row.items():
                if isinstance(answer, str) and answer in filenames and name in definition.by_name:
                    named[answer] = name
    return named


def _rename_files_in_answers(answers: dict, stored: dict[str, str]) -> None:
    for key, value in answers.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for row in value:
                _rename_files_in_answers(row, stored)
        elif isinstance(value, str) and value in stored:
            answers[key] = stored[value]
