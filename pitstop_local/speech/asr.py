"""Offline speech recognition: PocketSphinx 5 (the en-US model its wheel ships) against a
phrase grammar.

Why a grammar and not the wheel's general language model: the offline engine only has to
understand a receptionist conversation, and PocketSphinx with an open vocabulary is poor on
8 kHz telephone audio - with eSpeak's synthetic voice it gets almost nothing right. A
finite-state grammar of what a caller may say (see :mod:`pitstop_local.speech.grammar`)
turns recognition into a choice among the phrases the dialogue can use.

Phrases are templates (``"[i'd like to] (book | schedule) [an] oil change [please]"``,
see :mod:`pitstop_local.speech.fsg`). Words are looked up in CMUdict; a word missing from
it is tried as two dictionary words ("pitstop" → "pit stop"), else dropped with a logged
warning (``Recognizer.dropped_words``).

By default an utterance must be ONE phrase: templates carry their own optional openers
("[yes] [how about] tuesday [morning]"). ``chain_penalty`` allows several phrases in a row
("yes" + "tuesday morning"), but measured worse: chaining lets the decoder fill trailing
silence with short phrases ("nine thirty" → "nine thirty a tire") and costs 5x the CPU.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

from pitstop_local.speech import codec
from pitstop_local.speech.fsg import CompiledGrammar, compile_phrases

log = logging.getLogger(__name__)

#: PocketSphinx's en-US acoustic model is 16 kHz; phone audio is upsampled to it.
ASR_RATE = 16000
DEFAULT_GRAMMAR = "default"

# PocketSphinx defaults, except:
# - maxhmmpf caps the active HMMs per frame: it bounds the CPU an utterance can cost on a
#   large grammar without the all-or-nothing failure of narrow beams (with a grammar, a
#   pruned-away correct path means no result at all);
# - lw (language weight, which also scales the word insertion penalty) 4 instead of 6.5:
#   measured best on phone-band synthetic speech (exact sentences 27 → 30 of 40).
_DECODER_OPTIONS: dict[str, object] = {"maxhmmpf": 3000, "lw": 4.0, "loglevel": "FATAL"}


class Recognizer:
    """Decodes single utterances of 8 kHz μ-law (or 16 kHz PCM16) against phrase grammars.

    ``phrases`` become the grammar named ``"default"``; ``add_grammar`` adds more (e.g. one
    per dialogue state: a yes/no question is best heard with a yes/no grammar) to the same
    decoder, so extra grammars cost no extra model memory. ``phrases=None`` starts with no
    grammar at all, for a process-wide recogniser whose grammars are all named
    (``add_grammar``) - there is then no ``"default"`` to decode against. ``chain_penalty``:
    probability factor per extra phrase in one utterance (None: exactly one phrase). Extra keyword
    arguments are PocketSphinx decoder options (``beam``, ``maxhmmpf``…).

    Building loads the acoustic model and dictionary (~0.1-0.2 s, ~35-60 MB resident) and
    compiles the grammar (~0.05 s for the domain templates): build once, reuse for every
    call, and prefer ``add_grammar`` over more Recognizers. Decoding is
    serialised by an internal lock (a PocketSphinx decoder is not thread-safe); create one
    Recognizer per worker thread if utterances must be decoded in parallel.
    """

    def __init__(
        self,
        phrases: Iterable[str] | None = None,
        *,
        chain_penalty: float | None = None,
        trim_margin_ms: int | None = 60,
        **decoder_options: object,
    ) -> None:
        from pocketsphinx import Decoder, Vad

        self._decoder = Decoder(lm=None, **{**_DECODER_OPTIONS, **decoder_options})
        self._trim_vad = Vad(Vad.LOOSE, ASR_RATE, 0.01)
        self.trim_margin_ms = trim_margin_ms
        self._lw = float(self._decoder.config["lw"])
        self._lock = threading.Lock()
        self._spellings: dict[str, list[str] | None] = {}
        self.grammars: dict[str, CompiledGrammar] = {}
        self._active: str | None = None
        if phrases is not None:
            self.add_grammar(DEFAULT_GRAMMAR, phrases, chain_penalty=chain_penalty)

    def _trim(self, pcm16k: bytes) -> bytes:
        """Cut leading/trailing non-speech down to ``trim_margin_ms``.

        Why: long stretches of (digitally) silent audio around an utterance make the
        decoder insert words into them - measured: "hi" → "hi i", "bye" → "hi at" - and
        callers' utterances arrive with the VAD's pre-roll and tail attached.
        """
        if self.trim_margin_ms is None:
            return pcm16k
        step = self._trim_vad.frame_bytes
        voiced = [
            self._trim_vad.is_speech(pcm16k[i : i + step])
            for i in range(0, len(pcm16k) - step + 1, step)
        ]
        if True not in voiced:
            return pcm16k
        first = voiced.index(True)
        last = len(voiced) - 1 - voiced[::-1].index(True)
        margin = self.trim_margin_ms // 10
        return pcm16k[max(0, first - margin) * step : (last + 1 + margin) * step]

    # -- vocabulary
    def spell(self, word: str) -> list[str] | None:
        """Dictionary words for ``word``: itself, a split into two dictionary words, or None."""
        if word not in self._spellings:
            lookup = self._decoder.lookup_word
            result: list[str] | None = None
            if lookup(word):
                result = [word]
            else:
                for cut in range(2, len(word) - 1):
                    if lookup(word[:cut]) and lookup(word[cut:]):
                        result = [word[:cut], word[cut:]]
                        break
            self._spellings[word] = result
        return self._spellings[word]

    @property
    def words(self) -> set[str]:
        """Every word any grammar can produce."""
        return set().union(*(g.words for g in self.grammars.values()))

    @property
    def dropped_words(self) -> set[str]:
        """Template words left out because the dictionary could not pronounce them."""
        return set().union(*(g.dropped_words for g in self.grammars.values()))

    # -- grammars
    def add_grammar(
        self, name: str, phrases: Iterable[str], *, chain_penalty: float | None = None
    ) -> None:
        """Compile ``phrases`` into the grammar ``name`` (replacing one of that name)."""
        grammar = compile_phrases(phrases, self.spell, chain_penalty=chain_penalty)
        if grammar.dropped_words:
            log.warning(
                "grammar %r: words not in the pronunciation dictionary, left out: %s",
                name,
                ", ".join(sorted(grammar.dropped_words)),
            )
        # create_fsg() stores log(p) without the language weight that PocketSphinx's JSGF
        # and FSG readers apply (log(p) * lw): apply it here so the chain penalty counts.
        transitions = [(t[0], t[1], t[2] ** self._lw, *t[3:]) for t in grammar.transitions]
        with self._lock:
            fsg = self._decoder.create_fsg(name, grammar.start, grammar.final, transitions)
            self._decoder.add_fsg(name, fsg)
            self._active = None
            self.grammars[name] = grammar

    def accepts(self, text: str, grammar: str = DEFAULT_GRAMMAR) -> bool:
        """Whether ``text`` is a complete sentence of ``grammar``. Decoding may return a
        partial path when nothing fits; this tells "heard a phrase" from "best guess"."""
        with self._lock:
            fsg = self._decoder.get_fsg(grammar)
            return bool(fsg is not None and fsg.accept(text))

    # -- decoding
    def decode_pcm16(self, pcm16k: bytes, grammar: str = DEFAULT_GRAMMAR) -> str:
        """Decode one utterance of 16 kHz PCM16; lowercase words, "" when nothing matched."""
        if len(pcm16k) < 2 * ASR_RATE // 10:  # under 100 ms: nothing a person says
            return ""
        with self._lock:
            pcm16k = self._trim(pcm16k)
            d = self._decoder
            if self._active != grammar:
                if grammar not in self.grammars:
                    raise KeyError(f"no grammar {grammar!r}")
                d.activate_search(grammar)
                self._active = grammar
            d.start_utt()
            d.process_raw(pcm16k, full_utt=True)
            d.end_utt()
            hyp = d.hyp()
        return _clean_hyp(hyp.hypstr if hyp is not None else "")

    def decode_mulaw(self, mulaw: bytes, grammar: str = DEFAULT_GRAMMAR) -> str:
        """Decode one utterance of 8 kHz μ-law (as cut by ``UtteranceDetector``)."""
        return self.decode_pcm16(codec.mulaw8k_to_pcm16(mulaw, ASR_RATE), grammar)


def _clean_hyp(text: str) -> str:
    # Alternative pronunciations come back as "word(2)"; fillers as "<sil>", "[noise]".
    out = []
    for word in text.split():
        if word.startswith(("<", "[", "+")):
            continue
        out.append(word.split("(", 1)[0])
    return " ".join(out)
