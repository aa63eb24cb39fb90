"""One account per role for trying the demo census: who they are and where they work."""
from __future__ import annotations

from sqlmodel import Session

from ..accounts.services import assign_communes, create_user, user_by_username
from ..adminunits.queries import communes_of_district, districts_of_province
from ..survey.queries import round_by_code
from ..models import Role
from .generator import ROUNDS

#: (username, role, full name); the supervisor reviews the first district, the enumerator works in
#: its first three communes, in the open demo round.
DEMO_ACCOUNTS = (
    ("giamsat", Role.supervisor, "Nguyễn Văn Giám Sát"),
    ("dieutra", Role.enumerator, "Trần Thị Điều Tra"),
    ("phantich", Role.analyst, "Lê Minh Phân Tích"),
)


def create_demo_accounts(session: Session, province_code: str) -> list[tuple[str, str, str]]:
    """Create the accounts that do not exist yet; returns (username, role, password) of the new ones."""
    open_round = round_by_code(session, next(plan.code for plan in ROUNDS if plan.is_open))
    districts = districts_of_province(session, province_code)
    communes = [c.code for c in communes_of_district(session, districts[0].code)] if districts else []
    created = []
    for username, role, full_name in DEMO_ACCOUNTS:
        if user_by_username(session, username) is not None:
            continue
        user, password = create_user(session, username, role, full_name=full_name)
        area = communes if role == Role.supervisor else communes[:3] if role == Role.enumerator else []
        if open_round is not None and area:
            assign_communes(session, user, open_round, area, actor_id=None)
        created.append((username, role.value, password))
    return created
