"""Fail when the Vietnamese catalogue is out of step with the code: a message missing from it
(makemessages was not run), or an empty or fuzzy translation. Vietnamese is the default
language: an untranslated string shows English to every Vietnamese user.

Runs makemessages, compares the message ids before and after, and puts the file back as it was.
"""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MSGID = re.compile(r'^msgid ((?:".*"\n)+)', re.M)


def msgids(text: str) -> set[str]:
    return {"".join(re.findall(r'"(.*)"', m)) for m in MSGID.findall(text)} - {""}


def main(po_file: str) -> int:
    path = Path(po_file)
    before = path.read_text(encoding="utf-8")
    try:
        subprocess.run(
            [sys.executable, "manage.py", "makemessages", "-l", "vi", "--no-obsolete",
             "--ignore=.venv", "--ignore=var", "--ignore=tests", "--ignore=bench",
             "--ignore=static"],
            cwd=ROOT, check=True, capture_output=True,
        )  # fmt: skip
        missing = msgids(path.read_text(encoding="utf-8")) - msgids(before)
    finally:
        path.write_text(before, encoding="utf-8")
    stats = subprocess.run(  # noqa: S603
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", po_file],  # noqa: S607
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    report = (stats.stderr or stats.stdout).strip()
    print(f"{po_file}: {report}")
    failed = stats.returncode != 0 or "untranslated" in report or "fuzzy" in report
    if missing:
        print(f"{len(missing)} message(s) in the code but not in the catalogue (make messages):")
        for message in sorted(missing):
            print(f"  {message}")
        failed = True
    if failed:
        print("Every message must be in the catalogue with a Vietnamese translation, none fuzzy.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
