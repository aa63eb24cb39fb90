"""OpenRosa documents: the form list, a manifest, response bodies, and a submitted instance read back.

Pure functions: no database, no request (messages are translated in the request's language). Submissions are parsed with defusedxml (no entities, no DTD).
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
import uuid as uuid_module
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

from defusedxml import ElementTree as SafeET
from flask_babel import lazy_gettext as _l

from ..questionnaire.definition import Definition, Question

FORM_LIST_NS = "http://openrosa.org/xforms/xformsList"
MANIFEST_NS = "http://openrosa.org/xforms/xformsManifest"
RESPONSE_NS = "http://openrosa.org/http/response"


@dataclass(frozen=True)
class FormEntry:
    form_id: str
    name: str
    version: str
    md5: str
    download_url: str
    manifest_url: str


@dataclass(frozen=True)
class MediaEntry:
    filename: str
    md5: str
    download_url: str


@dataclass
class Instance:
    """A submitted instance: the form it fills, its IDs and its answers as raw values by question name."""

    form_id: str
    version: str
    instance_uuid: str
    deprecated_uuid: str | None
    establishment_code: str
    answers: dict[str, Any]


class InstanceError(ValueError):
    """The submission is not a readable instance of one of our forms (400)."""


def md5_hex(data: bytes) -> str:
    """OpenRosa's hashes of forms and media files ("md5:" + this)."""
    return hashlib.md5(data).hexdigest()  # noqa: S324 - the hash the protocol names, not a security check


def _document(root: ET.Element) -> bytes:
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def form_list_xml(forms: list[FormEntry]) -> bytes:
    root = ET.Element("xforms", xmlns=FORM_LIST_NS)  # a default namespace written as such, no ns0: prefix
    for form in forms:
        entry = ET.SubElement(root, "xform")
        for tag, text in (("formID", form.form_id), ("name", form.name), ("version", form.version),
                          ("hash", f"md5:{form.md5}"), ("downloadUrl", form.download_url),
                          ("manifestUrl", form.manifest_url)):
            ET.SubElement(entry, tag).text = text
    return _document(root)


def manifest_xml(media: list[MediaEntry]) -> bytes:
    root = ET.Element("manifest", xmlns=MANIFEST_NS)
    for item in media:
        entry = ET.SubElement(root, "mediaFile")
        for tag, text in (("filename", item.filename), ("hash", f"md5:{item.md5}"),
                          ("downloadUrl", item.download_url)):
            ET.SubElement(entry, tag).text = text
    return _document(root)


def response_xml(message: str, nature: str = "") -> bytes:
    """<OpenRosaResponse><message nature="submit_success">…: Collect shows the message to the enumerator."""
    root = ET.Element("OpenRosaResponse", xmlns=RESPONSE_NS)
    element = ET.SubElement(root, "message")
    if nature:
        element.set("nature", nature)
    element.text = message
    return _document(root)


def establishments_csv(rows: list[tuple]) -> bytes:
    """The media file of `select_one_from_file`: name (the code, stored in the answer) and label (what the
    enumerator searches), then the commune."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["name", "label", "commune_code", "commune"])
    for code, name, commune_code, commune_name in rows:
        writer.writerow([code, f"{name} ({code}, {commune_name})", commune_code, commune_name])
    return out.getvalue().encode("utf-8")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: ET.Element, name: str) -> ET.Element | None:
    return next((child for child in element if _local(child.tag) == name), None)


def _text(element: ET.Element | None) -> str | None:
    if element is None:
        return None
    return (element.text or "").strip() or None


def read_instance(data: bytes) -> tuple[str, str, ET.Element]:
    """(form id, version, root element) of a submitted instance; InstanceError if it cannot be read."""
    try:
        root = SafeET.fromstring(data, forbid_dtd=True)
    except Exception as error:  # ParseError, DTD, entities...: all "not a readable instance"
        raise InstanceError(str(_l("The submission is not well-formed XML."))) from None
    form_id = root.get("id")
    if not form_id:
        raise InstanceError(str(_l("The instance's root element has no id attribute.")))
    return form_id, root.get("version") or "", root


def instance_of(root: ET.Element, form_id: str, version: str, definition: Definition,
                establishment_question: str) -> Instance:
    meta = _child(root, "meta")
    instance_uuid = _uuid(_text(_child(meta, "instanceID")) if meta is not None else None, "instanceID")
    deprecated = _text(_child(meta, "deprecatedID")) if meta is not None else None
    answers: dict[str, Any] = {}
    _read_items(root, definition.items, answers)
    return Instance(form_id, version, instance_uuid, _uuid(deprecated, "deprecatedID") if deprecated else None,
                    _text(_child(root, establishment_question)) or "", answers)


def _uuid(value: str | None, name: str) -> str:
    try:
        return str(uuid_module.UUID(re.sub(r"^uuid:", "", value or "")))
    except ValueError:
        raise InstanceError(str(_l("meta/%(name)s must be uuid: followed by a UUID.", name=name))) from None


def _read_items(element: ET.Element, items: list[Question], target: dict[str, Any]) -> None:
    """Groups are flattened into `target` (as our answers are); a repeat gives a list of rows."""
    for item in items:
        if item.kind == "group":
            child = _child(element, item.name)
            if child is not None:
                _read_items(child, item.children, target)
        elif item.kind == "repeat":
            rows = []
            for child in (c for c in element if _local(c.tag) == item.name):
                row: dict[str, Any] = {}
                _read_items(child, item.children, row)
                rows.append(row)
            target[item.name] = rows
        elif item.kind != "note":
            target[item.name] = _value(item, _text(_child(element, item.name)))


def _value(question: Question, text: str | None) -> Any:
    """XForm values are locale-free ("12.5", "2026-12-06"): numbers are read here, not as typed text,
    where "1.500" would be Vietnamese for fifteen hundred."""
    if text is None:
        return None
    if question.kind in ("integer", "decimal"):
        try:
            number = float(text) if question.kind == "decimal" else int(text)
        except ValueError:
            return text  # the answer check names the question and refuses it
        return int(number) if question.kind == "decimal" and number.is_integer() and "." not in text else number
    return text
