// Reading back the PDFs the server renders (the minutes), with pdftotext from poppler-utils.

import { spawn } from 'node:child_process';

/**
 * The text of a PDF by pdftotext, its whitespace runs made single spaces (long titles wrap).
 * The text is as pdftotext gives it, not normalized: a caller that wants NFC says so.
 *
 * @param {string} file
 * @returns {Promise<string>}
 */
export function pdfText(file) {
  return new Promise((resolve, reject) => {
    const proc = spawn('pdftotext', ['-enc', 'UTF-8', file, '-'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.setEncoding('utf8').on('data', (c) => { out += c; });
    proc.stderr.setEncoding('utf8').on('data', (c) => { err += c; });
    proc.on('error', (e) => reject(new Error(`pdftotext could not run (apt-get install poppler-utils): ${e.message}`)));
    proc.on('exit', (code) => (code === 0
      ? resolve(out.split(/\s+/).join(' '))
      : reject(new Error(`pdftotext ${file} exited with ${code}: ${err}`))));
  });
}
