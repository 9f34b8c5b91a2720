"""The call's stereo recording: caller left, agent right, as heard (a `clear` cuts what had
not played), memory bounded for a long call, stored to a folder or to S3 (moto over HTTP)."""

from __future__ import annotations

import base64
import io
import tracemalloc
import wave

import boto3
import pytest
from moto.server import ThreadedMotoServer

from media_bridge.call_state import Playout
from media_bridge.observability import BridgeMetrics
from media_bridge.recording import (
    FLUSH_BYTES,
    NOT_RECORDING,
    CallRecording,
    open_recording,
    stereo_pcm,
)
from media_bridge.recording_store import BucketStore, FolderStore
from pitstop.models import AgentSettings
from pitstop.recordings import RETENTION_TAG
from pitstop_local.speech import codec

FRAME = 160  # 20 ms of μ-law at 8 kHz
CALLER = 0x10  # μ-law codes that stand for "the caller" and "the agent" in a test track
AGENT = 0x20
SILENCE = 0xFF


def b64(code: int, frames: int = 1) -> str:
    return base64.b64encode(bytes([code]) * FRAME * frames).decode()


class Counted(BridgeMetrics):
    def __init__(self) -> None:
        self.counts: list[str] = []

    def count(self, name: str, value: float = 1) -> None:
        self.counts.append(name)


class Memory:
    """A store that keeps what it was given."""

    def __init__(self) -> None:
        self.saved: dict[str, tuple[bytes, int]] = {}

    def put(self, key, wav, retention_days):
        self.saved[key] = (wav.read(), retention_days)


class Broken:
    def put(self, key, wav, retention_days):
        raise OSError("bucket unreachable")


def recording(store=None, metrics=None, retention_days=90) -> CallRecording:
    return CallRecording(
        "calls/CA1/MZ1.wav",
        store or Memory(),
        call_sid="CA1",
        retention_days=retention_days,
        metrics=metrics or Counted(),
        spool=io.BytesIO(),
    )


