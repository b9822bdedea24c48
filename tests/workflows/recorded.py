"""Where recorded workflow histories live, and which generation new recordings belong to.

Generation g1 (unsuffixed files) was recorded before the patches in ``workflows/pathway.py``; g2
takes every patched path; g3 adds ``updates-deduplicated-across-runs`` (a continued run answering
an earlier run's update id). Older generations are kept while runs that started under them may
still be open (docs/adr/0003-workflow-versioning.md).

Histories recorded since payloads are encrypted (docs/adr/0006-temporal-payloads-encrypted.md)
hold ciphertext under the suite's key, ``tests.conftest.TEST_PAYLOAD_KEY``; the replay test reads
them, and the older plain ones, through the product's converter.
"""

from __future__ import annotations

from pathlib import Path

HISTORIES = Path(__file__).parent / "histories"
GENERATION = "g3"
