"""Word lists and proportions the synthetic census draws from.

Sectors and legal forms follow the domain notes (Decree 45/2012 activities; VSIC 2018); the weights
are plausible for a Mekong Delta province (rice milling, food processing, mat weaving, salt), not
statistics. Names mix Kinh, Khmer and Hoa family names as found in Sóc Trăng.
"""
from __future__ import annotations

# (VSIC class, weight, product words used in names)
SECTORS: list[tuple[str, float, list[str]]] = [
    ("1061", 16, ["Xay xát lúa gạo", "Lau bóng gạo", "Xay xát"]),
    ("1071", 9, ["Bánh pía", "Bánh ngọt", "Bánh tét", "Bánh phồng tôm", "Lạp xưởng bánh"]),
    ("1079", 8, ["Nước mắm", "Mắm cá", "Tàu hũ ky", "Bún tươi", "Hủ tiếu"]),
    ("1020", 7, ["Khô cá", "Tôm khô", "Chế biến thủy sản", "Mắm ba khía"]),
    ("1010", 4, ["Lạp xưởng", "Chả lụa", "Giò chả"]),
    ("1030", 3, ["Sấy trái cây", "Mứt", "Chế biến hành tím"]),
    ("1072", 2, ["Đường mía", "Đường thủ công"]),
    ("1080", 2, ["Thức ăn chăn nuôi", "Thức ăn thủy sản"]),
    ("1101", 3, ["Rượu gạo", "Rượu nếp", "Rượu Hiệp Hòa"]),
    ("1104", 3, ["Nước uống đóng chai", "Nước tinh khiết"]),
    ("3530", 4, ["Nước đá", "Sản xuất nước đá"]),
    ("1329", 4, ["Dệt chiếu", "Chiếu lác", "Dệt thổ cẩm"]),
    ("1410", 4, ["May mặc", "May gia công"]),
    ("1629", 5, ["Đan lát lục bình", "Đan tre trúc", "Đan giỏ nhựa", "Đan lát"]),
    ("1610", 3, ["Cưa xẻ gỗ", "Mộc gia dụng"]),
    ("3100", 4, ["Đồ gỗ nội thất", "Mộc dân dụng"]),
    ("2220", 2, ["Bao bì nhựa", "Nhựa gia dụng"]),
    ("2392", 2, ["Gạch tuynel", "Gạch không nung"]),
    ("2395", 3, ["Cống bê tông", "Cột bê tông", "Vật liệu xây dựng"]),
    ("2592", 5, ["Cơ khí", "Gia công cơ khí", "Tiện"]),
    ("2511", 3, ["Khung nhà thép", "Cửa sắt"]),
    ("2821", 3, ["Máy nông nghiệp", "Máy sấy lúa", "Ghe composite"]),
    ("3011", 1, ["Đóng ghe", "Đóng tàu cá"]),
    ("3312", 2, ["Sửa chữa máy nông nghiệp", "Sửa chữa máy móc"]),
    ("3290", 2, ["Thủ công mỹ nghệ", "Nhang", "Chổi"]),
    ("0893", 2, ["Muối hạt", "Diêm nghiệp"]),
    ("2012", 1, ["Phân bón hữu cơ", "Phân vi sinh"]),
    ("3830", 1, ["Tái chế phế liệu", "Tái chế nhựa"]),
]

# (legal form, weight, median workers, name prefixes)
LEGAL_FORMS: list[tuple[str, float, float, list[str]]] = [
    ("household_business", 52, 5, ["Cơ sở", "Hộ kinh doanh", "CS"]),
    ("household", 31, 3, ["Hộ", "Cơ sở"]),
    ("enterprise", 10, 22, ["Công ty TNHH", "DNTN", "Công ty TNHH MTV", "Công ty Cổ phần"]),
    ("cooperative", 5, 14, ["HTX", "Hợp tác xã"]),
    ("cooperative_group", 2, 9, ["Tổ hợp tác", "THT"]),
]

FAMILY_NAMES = [
    "Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương",
    "Lý", "Trương", "Lâm", "Quách", "Thạch", "Sơn", "Danh", "Kim", "Triệu", "Châu", "Tăng", "Mã",
]
MIDDLE_NAMES = ["Văn", "Thị", "Minh", "Hoàng", "Thanh", "Ngọc", "Hữu", "Quốc", "Kim", "Thị Ngọc", "Văn Út"]
GIVEN_NAMES = [
    "An", "Bình", "Cường", "Dũng", "Hùng", "Lan", "Mai", "Nga", "Phúc", "Sang", "Tâm", "Thảo", "Tuấn",
    "Vy", "Hạnh", "Hiền", "Khánh", "Long", "Nam", "Phương", "Quang", "Thành", "Trí", "Xuân", "Yến",
    "Sa Rây", "Sóc Kha", "Sà Phol", "Chanh Đa", "Hên", "Lộc", "Tài", "Đức", "Nhung", "Hòa", "Tú",
]
BRANDS = [
    "Tân Huê Viên", "Phát Đạt", "Thành Công", "Hưng Thịnh", "Kim Phát", "Minh Châu", "Ngọc Lan",
    "Thuận Phát", "Vĩnh Lợi", "Phước Lộc", "Hòa Bình", "Đại Thành", "Mỹ Phước", "Tấn Lộc", "Quang Vinh",
    "Hiệp Hòa", "Sông Hậu", "Cù Lao", "Mỹ Xuyên", "Ba Xuyên", "Đông Hải", "Thanh Tùng", "Út Mai",
    "Năm Hên", "Sáu Tâm", "Bảy Lộc", "Hai Thành", "Mekong", "Thiên Phú", "An Thạnh", "Khánh Hòa",
]
HAMLETS = [
    "Ấp 1", "Ấp 2", "Ấp 3", "Ấp Phú Hòa", "Ấp Trà Canh A", "Ấp Prey Chóp", "Ấp Sóc Vồ", "Ấp Tân Lập",
    "Ấp Hòa Thượng", "Ấp Mỹ Lợi", "Ấp Chợ", "Ấp Đại Ân", "Ấp Bưng Cốc", "Ấp Kinh Mới", "Ấp Vĩnh Bình",
    "Ấp Khánh Hòa", "Ấp An Nghiệp", "Ấp Nhơn Mỹ", "Ấp Thạnh Lợi", "Ấp Cầu Đen",
]
STREETS = [
    "Lê Lợi", "Hai Bà Trưng", "Trần Hưng Đạo", "Nguyễn Huệ", "Phú Lợi", "Lê Hồng Phong", "Tôn Đức Thắng",
    "Quốc lộ 1A", "Quốc lộ 60", "Đường 30/4", "Mạc Đĩnh Chi", "Hùng Vương",
]
