// The browser as the phone: Twilio's Media Streams protocol, spoken to the bridge's own
// `/media-stream` endpoint exactly as Twilio speaks it (so the bridge takes no special path):
// `connected`, `start` (streamSid, callSid, customParameters, mediaFormat), a `media` message per
// 20 ms of microphone (payload, timestamp, chunk), `mark` echoed when the audio before it has
// played, `stop` on hang-up. The agent's `media` is played in order and `clear` drops it at once.
// The audio itself runs in `/worklets/mulaw.js`; this file is the protocol and the bookkeeping.
const ACCOUNT_SID = `AC${"0".repeat(32)}`; // a test call belongs to no Twilio account
const RING_BYTES = 8000 * 120; // the last two minutes of what was played, for a look back

const base64 = (bytes) => btoa(String.fromCharCode(...bytes));
const unbase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

// What the caller's side has heard: counters and a ring of the played μ-law bytes.
export class Playback {
  constructor() {
    this.received = 0; // bytes of agent audio that arrived
    this.played = 0; // bytes rendered to the speaker
    this.dropped = 0; // bytes a `clear` threw away before they played
    this.clears = 0;
    this.marksEchoed = 0;
    this.ring = new Uint8Array(RING_BYTES);
    this.notes = {}; // label → how much had been played when it happened (e.g. a tool ran)
    this.startedAt = performance.now();
    this.firstAudioMs = null; // when the agent's first audio arrived, after the call started
  }

  note(label) {
    this.notes[label] = this.played;
  }

  heard(bytes) {
    for (const byte of bytes) this.ring[(this.played++) % RING_BYTES] = byte;
  }

  // The bytes played from `since` (a `played` count) on, as far as the ring still holds them.
  since(since) {
    const from = Math.max(since, this.played - RING_BYTES);
    const out = new Uint8Array(this.played - from);
    for (let i = 0; i < out.length; i += 1) out[i] = this.ring[(from + i) % RING_BYTES];
    return out;
  }
}

export class Phone extends EventTarget {
  // `grant`: the admin API's answer to POST /admin/test-calls (bridge_url and `start`).
  constructor(grant) {
    super();
    this.grant = grant;
    this.streamSid = grant.start.streamSid;
    this.playback = new Playback();
    this.sequence = 0;
    this.chunk = 0;
    this.state = "idle";
  }

  async call() {
    this.setState("connecting");
    this.audio = new AudioContext();
    await this.audio.audioWorklet.addModule("/worklets/mulaw.js");
    this.microphone = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
    });
    this.speaker = new AudioWorkletNode(this.audio, "pitstop-speaker", { numberOfInputs: 0, outputChannelCount: [1] });
    this.speaker.connect(this.audio.destination);
    this.speaker.port.onmessage = ({ data }) => this.fromSpeaker(data);
    this.socket = new WebSocket(this.grant.bridge_url);
    this.socket.addEventListener("open", () => this.open());
    this.socket.addEventListener("message", (event) => this.fromBridge(JSON.parse(event.data)));
    this.socket.addEventListener("close", (event) => this.closed(event));
    await this.audio.resume();
  }

  send(event, body = {}) {
    if (this.socket?.readyState !== WebSocket.OPEN) return;
    this.sequence += 1;
    const message = event === "connected" ? body : { sequenceNumber: String(this.sequence), ...body };
    this.socket.send(JSON.stringify({ event, ...message }));
  }

  open() {
    const { start } = this.grant;
    this.send("connected", { protocol: "Call", version: "1.0.0" });
    this.send("start", {
      streamSid: this.streamSid,
      start: { ...start, accountSid: ACCOUNT_SID, tracks: ["inbound"] },
    });
    const source = this.audio.createMediaStreamSource(this.microphone);
    this.mic = new AudioWorkletNode(this.audio, "pitstop-mic", { numberOfOutputs: 1 });
    const mute = this.audio.createGain(); // keeps the node in the rendered graph, silently
    mute.gain.value = 0;
    source.connect(this.mic).connect(mute).connect(this.audio.destination);
    this.mic.port.onmessage = ({ data }) => this.media(data);
    this.setState("connected");
  }

  media(frame) {
    this.chunk += 1;
    this.send("media", {
      streamSid: this.streamSid,
      media: { track: "inbound", chunk: String(this.chunk), timestamp: String(this.chunk * 20), payload: base64(frame) },
    });
  }

  fromBridge(message) {
    if (message.event === "media") {
      const bytes = unbase64(message.media.payload);
      this.playback.received += bytes.length;
      this.playback.firstAudioMs ??= Math.round(performance.now() - this.playback.startedAt);
      this.speaker.port.postMessage({ type: "audio", bytes }, [bytes.buffer]);
    } else if (message.event === "mark") {
      this.speaker.port.postMessage({ type: "mark", name: message.mark.name });
    } else if (message.event === "clear") {
      this.speaker.port.postMessage({ type: "clear" });
    }
  }

  fromSpeaker(data) {
    const playback = this.playback;
    if (data.type === "played") playback.heard(data.bytes);
    else if (data.type === "mark") this.echo(data.name);
    else if (data.type === "cleared") {
      playback.clears += 1;
      playback.dropped += data.dropped;
      data.marks.forEach((name) => this.echo(name)); // Twilio echoes the marks a clear dropped
      this.dispatchEvent(new CustomEvent("clear", { detail: data }));
    }
  }

  echo(name) {
    this.playback.marksEchoed += 1;
    this.send("mark", { streamSid: this.streamSid, mark: { name } });
  }

  hangUp() {
    this.send("stop", { streamSid: this.streamSid, stop: { accountSid: ACCOUNT_SID, callSid: this.grant.call_sid } });
    this.socket?.close(1000);
    this.release();
  }

  closed(event) {
    this.release();
    this.setState("ended", event.code);
  }

  release() {
    this.microphone?.getTracks().forEach((track) => track.stop());
    if (this.audio && this.audio.state !== "closed") this.audio.close();
  }

  setState(state, code) {
    if (this.state === "ended") return;
    this.state = state;
    this.dispatchEvent(new CustomEvent("state", { detail: { state, code } }));
  }
}
