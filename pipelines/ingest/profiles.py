"""The delivery profiles of one drop-zone listing, each read once, when a check first needs it."""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.contract.delivery import Delivery, file_sha256
from pipelines.contract.profile import DeliveryProfile, InvalidProfile, KindProfile, read_profile
from pipelines.ingest.discovery import DropZone


@dataclass(frozen=True)
class ProfileUse:
    """What the check of one delivery takes from its municipality's profile."""

    profile: KindProfile | None = None
    error: InvalidProfile | None = None  # the profile cannot be used: the delivery waits
    digest: str | None = None  # which profile file it was; a new one checks the delivery again


class Profiles:
    def __init__(self, drop_zone: DropZone) -> None:
        self.drop_zone = drop_zone
        self._read: dict[str, DeliveryProfile | InvalidProfile] = {}
        self._digests: dict[str, str | None] = {}

    def digest(self, municipality_code: str) -> str | None:
        if municipality_code not in self._digests:
            path = self.drop_zone.profile_file(municipality_code)
            self._digests[municipality_code] = file_sha256(path)[:16] if path else None
        return self._digests[municipality_code]

    def for_delivery(self, delivery: Delivery) -> ProfileUse:
        code = delivery.municipality_code
        path = self.drop_zone.profile_file(code)
        if path is None:
            return ProfileUse()
        if code not in self._read:
            label = str(path.relative_to(self.drop_zone.root))
            try:
                self._read[code] = read_profile(path, label=label)
            except InvalidProfile as error:
                self._read[code] = error
        read = self._read[code]
        if isinstance(read, InvalidProfile):
            return ProfileUse(error=read, digest=self.digest(code))
        return ProfileUse(read.for_kind(delivery.kind), digest=self.digest(code))
