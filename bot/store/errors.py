"""The one error the store raises for a person to act on."""


class StoreError(Exception):
    """The database cannot be used as it is; the message says why and what to do, in one line."""

    @property
    def user_message(self) -> str:
        """As every problem a person can act on says it (see bot.msx.errors)."""
        return str(self)