def channels(rec: CallRecording) -> tuple[bytes, bytes]:
    """The saved WAV, read with the standard library, as μ-law codes per channel."""
    store = Memory()
    rec._store = store
    rec.save()
    [(data, _)] = store.saved.values()
    with wave.open(io.BytesIO(data)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (2, 2, 8000)
        frames = wav.readframes(wav.getnframes())
    left, right = bytearray(), bytearray()
    for i in range(0, len(frames), 4):
        left += codec.pcm16_to_mulaw(frames[i : i + 2])
        right += codec.pcm16_to_mulaw(frames[i + 2 : i + 4])
    return bytes(left), bytes(right)


def runs(track: bytes) -> list[tuple[int, int]]:
    """(code, frames) runs of a track that is made of whole frames of one code each."""
    out: list[tuple[int, int]] = []
    for i in range(0, len(track), FRAME):
        code = track[i]
        assert track[i : i + FRAME] == bytes([code]) * FRAME
        if out and out[-1][0] == code:
            out[-1] = (code, out[-1][1] + 1)
        else:
            out.append((code, 1))
    return out


def test_mulaw_becomes_the_same_pcm_as_the_reference_decoder():
    every_code = bytes(range(256))
    pcm = stereo_pcm(every_code, every_code)
    reference = codec.mulaw_to_pcm16(every_code)
    assert pcm[0::4] == reference[0::2] and pcm[1::4] == reference[1::2]
    assert pcm[2::4] == reference[0::2] and pcm[3::4] == reference[1::2]


def test_agent_audio_plays_from_when_it_was_sent_and_after_what_is_queued():
    rec = recording()
    for _ in range(5):
        rec.caller(b64(CALLER))
    rec.agent(b64(AGENT, 2))  # sent at 100 ms: plays 100-140 ms
    rec.agent(b64(AGENT + 1, 1))  # sent at once too: plays after it, 140-160 ms
    for _ in range(5):
        rec.caller(b64(CALLER))
    left, right = channels(rec)
    assert runs(left) == [(CALLER, 10)]
    assert runs(right) == [(SILENCE, 5), (AGENT, 2), (AGENT + 1, 1), (SILENCE, 2)]


def test_a_clear_cuts_the_agent_audio_that_had_not_played_and_agrees_with_the_marks():
    """Barge-in at 600 ms into a 3 s answer: the right channel holds those 600 ms, not the
    rest, which is what `Playout` (marks + the line's clock) says the caller heard."""
    now = [0.0]
    playout = Playout(clock=lambda: now[0])
    rec = recording()

    def caller_frame():
        rec.caller(b64(CALLER))
        now[0] += 0.020

    for _ in range(10):
        caller_frame()
    answer = b64(AGENT, 150)  # 3 s of agent audio, sent at once (the model runs ahead)
    rec.agent(answer)
    playout.sent("item_1", len(base64.b64decode(answer)))
    for _ in range(30):
        caller_frame()
    [(item, heard_ms)] = playout.interrupt()  # speech_started: the bridge sends `clear`
    rec.cleared()
    for _ in range(20):
        caller_frame()
    rec.agent(b64(AGENT + 1, 5))  # the next answer, after the barge-in, plays in full
    for _ in range(10):
        caller_frame()
    left, right = channels(rec)
    assert runs(left) == [(CALLER, 70)]
    assert runs(right) == [(SILENCE, 10), (AGENT, 30), (SILENCE, 20), (AGENT + 1, 5), (SILENCE, 5)]
    assert (item, heard_ms) == ("item_1", 30 * 20)


def test_a_long_call_grows_the_spool_file_not_the_memory(tmp_path):
    """30 minutes of call (90,000 frames) with the agent talking half the time."""
    spool = (tmp_path / "spool").open("w+b")
    rec = CallRecording(
        "calls/CA1/MZ1.wav",
        Memory(),
        call_sid="CA1",
        retention_days=90,
        metrics=Counted(),
        spool=spool,
    )
    caller, agent = b64(CALLER), b64(AGENT, 50)
    tracemalloc.start()
    for second in range(30 * 60):
        if second % 2:
            rec.agent(agent)
        for _ in range(50):
            rec.caller(caller)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert rec.samples == 30 * 60 * 8000
    assert spool.tell() >= 44 + 30 * 60 * 8000 * 4 - FLUSH_BYTES  # 57.6 MB, on disk
    assert peak < 4 * FLUSH_BYTES  # a few buffers' worth, whatever the call's length


def test_agent_audio_far_ahead_of_the_call_is_capped():
    rec = recording()
    for _ in range(400):  # 6.7 minutes sent in no time: more than five are not kept
        rec.agent(b64(AGENT, 50))
    assert len(rec._ahead) <= 5 * 60 * 8000 + 50 * FRAME


def test_saved_to_a_folder_as_a_wav_under_its_key(tmp_path):
    metrics = Counted()
    rec = recording(FolderStore(tmp_path), metrics)
    rec.caller(b64(CALLER, 2))
    assert rec.save() == "calls/CA1/MZ1.wav"
    with wave.open(str(tmp_path / "calls" / "CA1" / "MZ1.wav")) as wav:
        assert (wav.getnchannels(), wav.getnframes()) == (2, 2 * FRAME)
    assert metrics.counts == ["Recordings"]
    assert not list(tmp_path.rglob("*.partial"))


def test_a_key_outside_the_folder_is_refused(tmp_path):
    with pytest.raises(ValueError, match="outside"):
        FolderStore(tmp_path / "recordings").put("../escape.wav", io.BytesIO(b""), 90)


def test_a_store_that_fails_is_logged_with_the_call_counted_and_leaves_no_link(caplog):
    metrics = Counted()
    rec = recording(Broken(), metrics)
    rec.caller(b64(CALLER))
    assert rec.save() is None
    assert metrics.counts == ["RecordingsFailed"]
    assert rec._spool.closed
    [logged] = [r for r in caplog.records if r.getMessage() == "could not store the call recording"]
    assert (logged.call_sid, logged.key) == ("CA1", "calls/CA1/MZ1.wav")
    assert "bucket unreachable" in str(logged.exc_info[1])


@pytest.mark.parametrize(("setting", "tagged"), [(90, 90), (100, 90), (1, 1), (5000, 3650)])
def test_the_retention_tag_never_keeps_longer_than_the_shop_said(setting, tagged):
    store = Memory()
    rec = recording(store, retention_days=setting)
    rec.save()
    assert store.saved["calls/CA1/MZ1.wav"][1] == tagged


def test_nothing_is_recorded_unless_the_shop_records_and_there_is_a_store(tmp_path, monkeypatch):
    monkeypatch.delenv("PITSTOP_RECORDINGS_BUCKET", raising=False)
    monkeypatch.delenv("PITSTOP_RECORDINGS_DIR", raising=False)
    metrics = Counted()
    on = AgentSettings(recording_enabled=True)
    assert open_recording(AgentSettings(), "CA1", "MZ1", metrics) is NOT_RECORDING
    assert open_recording(on, "CA1", "MZ1", metrics) is NOT_RECORDING
    assert metrics.counts == ["RecordingsFailed"]  # on, with nowhere to keep it: shown
    monkeypatch.setenv("PITSTOP_RECORDINGS_DIR", str(tmp_path))
    opened = open_recording(on, "CA1", "MZ1", metrics)
    assert isinstance(opened, CallRecording) and opened.key == "calls/CA1/MZ1.wav"
    opened.save()
    assert (tmp_path / "calls" / "CA1" / "MZ1.wav").exists()


@pytest.fixture(scope="module")
def s3():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    client = boto3.client("s3", endpoint_url=f"http://{host}:{port}", region_name="us-east-1")
    client.create_bucket(Bucket="recordings")
    yield client
    server.stop()


@pytest.mark.parametrize("frames", [50, 3 * 60 * 50])  # one second; 3 minutes (multipart)
def test_stored_in_the_bucket_with_its_retention_tag(s3, monkeypatch, frames):
    monkeypatch.setattr("media_bridge.recording_store.MULTIPART_BYTES", 5 * 1024 * 1024)
    rec = recording(BucketStore("recordings", client=s3), retention_days=30)
    for _ in range(frames):
        rec.caller(b64(CALLER))
    assert rec.save() == "calls/CA1/MZ1.wav"
    stored = s3.get_object(Bucket="recordings", Key="calls/CA1/MZ1.wav")
    assert stored["ContentType"] == "audio/wav"
    assert stored["ContentLength"] == 44 + frames * FRAME * 4
    tags = s3.get_object_tagging(Bucket="recordings", Key="calls/CA1/MZ1.wav")["TagSet"]
    assert tags == [{"Key": RETENTION_TAG, "Value": "30"}]
