"""Fail when the Vietnamese catalogue has an empty or fuzzy message (Vietnamese is the default
language: an untranslated string would show English to every Vietnamese user)."""

import subprocess
import sys


def main(po_file: str) -> int:
    result = subprocess.run(  # noqa: S603
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", po_file],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    report = (result.stderr or result.stdout).strip()
    print(f"{po_file}: {report}")
    if result.returncode != 0 or "untranslated" in report or "fuzzy" in report:
        print("Every message must have a Vietnamese translation, none fuzzy.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
