from django import template

from ihospital.notifications import selectors

register = template.Library()


@register.inclusion_tag("notifications/_nav_link.html", takes_context=True)
def message_centre_link(context, url_name: str):
    """The nav's link to the message centre with the unread badge that live.js keeps current."""
    user = context.get("user")
    return {"url_name": url_name, "unread": selectors.unread_count(user) if user and user.is_authenticated else 0}
