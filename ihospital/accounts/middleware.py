"""A signed-in person sees the interface in the language they chose, on any device: it is kept on the
account (``User.language``), not only in one browser's cookie. Placed after AuthenticationMiddleware."""

from __future__ import annotations

from asgiref.sync import iscoroutinefunction
from django.utils import translation
from django.utils.decorators import sync_and_async_middleware


def _activate(request, user) -> None:
    if user.is_authenticated and user.language:
        translation.activate(user.language)
        request.LANGUAGE_CODE = user.language


@sync_and_async_middleware
def account_language(get_response):
    # Both flavours, so that under ASGI this adds no thread hop (see the note in settings.MIDDLEWARE).
    if iscoroutinefunction(get_response):

        async def middleware(request):
            _activate(request, await request.auser())
            return await get_response(request)

    else:

        def middleware(request):
            _activate(request, request.user)
            return get_response(request)

    return middleware
