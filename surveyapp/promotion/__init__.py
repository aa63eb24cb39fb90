"""Industrial promotion ("khuyến công"): projects, support given, certificates, OCOP, the provincial report."""
