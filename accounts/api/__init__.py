"""The accounts app's part of the REST API: per-client token authentication (``authentication``)."""
