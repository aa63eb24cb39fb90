"""Writes duplicate_pairs.json: a labelled set of hard pairs of establishments, half duplicates.

Made independently of the model: its own word lists, and the cases a supervisor meets in real
registries — look-alike workshops of one trade, neighbours in a market row, one owner with two
businesses and one phone, siblings sharing a phone, people of one family — against duplicates typed
without diacritics, with abbreviated legal forms, swapped name order, a typo, moved to the next
commune, or re-registered as an enterprise. Run: `python tests/data/make_duplicate_pairs.py`.
"""
from __future__ import annotations

import json
import math
import random
import sys
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from surveyapp.adminunits import source  # noqa: E402

OUT = Path(__file__).with_name("duplicate_pairs.json")
TRADES = [  # (VSIC, sector, product words)
    ("1071", "C10", ["Bánh pía", "Bánh bò", "Bánh in", "Bánh tráng"]),
    ("1079", "C10", ["Nước mắm", "Mắm cá lóc", "Bún tươi", "Tàu hũ"]),
    ("1020", "C10", ["Khô cá lóc", "Tôm khô", "Khô cá sặc"]),
    ("1061", "C10", ["Xay xát gạo", "Lau bóng gạo"]),
    ("1101", "C11", ["Rượu nếp", "Rượu gạo"]),
    ("1329", "C13", ["Dệt chiếu", "Chiếu cói"]),
    ("1629", "C16", ["Đan lục bình", "Đan giỏ tre"]),
    ("2592", "C25", ["Cơ khí", "Tiện kim loại"]),
    ("3100", "C31", ["Mộc gia dụng", "Đồ gỗ"]),
    ("3530", "D35", ["Nước đá"]),
    ("1410", "C14", ["May gia công", "May đồ bộ"]),
    ("2395", "C23", ["Cống bê tông", "Trụ bê tông"]),
]
BRANDS = ["Thanh Hương", "Phú Quý", "Tấn Phát", "Hồng Ân", "Mười Lý", "Tư Ngọc", "Kim Hoàng", "Phước Thạnh",
          "Vạn Lợi", "Ngọc Hân", "Bảo Châu", "Hữu Nghĩa", "Thuận Thành", "Tám Cường", "Út Hiền", "Lộc Phát",
          "Gia Huy", "Minh Tâm", "Ánh Dương", "Trường An", "Hoàng Long", "Hải Đăng", "Thiện Tâm", "Phúc Lộc"]
#: Brands one syllable apart: different workshops whose names look alike.
ONE_SYLLABLE = [("Phú Quý", "Phú Quới"), ("Tấn Phát", "Tấn Phú"), ("Hồng Ân", "Hồng Anh"), ("Kim Hoàng", "Kim Hương"),
                ("Vạn Lợi", "Vạn Lộc"), ("Ngọc Hân", "Ngọc Hạnh"), ("Bảo Châu", "Bảo Chân"), ("Lộc Phát", "Lộc Phúc"),
                ("Gia Huy", "Gia Hưng"), ("Minh Tâm", "Minh Tân"), ("Trường An", "Trường Ân"), ("Hải Đăng", "Hải Đông")]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Thạch", "Lâm", "Sơn", "Trương", "Đặng", "Kiên"]
MIDDLE = ["Văn", "Thị", "Hoàng", "Thanh", "Ngọc", "Hữu", "Minh"]
GIVEN = ["Phong", "Thắm", "Hiếu", "Loan", "Sơn", "Kiệt", "Diễm", "Toàn", "Trang", "Lực", "Hậu", "Bé", "Sa Phía",
         "Thơ", "Chiến", "Nhi", "Vũ", "Tươi", "Khải", "Liên"]
HAMLETS = ["Ấp Hòa Lợi", "Ấp Xóm Chòi", "Ấp Tân Hòa", "Ấp Sóc Leo", "Ấp Chợ Cũ", "Ấp Bờ Đập", "Ấp Phú Thứ"]
FORMS = {"Cơ sở": "household_business", "Hộ kinh doanh": "household_business", "DNTN": "enterprise",
         "Hợp tác xã": "cooperative", "Công ty TNHH": "enterprise"}
ABBREVIATIONS = {"Cơ sở": "CS", "Hộ kinh doanh": "HKD", "Hợp tác xã": "HTX", "Doanh nghiệp tư nhân": "DNTN",
                 "Công ty TNHH": "Cty TNHH"}


def plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class Maker:
    def __init__(self, seed: int = 2026):
        self.rng = random.Random(seed)
        units = list(source.legacy_units("94"))
        self.communes = [u for u in units if u["level"] == "commune"]
        self.sequence = 900_000
        self.records: list[dict] = []
        self.pairs: list[dict] = []

    def person(self, family: str | None = None, other_than: str | None = None) -> str:
        while True:
            person = f"{family or self.rng.choice(FAMILY)} {self.rng.choice(MIDDLE)} {self.rng.choice(GIVEN)}"
            if person != other_than:
                return person

    def phone(self) -> str:
        return f"0{self.rng.choice([9, 8, 3, 7])}{self.rng.randint(0, 99_999_999):08d}"

    def point(self, commune: dict, metres: float = 600) -> tuple[float, float]:
        scale = metres / 111_000
        return (round(commune["lat"] + self.rng.gauss(0, scale), 6), round(commune["lon"] + self.rng.gauss(0, scale), 6))

    def nearby(self, lat: float, lon: float, metres: float) -> tuple[float, float]:
        angle = self.rng.uniform(0, 2 * math.pi)
        return (round(lat + metres * math.sin(angle) / 111_000, 6), round(lon + metres * math.cos(angle) / 109_500, 6))

    def base(self, form: str | None = None, trade=None, commune=None, owner=None, brand=None) -> dict:
        form = form or self.rng.choice(["Cơ sở", "Cơ sở", "Hộ kinh doanh", "DNTN", "Hợp tác xã"])
        vsic, sector, products = trade or self.rng.choice(TRADES)
        commune = commune or self.rng.choice(self.communes)
        lat, lon = self.point(commune)
        owner = owner or self.person()
        return {"name": f"{form} {self.rng.choice(products)} {brand or self.rng.choice(BRANDS)}", "owner": owner,
                "legal_form": FORMS[form], "tax_code": f"22{self.rng.randint(0, 99_999_999):08d}" if form in (
                    "DNTN", "Hợp tác xã", "Công ty TNHH") else None,
                "phone": self.phone() if self.rng.random() < 0.7 else None, "vsic_code": vsic, "sector": sector,
                "address": f"{self.rng.choice(HAMLETS)}, {commune['name']}", "commune_code": commune["code"],
                "district_code": commune["parent_code"], "lat": lat, "lon": lon}

    def add(self, record: dict) -> str:
        self.sequence += 1
        code = f"94-{record['district_code']}-{self.sequence:06d}"
        self.records.append({"code": code, **record})
        return code

    def pair(self, first: dict, second: dict, duplicate: bool, case: str) -> None:
        if not duplicate and case != "one_owner_two_businesses" and first["owner"] == second["owner"]:
            second["owner"] = self.person(other_than=first["owner"])  # two people: never one by chance
        self.pairs.append({"code_a": self.add(first), "code_b": self.add(second), "duplicate": duplicate, "case": case})

    def next_commune(self, commune_code: str) -> dict:
        here = next(c for c in self.communes if c["code"] == commune_code)
        others = [c for c in self.communes if c["parent_code"] == here["parent_code"] and c["code"] != commune_code]
        return min(others, key=lambda c: (c["lat"] - here["lat"]) ** 2 + (c["lon"] - here["lon"]) ** 2)

    def maybe_drop(self, record: dict, *fields: str, chance: float = 0.3) -> dict:
        for name in fields:
            if self.rng.random() < chance:
                record[name] = None
        return record

    def retyped(self, record: dict, **changes) -> dict:
        """The same establishment entered again: GPS taken again nearby, a field left out now and then."""
        copy = dict(record, **changes)
        if copy["lat"] is not None and "lat" not in changes:
            copy["lat"], copy["lon"] = self.nearby(record["lat"], record["lon"], self.rng.uniform(2, 60))
        return self.maybe_drop(copy, "phone", "lat", chance=0.15)


