"""zh-Hans is the default language: every message in the catalogue must be translated, none fuzzy."""

import re
from pathlib import Path

from django.conf import settings

CATALOGUE = Path(settings.BASE_DIR) / "ihospital/locale/zh_Hans/LC_MESSAGES/django.po"


def entries(text: str) -> list[str]:
    return [
        block for block in text.split("\n\n") if "msgid" in block and not block.startswith('msgid ""\nmsgstr ""\n"')
    ]


def test_catalogue_has_no_untranslated_or_fuzzy_entries():
    text = CATALOGUE.read_text(encoding="utf-8")
    problems = []
    for block in entries(text):
        if "#, fuzzy" in block or re.search(r'msgstr(\[0\])? ""\s*$', block.strip()):
            problems.append(block.splitlines()[-2 if "msgid_plural" not in block else -3])
    assert not problems, problems


def test_compiled_catalogue_contains_every_source_message():
    """Catches a .po edited without running compilemessages."""
    import gettext

    with CATALOGUE.with_suffix(".mo").open("rb") as compiled:
        catalog = gettext.GNUTranslations(compiled)._catalog  # type: ignore[attr-defined]
    compiled_ids = {key[0] if isinstance(key, tuple) else key for key in catalog}
    compiled_ids = {key.split("\x04", 1)[-1] for key in compiled_ids}  # a msgctxt is compiled as "context\x04msgid"
    source_ids = set(re.findall(r'^msgid "(.+)"$', CATALOGUE.read_text(encoding="utf-8"), flags=re.M))
    source_ids = {bytes(i, "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8") for i in source_ids}
    assert source_ids - compiled_ids == set()
