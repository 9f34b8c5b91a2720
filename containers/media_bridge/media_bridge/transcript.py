"""The call's transcript as it happened, and the history a replaced link is given.

Two things make arrival order wrong. A caller's transcription may arrive after the reply it
triggered, so a caller turn takes its place when the speech starts (its user item), and its
text fills that place later. An agent item's transcript arrives when it is generated, usually
before the caller has heard it all; the turn stays open until its audio has played (its last
mark comes back), and if the caller cuts it off, what is stored (and replayed) is the part they
heard, marked interrupted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from media_bridge.recorder import CallRecorder

INTERRUPTED = " [interrupted by the caller]"


@dataclass
class _Turn:
    role: str  # user | assistant | system (the Realtime roles)
    seq: int | None  # its place in the record; None: history only (tool results)
    text: str | None = None  # None: its words have not come yet
    cut: float | None = None  # the fraction heard, when the caller interrupted it
    written: bool = False
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


def heard_part(text: str, fraction: float) -> str:
    """The words of `text` the caller heard, when they heard `fraction` of its audio."""
    words = text.split()
    kept = words[: round(len(words) * max(0.0, min(fraction, 1.0)))]
    return " ".join(kept) + "…"


class Transcript:
    """Turns in the order they were spoken; written to the record once their text is final."""

    __slots__ = ("_is_playing", "_items", "_recorder", "_turns", "playing")

    def __init__(self, recorder: CallRecorder, is_playing: Callable[[str], bool]):
        """`is_playing(item_id)`: some of the item's audio is still to be heard."""
        self._recorder = recorder
        self._is_playing = is_playing
        self._turns: list[_Turn] = []
        self._items: dict[str, _Turn] = {}  # caller and agent turns by their item id
        # agent turns with words whose audio is still playing, by item id (empty: `played` is
        # a no-op, which the hot path checks before calling it)
        self.playing: dict[str, _Turn] = {}

    def _place(self, role: str, item_id: str | None) -> _Turn:
        """The turn of `item_id`, given its place in the record now if it has none yet."""
        turn = self._items.get(item_id or "")
        if turn is None or turn.written:
            turn = _Turn(role, self._recorder.reserve_turn())
            self._turns.append(turn)
            if item_id:
                self._items[item_id] = turn
        return turn

    def caller_spoke(self, item_id: str) -> None:
        """The caller started speaking (user item `item_id`): their turn goes here."""
        self._settle()
        self._place("user", item_id)

    def caller(self, item_id: str | None, text: str) -> None:
        """The caller's words for `item_id`, at its place (or last, for an unknown item)."""
        turn = self._place("user", item_id)
        turn.text = text
        self._write(turn)

    def agent_started(self, item_id: str) -> None:
        """The first audio of assistant item `item_id` is on its way to the caller."""
        self._place("assistant", item_id)

    def agent(self, item_id: str | None, text: str, *, playing: bool) -> None:
        """The agent's words for `item_id`: final now, unless it is still `playing`."""
        turn = self._place("assistant", item_id)
        turn.text = text
        if turn.cut is not None or not playing or not item_id:
            self._write(turn)
        else:
            self.playing[item_id] = turn

    def played(self) -> None:
        """Some agent audio was heard: write the open turns whose audio has all played."""
        is_playing = self._is_playing
        for item_id in [i for i in self.playing if not is_playing(i)]:
            self._write(self.playing.pop(item_id))

    def interrupted(self, item_id: str, fraction: float) -> None:
        """The caller cut off `item_id` after `fraction` of its audio."""
        turn = self._items.get(item_id)
        if turn is not None and not turn.written:
            turn.cut = fraction
            self.playing.pop(item_id, None)
            self._write(turn)

    def note(self, text: str) -> None:
        """Context for the model on a replaced link (a tool result); not a transcript turn."""
        self._turns.append(_Turn("system", None, text))

    def history(self) -> list[tuple[str, str]]:
        """(role, text) in spoken order, as a replaced link is told the conversation so far."""
        return [(t.role, self._text(t)) for t in self._turns if t.text]

    def finish(self) -> None:
        """The call is over: every agent turn still open was heard as far as it went."""
        self._settle()

    def _settle(self) -> None:
        """Agent turns are final once the caller speaks again (a cut-off one was cut already)."""
        for turn in self.playing.values():
            self._write(turn)
        self.playing.clear()

    @staticmethod
    def _text(turn: _Turn) -> str:
        text = turn.text or ""
        return text if turn.cut is None else heard_part(text, turn.cut) + INTERRUPTED

    def _write(self, turn: _Turn) -> None:
        if not turn.text or turn.seq is None or turn.written:
            return
        turn.written = True
        text = turn.text if turn.cut is None else heard_part(turn.text, turn.cut)
        role = "caller" if turn.role == "user" else "agent"
        self._recorder.turn(role, text, seq=turn.seq, at=turn.at, interrupted=turn.cut is not None)
