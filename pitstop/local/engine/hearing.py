"""The engine's own ears, used when the speech layer offers no recogniser / detector.

Why here: the engine must hear even if `pitstop.local.speech` has no `Recognizer` or
`UtteranceDetector` (they are looked up by name first, see `voice.Speech`). These are small,
dependable stand-ins:

- `PhraseRecognizer(phrases)`: PocketSphinx (the wheel's en-US model) decoding 16 kHz PCM
  against a finite-state grammar built as a prefix tree of the phrases (flat JSGF
  alternatives of thousands of phrases compile and search far more slowly). Words missing
  from the dictionary drop their phrase.
- `EnergyDetector`: utterance start after 2 loud 20 ms frames (40 ms: barge-in must be quick),
  end after `silence_ms` of quiet; the threshold adapts to the line's noise floor.
"""

from __future__ import annotations

import os
import threading
import warnings

from pitstop.local.speech import codec

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

_decoder_lock = threading.Lock()
_decoder = None


def _shared_decoder():
    """One PocketSphinx decoder per process (loading the acoustic model takes ~1 s)."""
    global _decoder
    with _decoder_lock:
        if _decoder is None:
            from pocketsphinx import Config, Decoder, get_model_path

            model = os.path.join(get_model_path(), "en-us")
            config = Config(hmm=os.path.join(model, "en-us"),
                            dict=os.path.join(model, "cmudict-en-us.dict"),
                            lm=None, samprate=16000, loglevel="FATAL")
            _decoder = Decoder(config)
            _warm(_decoder)
        return _decoder


_phone_cmn: str | None = None


def _warm(decoder) -> None:
    """Learn the cepstral mean of phone speech once, from a few synthetic sentences.

    Why: the decoder's live cepstral mean starts from the model's (wide-band) defaults, so
    the first telephone utterance is decoded badly (its last words lost), and afterwards the
    mean drifts with whatever was decoded last — in one process serving several calls, one
    call's audio would change how the next is heard. Every utterance therefore starts from
    this one learned mean (`decode_mulaw` sets it), which makes recognition repeatable."""
    global _phone_cmn
    from pitstop.local.speech.tts import CALLER_VOICE, Synthesizer

    sentences = ["hello i would like to book an oil change on tuesday morning please",
                 "yes that works thank you", "no that's all goodbye"]
    words = sorted({w for s in sentences for w in s.split()})
    transitions = [(0, 1, 1.0, w) for w in words] + [(1, 0, 1.0)]
    decoder.add_fsg("warm-up", decoder.create_fsg("warm-up", 0, 1, transitions))
    decoder.activate_search("warm-up")
    synth = Synthesizer(**CALLER_VOICE)
    for sentence in sentences:
        mulaw = synth.synthesize_mulaw(sentence)
        pcm = codec.mulaw8k_to_pcm16(codec.silence_mulaw(300) + mulaw + codec.silence_mulaw(300), 16000)
        decoder.start_utt()
        decoder.process_raw(pcm, full_utt=True)
        decoder.end_utt()
    _phone_cmn = decoder.get_cmn(False)


class PhraseRecognizer:
    """Recognise one of `phrases` (lowercase words) in an utterance. Not thread-safe: one
    decoder is shared, so every decode takes the module lock (searches switch per call)."""

    _count = 0

    def __init__(self, phrases: list[str], loop: bool = False) -> None:
        """`loop`: accept any sequence of the phrases (a keyword spotter's grammar)."""
        decoder = _shared_decoder()
        with _decoder_lock:
            PhraseRecognizer._count += 1
            self.name = f"phrases{PhraseRecognizer._count}"
            transitions, final = [], 1
            children: dict[tuple[int, str], int] = {}
            next_state = 2
            for phrase in phrases:
                words = phrase.split()
                if not words or any(decoder.lookup_word(w) is None for w in words):
                    continue
                state = 0
                for word in words:
                    key = (state, word)
                    if key not in children:
                        children[key] = next_state
                        transitions.append((state, next_state, 1.0, word))
                        next_state += 1
                    state = children[key]
                transitions.append((state, final, 1.0))
            if loop:
                transitions.append((final, 0, 1.0))
            fsg = decoder.create_fsg(self.name, 0, final, transitions)
            decoder.add_fsg(self.name, fsg)

    def decode_mulaw(self, mulaw: bytes) -> str:
        pcm = codec.mulaw8k_to_pcm16(codec.silence_mulaw(200) + mulaw + codec.silence_mulaw(300), 16000)
        decoder = _shared_decoder()
        with _decoder_lock:
            decoder.activate_search(self.name)
            if _phone_cmn:
                decoder.set_cmn(_phone_cmn)
            decoder.start_utt()
            decoder.process_raw(pcm, full_utt=True)
            decoder.end_utt()
            hyp = decoder.hyp()
        return hyp.hypstr if hyp else ""


class EnergyDetector:
    """Voice activity on 20 ms μ-law frames: `feed(frame)` → ["start"] / ["end"] / []."""

    def __init__(self, silence_ms: int = 500, start_frames: int = 2, min_rms: int = 250) -> None:
        self.silence_frames = max(1, silence_ms // codec.FRAME_MS)
        self.start_frames = start_frames
        self.min_rms = min_rms
        self.noise = 50.0
        self.in_speech = False
        self.loud = 0
        self.quiet = 0

    def feed(self, frame: bytes) -> list[str]:
        rms = audioop.rms(codec.mulaw_to_pcm16(frame), 2)
        threshold = max(self.min_rms, self.noise * 3)
        loud = rms >= threshold
        if not loud and not self.in_speech:
            self.noise = 0.95 * self.noise + 0.05 * rms
        if loud:
            self.loud, self.quiet = self.loud + 1, 0
        else:
            self.loud, self.quiet = 0, self.quiet + 1
        if not self.in_speech and self.loud >= self.start_frames:
            self.in_speech = True
            return ["start"]
        if self.in_speech and self.quiet >= self.silence_frames:
            self.in_speech = False
            return ["end"]
        return []
