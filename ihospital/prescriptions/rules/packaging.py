"""What one package of a catalogue drug holds, read from the HIS's 规格 (strength) and 包装 (package) texts.

The HIS describes a drug as text: strength "5mg", package "5mg×7片/盒"; "100ml:2g" and "100ml:2g/瓶";
"100μg×200揿" and "100μg×200揿/支"; "300单位/3ml" and "300单位/3ml×1支/盒". ``packaging(drug)`` turns that
into a ``Packaging``: the counted piece (片, 粒, 袋, ml, 揿 …), how many a package holds, and what one piece
contains (mg, IU, ml) when the text says so. ``to_pieces``/``convert`` turn a dose between units through
it; a unit that does not fit the drug is ``None`` here and a coded error for the caller.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from ihospital.prescriptions.rules.schema import MASS_UNITS

PUFFS = frozenset({"吸", "揿", "喷"})
DROP_ML = 0.05  # one drop (滴), the usual 20 drops per ml of eye and nose drops
_NUMBER = r"(\d+(?:\.\d+)?)"
_MASS = re.compile(rf"^{_NUMBER}(mg|g|μg)$")
_IU = re.compile(rf"^{_NUMBER}单位$")
_VOLUME = re.compile(rf"^{_NUMBER}ml$")
_COUNT = re.compile(rf"^{_NUMBER}([^\d.]+)$")
_LIQUID = re.compile(rf"^{_NUMBER}ml:{_NUMBER}(mg|g|μg)$")  # 100ml:2g: the volume and what it holds
_PER_VOLUME = re.compile(rf"^{_NUMBER}(mg|g|μg|单位)/{_NUMBER}ml$")  # 1mg/2ml, 300单位/3ml
_PACK = re.compile(rf"^×{_NUMBER}([^\d/]+)/(.+)$")  # ×7片/盒


@dataclass(frozen=True)
class Packaging:
    package_unit: str  # what the quantity counts: 盒, 瓶, 支
    count: float  # pieces per package
    piece: str  # the counted piece: 片, 粒, 袋, 丸, 支, ml, 揿 …, or the package unit itself (a tube of cream)
    mass_mg: float | None = None  # per piece
    iu: float | None = None  # per piece
    volume_ml: float | None = None  # per piece (1 when the piece is ml)

    def units(self) -> tuple[str, ...]:
        """The dose units this drug can be written in."""
        units = [self.piece]
        if self.piece in PUFFS:
            units += sorted(PUFFS - {self.piece})
        if self.mass_mg is not None:
            units += ["mg", "g", "μg"]
        if self.iu is not None:
            units.append("单位")
        if self.volume_ml is not None:
            units += [u for u in ("ml", "滴") if u != self.piece]
        return tuple(dict.fromkeys(units))

    def to_pieces(self, amount: float, unit: str) -> float | None:
        """``amount`` of ``unit`` in pieces, or None when the unit does not fit this drug."""
        if unit == self.piece or (unit in PUFFS and self.piece in PUFFS):
            return amount
        if unit in MASS_UNITS and self.mass_mg:
            return amount * MASS_UNITS[unit] / self.mass_mg
        if unit == "单位" and self.iu:
            return amount / self.iu
        if unit in ("ml", "滴") and self.volume_ml:
            return amount * (DROP_ML if unit == "滴" else 1.0) / self.volume_ml
        return None

    def convert(self, amount: float, unit: str, into: str) -> float | None:
        """``amount`` of ``unit`` expressed in ``into`` (through the pieces when the units differ in kind)."""
        if unit == into or (unit in PUFFS and into in PUFFS):
            return amount
        if unit in MASS_UNITS and into in MASS_UNITS:
            return amount * MASS_UNITS[unit] / MASS_UNITS[into]
        if {unit, into} == {"ml", "滴"}:
            return amount * DROP_ML if unit == "滴" else amount / DROP_ML
        pieces = self.to_pieces(amount, unit)
        one = self.to_pieces(1.0, into)
        if pieces is None or not one:
            return None
        return pieces / one

    def packages(self, pieces: float) -> int:
        """Whole packages that hold ``pieces`` (a float error of 1e-9 does not open another package)."""
        return max(1, math.ceil(pieces / self.count - 1e-9))


class PackagingError(ValueError):
    """The HIS texts of a drug do not say what a package holds."""


@lru_cache(maxsize=4096)
def parse(strength: str, package: str) -> Packaging:
    """Read a catalogue drug's strength and package texts; raises ``PackagingError`` when they do not fit."""
    if not package.startswith(strength):
        raise PackagingError(f"package {package!r} does not start with the strength {strength!r}")
    rest = package[len(strength) :]
    packed = _PACK.match(rest)
    if packed:  # 5mg×7片/盒: the strength describes one piece
        count, piece, unit = float(packed[1]), packed[2], packed[3]
        return Packaging(unit, count, piece, **_contents(strength))
    if not rest.startswith("/") or len(rest) < 2:
        raise PackagingError(f"cannot read the package {package!r}")
    return _whole(strength, rest[1:])


def _whole(strength: str, unit: str) -> Packaging:
    """A package counted as one (…/瓶, …/支): what the strength says it holds."""
    head, _sep, tail = strength.partition("×")
    if tail:  # 100μg×200揿/支, 6g×10袋/盒, 2%×5g/支
        counted = _COUNT.match(tail)
        if not counted:
            raise PackagingError(f"cannot read the count in {strength!r}")
        count, piece = float(counted[1]), counted[2]
        if piece == "ml":
            return Packaging(unit, count, "ml", volume_ml=1.0)
        if piece == "g" or head.endswith("%"):  # a tube of cream: counted as the tube
            return Packaging(unit, 1.0, unit)
        return Packaging(unit, count, piece, **_contents(head))
    liquid = _LIQUID.match(strength)
    if liquid:  # 100ml:2g/瓶 — the bottle counted in ml
        millilitres = float(liquid[1])
        mass_per_ml = float(liquid[2]) * MASS_UNITS[liquid[3]] / millilitres
        return Packaging(unit, millilitres, "ml", mass_mg=mass_per_ml, volume_ml=1.0)
    bottle = _VOLUME.match(strength)
    if bottle:
        return Packaging(unit, float(bottle[1]), "ml", volume_ml=1.0)
    counted = _COUNT.match(strength)
    if counted and counted[2] in ("丸", "片", "粒", "袋"):  # 200丸/瓶
        return Packaging(unit, float(counted[1]), counted[2])
    return Packaging(unit, 1.0, unit)  # 20g/支, 85g+30g/盒: one tube or can


def _contents(text: str) -> dict[str, float]:
    """What one piece holds, from a strength like "5mg", "400单位", "1mg/2ml", "10ml:0.5g", "10ml"."""
    mass = _MASS.match(text)
    if mass:
        return {"mass_mg": float(mass[1]) * MASS_UNITS[mass[2]]}
    iu = _IU.match(text)
    if iu:
        return {"iu": float(iu[1])}
    per_volume = _PER_VOLUME.match(text)
    if per_volume:
        amount, unit = float(per_volume[1]), per_volume[2]
        key = "iu" if unit == "单位" else "mass_mg"
        return {key: amount * MASS_UNITS.get(unit, 1.0), "volume_ml": float(per_volume[3])}
    liquid = _LIQUID.match(text)
    if liquid:
        return {"volume_ml": float(liquid[1]), "mass_mg": float(liquid[2]) * MASS_UNITS[liquid[3]]}
    vial = _VOLUME.match(text)
    if vial:
        return {"volume_ml": float(vial[1])}
    return {}  # a combination (5mg/325mg, 复方): counted in pieces only
