"""Administrative units (province, district, commune) from the `vietnamadminunits` package."""
