from django import template

from ihospital.core.money import format_fen

register = template.Library()


@register.filter
def with_class(field, css: str):
    """Render a form field's widget with Bootstrap classes (and is-invalid when it has errors)."""
    classes = css + (" is-invalid" if field.errors else "")
    return field.as_widget(attrs={"class": classes})


@register.filter
def fen(amount: int) -> str:
    return format_fen(amount)
