// A point's microphone and camera as everybody reads them on its tile and roster line: an icon
// and words ("Micrô tắt", "Chủ trì tắt micrô", "Camera bật"), from the point's entry in the
// briefing state. A server that does not send these fields shows nothing.

import { t } from './i18n.js';

/** @typedef {import('./protocol.js').StatePoint} StatePoint */

const MIC = 'M12 14a3 3 0 0 0 3-3V5a3 3 0 0 0-6 0v6a3 3 0 0 0 3 3zm5-3a5 5 0 0 1-10 0H5a7 7 0 0 0 6 6.92V21h2v-3.08A7 7 0 0 0 19 11h-2z';
const CAMERA = 'M15 8V6a1 1 0 0 0-1-1H3a1 1 0 0 0-1 1v12a1 1 0 0 0 1 1h11a1 1 0 0 0 1-1v-2l5 4V4l-5 4z';
const SLASH = 'M4 3.3 20.7 20l-1.4 1.4L2.6 4.7z';

/**
 * Fills `holder` (a `.media-state` element) with the point's microphone and camera chips; each
 * has `data-media` (`mic` | `camera`) and `data-state` (`on` | `off` | `muted-by-host`).
 * @param {HTMLElement} holder
 * @param {StatePoint | undefined} point
 */
export function renderMediaState(holder, point) {
  const chips = [];
  if (point && point.muted_by_host === true) {
    chips.push(chip('mic', 'muted-by-host', MIC, true, t('media.mic.byHost')));
  } else if (point && typeof point.mic === 'boolean') {
    chips.push(chip('mic', point.mic ? 'on' : 'off', MIC, !point.mic, point.mic ? t('media.mic.on') : t('media.mic.off')));
  }
  if (point && typeof point.camera === 'boolean') {
    chips.push(chip('camera', point.camera ? 'on' : 'off', CAMERA, !point.camera, point.camera ? t('media.camera.on') : t('media.camera.off')));
  }
  const key = chips.map((c) => `${c.dataset.media}:${c.dataset.state}:${c.textContent}`).join('|');
  if (holder.dataset.key === key) return;
  holder.dataset.key = key;
  holder.replaceChildren(...chips);
}

/**
 * @param {'mic' | 'camera'} media
 * @param {string} state
 * @param {string} path
 * @param {boolean} slashed
 * @param {string} text
 */
function chip(media, state, path, slashed, text) {
  const span = document.createElement('span');
  span.className = 'media-chip';
  span.dataset.media = media;
  span.dataset.state = state;
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'icon');
  for (const d of slashed ? [path, SLASH] : [path]) {
    const shape = document.createElementNS('http://www.w3.org/2000/svg', 'path');
    shape.setAttribute('d', d);
    svg.append(shape);
  }
  const label = document.createElement('span');
  label.textContent = text;
  span.append(svg, label);
  return span;
}
