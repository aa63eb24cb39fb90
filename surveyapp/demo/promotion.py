"""Synthetic industrial promotion data whose totals are the article's (Sóc Trăng, 2012–2022).

The article gives only aggregates: 223 projects; state support 20,253.331 million đồng; beneficiary
contribution 73,738.019 million đồng; typical product certificates 63 provincial, 13 regional and
5 national. The projects here are made up (marked is_demo) so that their sums are exactly those.
"""
from __future__ import annotations

import random

from sqlmodel import Session, select

from ..models import Establishment, PromotionProject
from ..reference import PROMOTION_ACTIVITIES
from ..promotion.queries import project_by_code
from ..promotion.services import add_certificate, add_ocop, add_support, add_trade_fair, add_training, save_project

PROJECTS = 223
YEARS = range(2012, 2023)
STATE_SUPPORT_VND = 20_253_331_000
BENEFICIARY_VND = 73_738_019_000
CERTIFICATES = {"provincial": 63, "regional": 13, "national": 5}
UNIT = 1_000  # the article's figures are exact to the thousand đồng
TITLES = {
    "training": "Đào tạo nghề {product} cho lao động nông thôn", "machinery": "Hỗ trợ máy móc, thiết bị {product}",
    "demonstration": "Mô hình trình diễn kỹ thuật {product}", "trade_fair": "Tham gia hội chợ CNNT khu vực",
    "brand": "Xây dựng thương hiệu {product}", "consultancy": "Tư vấn phát triển cơ sở {product}",
    "typical_product": "Bình chọn sản phẩm CNNT tiêu biểu", "communication": "Tuyên truyền hoạt động khuyến công",
    "pollution_treatment": "Hỗ trợ xử lý ô nhiễm cơ sở {product}", "industrial_cluster": "Lập quy hoạch cụm công nghiệp",
    "relocation": "Di dời cơ sở {product} gây ô nhiễm", "cooperation": "Liên kết sản xuất {product}", "other": "Đề án khác",
}
PRODUCTS = ["bánh pía", "xay xát lúa gạo", "nước mắm", "dệt chiếu", "đan lát lục bình", "cơ khí", "nước đá", "lạp xưởng"]


def _split(total: int, weights: list[float]) -> list[int]:
    """Whole thousands of đồng in proportion to `weights`, summing exactly to `total` (largest remainder)."""
    units = total // UNIT
    shares = [units * w / sum(weights) for w in weights]
    whole = [int(share) for share in shares]
    for index in sorted(range(len(shares)), key=lambda i: shares[i] - whole[i], reverse=True)[:units - sum(whole)]:
        whole[index] += 1
    return [w * UNIT for w in whole]


def generate_promotion_demo(session: Session, seed: int = 1) -> dict:
    """Projects, support, classes, fairs, certificates and OCOP ratings with the article's totals."""
    rng = random.Random(seed)
    establishments = list(session.exec(select(Establishment.code).where(Establishment.is_demo == True)  # noqa: E712
                                       .order_by(Establishment.code)))
    activities = [a for a in PROMOTION_ACTIVITIES if a != "other"]
    plan = [(YEARS[i % len(YEARS)], rng.choices(activities, weights=[8, 5, 9, 2, 4, 3, 3, 2, 1, 1, 2, 1], k=1)[0])
            for i in range(PROJECTS)]
    states = _split(STATE_SUPPORT_VND, [rng.lognormvariate(0, 0.8) for _ in plan])
    owns = _split(BENEFICIARY_VND, [rng.lognormvariate(0.5, 0.9) for _ in plan])
    for index, ((year, activity), state, own) in enumerate(zip(plan, states, owns), start=1):
        code, title = _free_code(session, f"KC-{year}-{index:03d}"), TITLES[activity].format(product=rng.choice(PRODUCTS))
        project, _changed = save_project(
            session, code=code, title=title,
            year=year, level="national" if index % 6 == 0 else "local", activity=activity, state_support_vnd=state,
            beneficiary_contribution_vnd=own, implementing_unit="Trung tâm Khuyến công tỉnh (dữ liệu mô phỏng)",
            is_demo=True)
        _link(session, rng, project, establishments, activity, state, own)
    for level, count in CERTIFICATES.items():
        for number in range(1, count + 1):
            holder = rng.choice(establishments) if establishments else None
            add_certificate(session, product=f"Sản phẩm {rng.choice(PRODUCTS)}", level=level,
                            product_group=rng.choice(["food_processing", "handicrafts", "machinery", "other"]),
                            year=rng.choice(YEARS), establishment_code=holder,
                            holder_name=None if holder else "Cơ sở (mô phỏng)",
                            certificate_number=f"{level[:2].upper()}-{number:03d}")
    for code in rng.sample(establishments, min(40, len(establishments))):
        add_ocop(session, product=f"OCOP {rng.choice(PRODUCTS)}", stars=rng.choice([3, 3, 3, 4, 4, 5]),
                 year=rng.choice(range(2019, 2023)), establishment_code=code)
    session.flush()
    return {"projects": PROJECTS, "state_support_vnd": STATE_SUPPORT_VND, "beneficiary_vnd": BENEFICIARY_VND}


def _free_code(session: Session, code: str) -> str:
    """The code, or with "-MP" (mô phỏng) added while a real project holds it: theirs is never touched."""
    while (holder := project_by_code(session, code)) is not None and not holder.is_demo:
        code += "-MP"
    return code


def _link(session, rng, project: PromotionProject, establishments: list[str], activity: str, state: int, own: int):
    """Who the project supported (their shares add up to the project's) and its classes or fairs."""
    if not establishments:
        return
    holders = rng.sample(establishments, rng.randint(1, 4))
    for code, part_state, part_own in zip(holders, _split(state, [1.0] * len(holders)), _split(own, [1.0] * len(holders))):
        add_support(session, project_code=project.code, establishment_code=code, state_support_vnd=part_state,
                    beneficiary_contribution_vnd=part_own)
    if activity == "training":
        trainees = rng.randint(20, 35)
        add_training(session, project, project.title, trainees, int(trainees * rng.uniform(0.6, 0.9)))
    elif activity == "trade_fair":
        booths = rng.randint(3, 12)
        add_trade_fair(session, project, "Hội chợ triển lãm hàng CNNT tiêu biểu", booths, booths)
