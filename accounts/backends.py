"""Login lockout (django-axes) and the client address it counts failures against.

``LoginLockoutBackend`` stands first in ``AUTHENTICATION_BACKENDS``: every ``authenticate()`` made
for a web request (the site's login form, the admin's login form) is refused while the username +
client address pair is locked out. ``authenticate()`` called without a request (``Client.login`` in
tests, a shell) has no client to count and no attacker to slow down, so the check steps aside there
instead of raising as axes' own backend does.
"""

from axes.backends import AxesStandaloneBackend
from django.conf import settings


class LoginLockoutBackend(AxesStandaloneBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or, behind ``TRUSTED_PROXY_COUNT`` trusted reverse proxies,
    the address the outermost of them saw (counted from the right of X-Forwarded-For, the entries a
    client can forge being on the left)."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")
