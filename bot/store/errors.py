"""The one error the store raises for a person to act on."""


class StoreError(Exception):
    """The database cannot be used as it is; the message says why and what to do, in one line."""
