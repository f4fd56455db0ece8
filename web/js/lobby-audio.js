// The lobby's sound checks: a level meter for the chosen microphone, and the choice of the
// speaker every remote sound plays on (where the browser can choose: `setSinkId`).

import { t } from './i18n.js';

/** Above this RMS level (0..1) the bar is full: speech at a normal distance reaches it. */
const FULL_SCALE = 0.25;

/**
 * The microphone's level as a bar (`--level` 0..1 on the meter, `aria-valuenow` 0..100), read
 * by a WebAudio AnalyserNode from the preview stream.
 */
export class MicLevel {
  /** @param {HTMLElement} meter `[data-role=mic-level]` */
  constructor(meter) {
    this.meter = meter;
    /** @type {AudioContext | null} */
    this.context = null;
    /** @type {MediaStreamAudioSourceNode | null} */
    this.source = null;
    /** @type {AnalyserNode | null} */
    this.analyser = null;
    /** @type {MediaStreamTrack | null} */
    this.track = null;
    this.frame = 0;
    /** @type {Float32Array<ArrayBuffer>} */
    this.samples = new Float32Array(1024);
    // Browsers start an AudioContext suspended until the person interacts with the page.
    document.addEventListener('pointerdown', () => void this.context?.resume().catch(() => {}));
  }

  /**
   * Measures the stream's microphone (nothing when it has none).
   * @param {MediaStream | null} stream
   */
  attach(stream) {
    const track = stream?.getAudioTracks()[0] ?? null;
    if (track === this.track) return;
    this.detach();
    const Context = window.AudioContext ?? /** @type {any} */ (window).webkitAudioContext;
    if (!track || typeof Context !== 'function') return;
    try {
      this.context ??= new Context();
      void this.context.resume().catch(() => {});
      this.source = this.context.createMediaStreamSource(new MediaStream([track]));
      this.analyser = this.context.createAnalyser();
      this.analyser.fftSize = this.samples.length;
      this.source.connect(this.analyser);
    } catch {
      this.detach();
      return;
    }
    this.track = track;
    const tick = () => {
      this.frame = requestAnimationFrame(tick);
      this.show(this.level());
    };
    this.frame = requestAnimationFrame(tick);
  }

  detach() {
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.source?.disconnect();
    this.source = null;
    this.analyser = null;
    this.track = null;
    this.show(0);
  }

  /** @returns {number} 0..1 */
  level() {
    if (!this.analyser) return 0;
    this.analyser.getFloatTimeDomainData(this.samples);
    let sum = 0;
    for (const s of this.samples) sum += s * s;
    const rms = Math.sqrt(sum / this.samples.length);
    return Math.min(1, rms / FULL_SCALE);
  }

  /** @param {number} level 0..1 */
  show(level) {
    this.meter.style.setProperty('--level', level.toFixed(3));
    this.meter.setAttribute('aria-valuenow', String(Math.round(level * 100)));
  }
}

/**
 * The speaker choice: lists the audio outputs and plays every remote sound and picture on the
 * chosen one. The field stays hidden where the browser cannot choose.
 */
export class SpeakerChoice {
  /**
   * @param {HTMLElement} field `[data-role=speaker-field]`
   * @param {HTMLSelectElement} select `[data-role=speaker-select]`
   */
  constructor(field, select) {
    this.field = field;
    this.select = select;
    this.supported = typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;
    /** The chosen output's id; '' for the system's default. */
    this.sinkId = '';
    field.hidden = true;
    select.addEventListener('change', () => {
      this.sinkId = select.value;
      for (const el of document.querySelectorAll('audio, video')) this.applyTo(/** @type {HTMLMediaElement} */ (el));
    });
  }

  /**
   * Lists the outputs among `devices`; hides the field when there is no choice to make.
   * @param {MediaDeviceInfo[]} devices
   */
  render(devices) {
    const outputs = devices.filter((d) => d.kind === 'audiooutput' && d.deviceId !== '' && d.deviceId !== 'default');
    this.field.hidden = !this.supported || outputs.length === 0;
    if (this.field.hidden) return;
    const chosen = this.sinkId;
    const options = [new Option(t('device.speakerDefault'), '')];
    outputs.forEach((d, i) => options.push(new Option(d.label || t('device.speaker', { n: i + 1 }), d.deviceId)));
    for (const o of options) o.selected = o.value === chosen;
    this.select.replaceChildren(...options);
  }

  /**
   * Plays `el` on the chosen output (a new remote element, or all of them after a change).
   * @param {HTMLMediaElement} el
   */
  applyTo(el) {
    if (!this.supported || el.dataset.role === 'self') return;
    const media = /** @type {HTMLMediaElement & {sinkId?: string, setSinkId?: (id: string) => Promise<void>}} */ (el);
    if (typeof media.setSinkId !== 'function' || media.sinkId === this.sinkId) return;
    media.setSinkId(this.sinkId).catch((err) => console.warn('giaoban: cannot switch the speaker', err));
  }
}
