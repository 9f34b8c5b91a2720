"""What the agent must never say, caught on its words before the caller hears them.

Realtime streams the transcript of each audio item (`response.output_audio_transcript.delta`)
ahead of the audio itself, so a running buffer per item, matched against the shop's prohibited
phrases (case-insensitive), finds a phrase while its audio is still on the way. The
conversation then stops it: Twilio `clear`, `conversation.item.truncate` to what was heard,
`response.cancel`, and a request to say it again without the phrase.
"""

from __future__ import annotations

REPHRASE = (
    'You started to say "{phrase}", which you must never say to a caller: the shop cannot '
    "promise outcomes, diagnose without an inspection, advise on insurance or quote a firm price "
    "where the catalogue has a range. Say what you meant again without it."
)


class Guardrail:
    """Per assistant item, the words so far; the first prohibited phrase in them, once."""

    def __init__(self, phrases: list[str]):
        self._phrases = [(p, p.casefold()) for p in phrases if p.strip()]
        self._longest = max((len(p) for _, p in self._phrases), default=0)
        self._said: dict[str, str] = {}  # item id → its words so far (casefolded)
        self._stopped: set[str] = set()

    def heard(self, item_id: str, delta: str) -> str | None:
        """Add `delta` to `item_id`'s words; the phrase it completes, if any (once per item).

        Only the tail that a new match could span is searched again."""
        if not self._phrases or item_id in self._stopped:
            return None
        before = self._said.get(item_id, "")
        said = before + delta.casefold()
        self._said[item_id] = said
        window = said[max(0, len(before) - self._longest) :]
        for phrase, folded in self._phrases:
            if folded in window:
                self._stopped.add(item_id)
                return phrase
        return None
