"""Ten (or N) rotated monthly queue_logs from one demo log, for memory runs on GBs.

    python -m agentstats.demo --agents 1000 --days 30 --dirty -o /tmp/q30.log
    python benchmarks/rotated_months.py /tmp/q30.log /tmp/big 10    # queue_log.9 (oldest) .. queue_log.0

File k (0 = oldest) is the demo log with every timestamp, and the epoch part of every
call id, moved k x 30 days later, so that the months follow each other and every call id
is new (the call side interns one name per call id). The bytes are otherwise the demo's,
dirty lines included.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

_CALLID = re.compile(rb"^(\d{9,10})(\.\d+)?$")


def shift(src: Path, dst: Path, seconds: int) -> None:
    with open(src, "rb") as f, open(dst, "wb") as out:
        for line in f:
            parts = line.split(b"|", 2)
            head = parts[0].lstrip(b"\x00")            # a NUL run may precede the epoch
            if len(parts) == 3 and head.isdigit():
                parts[0] = parts[0][:len(parts[0]) - len(head)] + str(int(head) + seconds).encode()
                m = _CALLID.match(parts[1])
                if m:
                    parts[1] = str(int(m.group(1)) + seconds).encode() + (m.group(2) or b"")
                line = b"|".join(parts)
            out.write(line)


def main(argv: list[str]) -> None:
    src, out, months = Path(argv[0]), Path(argv[1]), int(argv[2]) if len(argv) > 2 else 10
    out.mkdir(parents=True, exist_ok=True)
    for k in range(months):
        shift(src, out / f"queue_log.{months - 1 - k}", k * 30 * 86400)


if __name__ == "__main__":
    main(sys.argv[1:])
