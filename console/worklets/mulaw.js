// The browser phone's audio, on the audio thread: the microphone to 8 kHz μ-law in 20 ms frames
// ("pitstop-mic"), and the agent's μ-law played out as Twilio plays a call's outbound audio
// ("pitstop-speaker"): in order, marks echoed only once the audio queued before them has been
// rendered, and `clear` dropping everything buffered at once (its marks echoed, as Twilio does).
const RATE = 8000;
const FRAME_BYTES = 160; // 20 ms of 8 kHz μ-law, what Twilio sends per media message
const BIAS = 0x84;
const CLIP = 32635;

// G.711 μ-law, as Twilio's `audio/x-mulaw`.
function encode(sample) {
  let pcm = Math.round(Math.max(-1, Math.min(1, sample)) * 32767);
  const sign = pcm < 0 ? 0x80 : 0;
  pcm = Math.min(Math.abs(pcm), CLIP) + BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (pcm & mask) === 0 && exponent > 0; mask >>= 1) exponent -= 1;
  const mantissa = (pcm >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

const DECODED = new Float32Array(256);
for (let byte = 0; byte < 256; byte += 1) {
  const u = ~byte & 0xff;
  const magnitude = ((((u & 0x0f) << 3) + BIAS) << ((u >> 4) & 7)) - BIAS;
  DECODED[byte] = ((u & 0x80) ? -magnitude : magnitude) / 32768;
}

// Averages the input over each 1/8000 s (a box filter: enough against aliasing for speech).
class Microphone extends AudioWorkletProcessor {
  constructor() {
    super();
    this.step = sampleRate / RATE;
    this.phase = 0;
    this.sum = 0;
    this.count = 0;
    this.frame = new Uint8Array(FRAME_BYTES);
    this.filled = 0;
  }

  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (!channel) return true;
    for (const sample of channel) {
      this.sum += sample;
      this.count += 1;
      this.phase += 1;
      if (this.phase < this.step) continue;
      this.phase -= this.step;
      this.frame[this.filled++] = encode(this.sum / this.count);
      this.sum = 0;
      this.count = 0;
      if (this.filled === FRAME_BYTES) {
        this.port.postMessage(this.frame, [this.frame.buffer]);
        this.frame = new Uint8Array(FRAME_BYTES);
        this.filled = 0;
      }
    }
    return true;
  }
}

// The outbound buffer: μ-law chunks and mark names, in the order they came.
class Speaker extends AudioWorkletProcessor {
  constructor() {
    super();
    this.queue = [];
    this.offset = 0; // into queue[0] when it is audio
    this.step = RATE / sampleRate;
    this.phase = 0;
    this.current = 0; // the μ-law sample being played
    this.playing = false;
    this.played = []; // bytes rendered since the last report
    this.port.onmessage = ({ data }) => {
      if (data.type === "audio") this.queue.push(data.bytes);
      else if (data.type === "mark") this.queue.push(data.name);
      else if (data.type === "clear") this.clear();
    };
  }

  clear() {
    this.report();
    let dropped = 0;
    const marks = [];
    for (const [index, item] of this.queue.entries()) {
      if (typeof item === "string") marks.push(item);
      else dropped += item.length - (index === 0 ? this.offset : 0);
    }
    this.queue = [];
    this.offset = 0;
    this.playing = false;
    this.port.postMessage({ type: "cleared", dropped, marks });
  }

  // The next μ-law byte, echoing every mark that reaches the head of the queue first.
  next() {
    while (this.queue.length) {
      const head = this.queue[0];
      if (typeof head === "string") {
        this.report();
        this.port.postMessage({ type: "mark", name: head });
        this.queue.shift();
      } else if (this.offset < head.length) {
        const byte = head[this.offset++];
        this.played.push(byte);
        return byte;
      } else {
        this.queue.shift();
        this.offset = 0;
      }
    }
    return null;
  }

  report() {
    if (!this.played.length) return;
    this.port.postMessage({ type: "played", bytes: Uint8Array.from(this.played) });
    this.played = [];
  }

  process(inputs, outputs) {
    const out = outputs[0][0];
    for (let i = 0; i < out.length; i += 1) {
      this.phase += this.step;
      if (this.phase >= 1 || !this.playing) {
        this.phase = this.phase >= 1 ? this.phase - 1 : this.phase;
        const byte = this.next();
        this.playing = byte !== null;
        this.current = this.playing ? byte : 0xff; // 0xff: μ-law silence
      }
      out[i] = this.playing ? DECODED[this.current] : 0;
    }
    if (this.played.length >= FRAME_BYTES) this.report();
    return true;
  }
}

registerProcessor("pitstop-mic", Microphone);
registerProcessor("pitstop-speaker", Speaker);
