"""``pathways admin keys rotate | status``: the key-encryption key of personal data."""

from __future__ import annotations

import argparse
import json
import sys


async def keys_command(args: argparse.Namespace, settings: object) -> int:
    """Rotate the key-encryption key, or show which keys wrap what; exit 0 or 1."""
    from eventstore.key_hierarchy import key_hierarchy_state
    from scripts.cli import open_database
    from workers.key_encryption_keys import rotate
    from workers.settings import Settings

    assert isinstance(settings, Settings)
    database = await open_database(settings)
    keys = database.keyring.key_encryption_keys
    assert keys is not None  # open_database refuses to start without one
    try:
        if args.action == "rotate":
            outcome = await rotate(settings, database.pool, keys)
            if args.json:
                print(
                    json.dumps(
                        {
                            **outcome.rotation.model_dump(),
                            "old_key_destroyed": outcome.old_key_destroyed,
                            "new_key": outcome.new_key_text,
                            "instructions": outcome.instructions,
                        }
                    )
                )
                return 0
            print(
                f"rotated: {outcome.rotation.rewrapped} data key(s) re-wrapped under"
                f" {outcome.rotation.new_kek_id}; retired:"
                f" {', '.join(outcome.rotation.retired_kek_ids) or 'none'}"
            )
            if outcome.new_key_text is not None:
                print(f"new key-encryption key (shown only now): {outcome.new_key_text}")
            print(outcome.instructions, file=sys.stderr)
            return 0
        state = await key_hierarchy_state(database.pool, keys)
    finally:
        await database.close()
    if args.json:
        print(state.model_dump_json())
        return 0
    print(f"current key-encryption key: {state.current_kek_id}")
    for kek in state.key_encryption_keys:
        retired = f"retired {kek.retired_at.isoformat()}" if kek.retired_at else "in use"
        held = "held" if kek.held else "not held"
        print(f"{kek.kek_id} {retired}, {held}, wraps {kek.live_data_keys} data key(s)")
    print(f"data keys stored unwrapped: {state.unwrapped_data_keys}")
    print(f"erased people: {state.erased_subjects}")
    return 0
