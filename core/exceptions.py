from django.utils.translation import gettext_lazy as _


class StaleVersionError(Exception):
    """The record changed since the user read it: the save is refused (HTTP 409 in the API)."""

    default_message = _("该记录已被他人修改，您的保存未生效。请刷新页面查看最新内容后重新修改。")

    def __init__(self, message=None, *, current_version: int | None = None):
        self.message = message or self.default_message
        self.current_version = current_version
        super().__init__(str(self.message))


def check_version(record, expected_version: int | None) -> None:
    """Refuse a write to ``record`` (locked, freshly read) when the caller read another version of
    it: optimistic locking, the one check of every service that takes ``expected_version``."""
    if expected_version is not None and record.version != expected_version:
        raise StaleVersionError(current_version=record.version)
