"""Importing promotion spreadsheets (projects, support, certificates, OCOP) with the registry's rules:
columns found by header (English key or Vietnamese header), every bad cell reported with its row and
column, nothing written unless every row is good, and a second import of the same file changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from flask_babel import force_locale
from sqlmodel import Session

from ..imports.reading import read_table
from ..imports.values import CellError, text, whole_number
from ..reference import CERTIFICATE_LEVELS, PRODUCT_GROUPS, PROJECT_LEVELS, PROJECT_STATUSES, PROMOTION_ACTIVITIES
from ..text import fold
from ..establishments.queries import establishment_by_code
from . import queries, services


def _choice(options: dict) -> Callable[[Any], str | None]:
    """A code ("training") or its label in Vietnamese or English ("Đào tạo nghề…"), any case or accents."""
    def parse(raw: Any) -> str | None:
        value = text(raw)
        if value is None:
            return None
        wanted = fold(value)
        for code, label in options.items():
            with force_locale("vi"):
                vietnamese = fold(str(label))
            with force_locale("en"):
                english = fold(str(label))
            if wanted in (code, vietnamese, english):
                return code
        raise CellError(f"unknown value {value!r}; one of: {', '.join(options)}")
    return parse


def _money(raw: Any) -> int | None:
    return whole_number(raw, 0, 10 ** 15)


def _year(raw: Any) -> int | None:
    return whole_number(raw, services.FIRST_YEAR, services.LAST_YEAR)


def _stars(raw: Any) -> int | None:
    return whole_number(raw, 1, 5)


#: kind → {field: (Vietnamese header, parser, required)}
KINDS: dict[str, dict[str, tuple[str, Callable, bool]]] = {
    "projects": {
        "code": ("Mã đề án", text, True), "title": ("Tên đề án", text, True), "year": ("Năm", _year, True),
        "level": ("Cấp", _choice(PROJECT_LEVELS), True), "activity": ("Nội dung", _choice(PROMOTION_ACTIVITIES), True),
        "state_support_vnd": ("Kinh phí khuyến công (đồng)", _money, True),
        "beneficiary_contribution_vnd": ("Đơn vị thụ hưởng đóng góp (đồng)", _money, True),
        "total_cost_vnd": ("Tổng kinh phí (đồng)", _money, False),
        "implementing_unit": ("Đơn vị thực hiện", text, False), "status": ("Tình trạng", _choice(PROJECT_STATUSES), False),
    },
    "support": {
        "project_code": ("Mã đề án", text, True), "establishment_code": ("Mã cơ sở", text, True),
        "state_support_vnd": ("Kinh phí hỗ trợ (đồng)", _money, True),
        "beneficiary_contribution_vnd": ("Cơ sở đóng góp (đồng)", _money, True), "note": ("Ghi chú", text, False),
    },
    "certificates": {
        "establishment_code": ("Mã cơ sở", text, False), "holder_name": ("Tên cơ sở", text, False),
        "product": ("Sản phẩm", text, True), "product_group": ("Nhóm sản phẩm", _choice(PRODUCT_GROUPS), True),
        "level": ("Cấp", _choice(CERTIFICATE_LEVELS), True), "year": ("Năm", _year, True),
        "certificate_number": ("Số chứng nhận", text, False),
    },
    "ocop": {
        "establishment_code": ("Mã cơ sở", text, False), "holder_name": ("Tên cơ sở", text, False),
        "product": ("Sản phẩm", text, True), "stars": ("Số sao", _stars, True), "year": ("Năm", _year, True),
    },
}


@dataclass
class PromotionImport:
    kind: str
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    errors: list[tuple[int, str, str]] = field(default_factory=list)  #: (row number, column, message)
    written: int = 0
    unchanged: int = 0


def _header_index(headers: list[Any], spec: dict) -> dict[str, int]:
    keys = {fold(str(h or "")).replace(" ", "_"): i for i, h in enumerate(headers)}
    keys.update({fold(str(h or "")): i for i, h in enumerate(headers)})
    found = {}
    for name, (vietnamese, _parser, _required) in spec.items():
        for candidate in (name, fold(vietnamese)):
            if candidate in keys:
                found[name] = keys[candidate]
                break
    return found


def check_promotion_file(data: bytes, filename: str, kind: str) -> PromotionImport:
    """Read and validate every row; nothing touches the database."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    spec = KINDS[kind]
    table = read_table(data, filename, lambda values: len(_header_index(values, spec)) >= 2)
    columns = _header_index(table.headers, spec)
    result = PromotionImport(kind)
    for name, (vietnamese, _parser, required) in spec.items():
        if required and name not in columns:
            result.errors.append((table.header_row, name, f"missing column ({name} / {vietnamese})"))
    if result.errors:
        return result
    for number, cells in table.rows:
        values, good = {}, True
        for name, index in columns.items():
            raw = cells[index] if index < len(cells) else None
            try:
                values[name] = spec[name][1](raw)
            except CellError as error:
                result.errors.append((number, name, error.message))
                good = False
                continue
            if values[name] is None and spec[name][2]:
                result.errors.append((number, name, "required"))
                good = False
        if kind in ("certificates", "ocop") and good and not (values.get("establishment_code") or values.get("holder_name")):
            result.errors.append((number, "establishment_code", "give the establishment code or the holder's name"))
            good = False
        if good:
            result.rows.append((number, values))
    return result


def write_promotion_import(session: Session, plan: PromotionImport, actor_id: int | None) -> PromotionImport:
    """Write every row in the caller's transaction; a row refused by the rules aborts everything."""
    if plan.errors:
        raise ValueError("the file has errors; nothing is written")
    for number, values in plan.rows:
        try:
            changed = _write(session, plan.kind, values, actor_id)
        except services.PromotionError as error:
            plan.errors.append((number, error.field, str(error)))
            continue
        plan.written += changed
        plan.unchanged += not changed
    if plan.errors:
        session.rollback()
    return plan


def _write(session: Session, kind: str, values: dict, actor_id: int | None) -> bool:
    if kind == "projects":
        return services.save_project(session, **values, actor_id=actor_id)[1]
    if kind == "support":
        return services.add_support(session, **values, actor_id=actor_id)[1]
    if kind == "certificates":
        if _certificate_exists(session, values):
            return False
        services.add_certificate(session, **values, actor_id=actor_id)
        return True
    if _ocop_exists(session, values):
        return False
    services.add_ocop(session, **values, actor_id=actor_id)
    return True


def _holder_id(session: Session, values: dict) -> int | None:
    found = establishment_by_code(session, values["establishment_code"]) if values.get("establishment_code") else None
    return found.id if found else None


def _certificate_exists(session: Session, values: dict) -> bool:
    return queries.certificate_exists(session, values["level"], values["year"], values.get("certificate_number"),
                                      values["product"], _holder_id(session, values))


def _ocop_exists(session: Session, values: dict) -> bool:
    return queries.ocop_exists(session, values["product"], values["year"], _holder_id(session, values))
