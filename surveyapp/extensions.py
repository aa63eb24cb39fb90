"""Flask extensions, created unbound and bound in create_app."""
from __future__ import annotations

from flask_wtf import CSRFProtect

#: Every state-changing request needs a CSRF token. Views whose FlaskForm checks the token itself
#: (and so can send the typed answers back when it fails) are exempted with @csrf.exempt.
csrf = CSRFProtect()
