"""Which new passwords to refuse: the short, the username, sequences and repeated patterns, and the
most common ones (a small built-in list, Vietnamese favourites included).

Generated passwords (16 random characters) always pass; so does any passphrase of ordinary words.
"""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

MIN_PASSWORD_LENGTH = 10

#: Why a password is refused, as shown on the pages (the CLI prints the English).
MESSAGES = {
    "short": _l("At least %(n)d characters.", n=MIN_PASSWORD_LENGTH),
    "username": _l("The password must not be the username."),
    "pattern": _l("This password is a sequence or a repeated pattern: choose another."),
    "common": _l("This password is too common: choose another."),
}

#: Rows a password may be a run of, forwards or backwards: digits, the alphabet, keyboard rows.
_SEQUENCES = ("01234567890", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "asdfghjkl", "zxcvbnm",
              "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p")
#: Words that stay guessable with digits or symbols around them ("Matkhau@2026", "password123").
_COMMON_WORDS = frozenset("""
password passw0rd matkhau mat-khau admin administrator quantri qwerty qwertyui iloveyou anhyeuem
emyeuanh yeuem welcome letmein sunshine princess football dragon monkey superman batman master
vietnam hanoi saigon hochiminh soctrang trangbui changeme secret default survey surveyapp
dieutra thongke cososanxuat abc abcd abcde
""".split())
#: Whole passwords of 10+ characters found near the top of every leaked list.
_COMMON_PASSWORDS = frozenset("""
1234567890 0123456789 1234567891 12345678910 123456789a a123456789 123456789q q123456789 1q2w3e4r5t
1q2w3e4r5t6y 1qaz2wsx3edc zaq12wsxcde qazwsxedcrfv qwerty1234 qwerty123456 abcd123456 abc1234567
aa12345678 a1b2c3d4e5 11223344556 1122334455 0912345678 0987654321 147258369a 147852369a 1478963250
iloveyou12 anhyeuem123 emyeuanh123 password12 password123 password1! matkhau123 admin12345 admin@1234
""".split())
_AROUND_WORD = re.compile(r"^[\d\W_]+|[\d\W_]+$")


def password_weakness(password: str, username: str = "") -> str | None:
    """Why `password` is refused for `username` (a key of MESSAGES), or None when it is fine."""
    lowered = (password or "").lower()
    core = _AROUND_WORD.sub("", lowered)
    username = (username or "").strip().lower()
    if len(password or "") < MIN_PASSWORD_LENGTH:
        return "short"
    if username and username in (lowered, core, lowered[::-1]):
        return "username"
    if _is_run(lowered) or _is_repetitive(lowered):
        return "pattern"
    if lowered in _COMMON_PASSWORDS or core in _COMMON_WORDS:
        return "common"
    return None


def _is_run(lowered: str) -> bool:
    return any(lowered in row or lowered in row[::-1] for row in _SEQUENCES)


def _is_repetitive(lowered: str) -> bool:
    """Three or fewer distinct characters, or a chunk of up to four repeated ("abcabcabca")."""
    if len(set(lowered)) <= 3:
        return True
    return any(lowered == (lowered[:size] * len(lowered))[:len(lowered)] for size in range(1, 5))
