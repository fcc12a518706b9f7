"""A command refused with the reason and the HTTP status that fits it."""

from __future__ import annotations


class Refused(Exception):
    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status = status
        self.detail = detail
