"""Money is an integer number of fen (分, 1/100 yuan). Never floats.

``parse_yuan`` turns what a person types into fen; ``format_fen`` turns fen into what a person reads.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

Fen = int


class MoneyFormatError(ValueError):
    pass


def parse_yuan(text: str | int | Decimal) -> Fen:
    """'12.5' → 1250. Refuses negative amounts and more than two decimals (no silent rounding)."""
    try:
        amount = Decimal(str(text).strip().replace("¥", "").replace(",", ""))
        if not amount.is_finite() or amount < 0:
            raise MoneyFormatError(f"not a valid amount: {text!r}")
        fen = amount * 100
        if fen != fen.to_integral_value():
            raise MoneyFormatError(f"more than two decimals: {text!r}")
        return int(fen)
    except (InvalidOperation, ArithmeticError) as exc:
        raise MoneyFormatError(f"not a valid amount: {text!r}") from exc


def format_fen(fen: Fen, *, symbol: bool = True) -> str:
    """1250 → '¥12.50'; 123456789 → '¥1,234,567.89'."""
    if not isinstance(fen, int):
        raise TypeError("money must be integer fen")
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}{'¥' if symbol else ''}{yuan:,}.{cents:02d}"
