"""The OpenRosa 1.0 server for ODK Collect and KoboCollect: form list, forms, media, submissions."""
