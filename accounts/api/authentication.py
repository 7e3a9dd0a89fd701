"""Per-client API tokens: ``Authorization: Token <key>``.

Only the SHA-256 hash of a key is stored (``accounts.models.ApiToken``); the key is looked up by
its hash. Revoked and expired tokens, and tokens of deactivated users, answer 401.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from ..models import ApiToken
from ..services import api_token_touch


class TokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None  # not ours: the session (or nobody) authenticates the request
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("令牌格式无效：应为“Authorization: Token <密钥>”。"))
        try:
            key = parts[1].decode("ascii")
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed(_("令牌无效。")) from exc
        return self.authenticate_credentials(key)

    def authenticate_credentials(self, key: str):
        token = ApiToken.objects.select_related("user").filter(key_hash=ApiToken.hash_key(key)).first()
        if token is None:
            raise exceptions.AuthenticationFailed(_("令牌无效。"))
        if token.is_revoked:
            raise exceptions.AuthenticationFailed(_("令牌已吊销。"))
        if token.is_expired():
            raise exceptions.AuthenticationFailed(_("令牌已过期。"))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("令牌所属用户已停用。"))
        api_token_touch(token=token)
        return token.user, token

    def authenticate_header(self, request):
        # Makes DRF answer 401 (with WWW-Authenticate) rather than 403 to unauthenticated requests.
        return self.keyword


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = TokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "Per-client API token: send `Authorization: Token <key>`. Staff issue tokens in the "
                "admin or with `manage.py create_api_token`; the key is shown once. A read-only "
                "token may only use GET; a unit user's token sees only that unit's records."
            ),
        }