def typo(rng: random.Random, text: str) -> str:
    position = rng.randrange(len(text) // 2, len(text) - 1)
    if text[position] == " " or text[position + 1] == " ":
        position = len(text) - 3
    return text[:position] + text[position + 1] + text[position] + text[position + 2:]


def swapped(owner: str) -> str:
    words = owner.split()
    return " ".join(words[-1:] + words[:-1])  # given name first, as some forms are filled in


def build() -> dict:
    m = Maker()
    rng = m.rng
    for _ in range(12):  # typed again without diacritics
        first = m.base()
        m.pair(first, m.retyped(first, name=plain(first["name"]), owner=plain(first["owner"]),
                                address=plain(first["address"])), True, "no_diacritics")
    for _ in range(12):  # legal form abbreviated (CS, HKD, HTX, DNTN, Cty TNHH) or spelt out
        form = rng.choice(["Cơ sở", "Hộ kinh doanh", "Hợp tác xã", "DNTN", "Công ty TNHH"])
        first = m.base(form)
        long_form = first["name"].replace("DNTN", "Doanh nghiệp tư nhân")
        short = long_form
        for full, abbreviation in ABBREVIATIONS.items():
            short = short.replace(full, abbreviation)
        m.pair(dict(first, name=long_form), m.retyped(first, name=short), True, "abbreviation")
    for _ in range(11):  # owner written given name first
        first = m.base()
        m.pair(first, m.retyped(first, owner=swapped(first["owner"])), True, "swapped_owner_name")
    for _ in range(12):  # moved to the next commune: new address and GPS, same name, owner, phone
        first = m.base()
        first["phone"] = first["phone"] or m.phone()
        commune = m.next_commune(first["commune_code"])
        lat, lon = m.point(commune)
        m.pair(first, dict(first, commune_code=commune["code"], address=f"{rng.choice(HAMLETS)}, {commune['name']}",
                           lat=lat, lon=lon), True, "moved_next_commune")
    for _ in range(12):  # re-registered as an enterprise: new legal form and a tax code
        first = m.base("Cơ sở")
        first["tax_code"] = None
        words = first["name"].split(" ", 2)[2]
        m.pair(first, m.retyped(first, name=f"{rng.choice(['Công ty TNHH', 'Cty TNHH MTV', 'DNTN'])} {words}",
                                legal_form="enterprise", tax_code=f"22{rng.randint(0, 99_999_999):08d}"),
               True, "re_registered_enterprise")
    for _ in range(12):  # a typo in the name, the phone missing in one
        first = m.base()
        m.pair(first, m.retyped(first, name=typo(rng, first["name"]), phone=None), True, "typo")
    for _ in range(10):  # household named after its owner, typed plainly, nearby
        owner = m.person()
        first = m.base("Hộ kinh doanh", owner=owner)
        first["name"] = f"Hộ kinh doanh {owner}"
        m.pair(first, m.retyped(first, name=f"HKD {plain(owner)}", owner=plain(owner)), True, "household_plain")
    for _ in range(9):  # several small differences at once: abbreviation, no diacritics, address retyped
        first = m.base("Cơ sở")
        m.pair(first, m.retyped(first, name=plain(first["name"]).replace("Co so", "CS"),
                                address=plain(first["address"]).upper(), owner=swapped(first["owner"])),
               True, "mixed")

    for _ in range(20):  # two workshops of one trade, names one syllable apart, one commune, other owners
        this, that = rng.choice(ONE_SYLLABLE)
        trade = rng.choice(TRADES)
        product = rng.choice(trade[2])
        first = m.base("Cơ sở", trade=trade)
        first["name"] = f"Cơ sở {product} {this}"
        commune = next(c for c in m.communes if c["code"] == first["commune_code"])
        second = m.base("Cơ sở", trade=trade, commune=commune)
        second["name"] = f"Cơ sở {product} {that}"
        if rng.random() < 0.5:
            second["owner"] = m.person(first["owner"].split()[0], first["owner"])  # even of one family
        m.pair(first, second, False, "one_syllable_apart")
    for _ in range(15):  # neighbours a few metres apart in a market row, other products
        first = m.base()
        commune = next(c for c in m.communes if c["code"] == first["commune_code"])
        other_trade = rng.choice([t for t in TRADES if t[0] != first["vsic_code"]])
        second = m.base(trade=other_trade, commune=commune)
        second["lat"], second["lon"] = m.nearby(first["lat"], first["lon"], rng.uniform(3, 15))
        second["address"] = first["address"]
        m.pair(first, second, False, "market_row_neighbours")
    for _ in range(20):  # one owner, two different businesses, one phone
        first = m.base()
        first["phone"] = m.phone()
        commune = next(c for c in m.communes if c["code"] == first["commune_code"])
        other_trade = rng.choice([t for t in TRADES if t[1] != first["sector"]])
        second = m.base(trade=other_trade, commune=commune, owner=first["owner"])
        second["phone"], second["address"] = first["phone"], first["address"]
        second["lat"], second["lon"] = m.nearby(first["lat"], first["lon"], rng.uniform(5, 80))
        m.pair(first, second, False, "one_owner_two_businesses")
    for _ in range(15):  # siblings sharing the family phone, each with a workshop of their own
        first = m.base()
        first["phone"] = m.phone()
        commune = next(c for c in m.communes if c["code"] == first["commune_code"])
        second = m.base(commune=commune, owner=m.person(first["owner"].split()[0], first["owner"]))
        second["phone"] = first["phone"]
        m.pair(first, second, False, "siblings_one_phone")
    for _ in range(15):  # same family name, other owner, same trade, one commune
        first = m.base()
        commune = next(c for c in m.communes if c["code"] == first["commune_code"])
        trade = next(t for t in TRADES if t[0] == first["vsic_code"])
        second = m.base(trade=trade, commune=commune, owner=m.person(first["owner"].split()[0], first["owner"]))
        m.pair(first, second, False, "same_family_other_owner")
    for _ in range(15):  # one brand name in two districts, other owners
        first = m.base()
        elsewhere = rng.choice([c for c in m.communes if c["parent_code"] != first["district_code"]])
        second = m.base(commune=elsewhere)
        second["name"] = first["name"]
        m.pair(first, second, False, "same_name_other_district")
    return {"records": m.records, "pairs": m.pairs}


if __name__ == "__main__":
    data = build()
    OUT.write_text(json.dumps(data, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    duplicates = sum(p["duplicate"] for p in data["pairs"])
    print(f"{len(data['pairs'])} pairs ({duplicates} duplicates), {len(data['records'])} records → {OUT}")
