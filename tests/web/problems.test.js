// Every error code of the API reads in Vietnamese and in English (web/js/problem.js): the codes
// and their parameters come from docs/error-codes.json, which a Rust test keeps in step with
// the server (crates/model/tests/error_codes.rs).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import { ApiError } from '../../web/js/api.js';
import vi from '../../web/js/lang/vi.js';
import en from '../../web/js/lang/en.js';
import { fieldText, problemPath, problemText } from '../../web/js/problem.js';

/** @type {{codes: {code: string, params: string[]}[], fields: {field: string}[]}} */
const list = JSON.parse(readFileSync(new URL('../../docs/error-codes.json', import.meta.url), 'utf8'));

/** @param {string} text */
function placeholders(text) {
  return [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
}

describe('the catalogues', () => {
  for (const [lang, catalogue] of /** @type {const} */ ([['vi', vi], ['en', en]])) {
    it(`translate every code in ${lang}, using only the code's parameters`, () => {
      const untranslated = [];
      for (const { code, params } of list.codes) {
        const text = catalogue[`api.${code}`];
        if (typeof text !== 'string' || text.trim() === '') {
          untranslated.push(code);
          continue;
        }
        for (const name of placeholders(text)) {
          assert.ok(params.includes(name), `${lang} api.${code} uses {${name}}, not one of ${params}`);
        }
      }
      assert.deepEqual(untranslated, [], `untranslated codes in ${lang}.js`);
    });

    it(`name every field in ${lang} and nothing else under api. and field.`, () => {
      const fields = new Set(list.fields.map((f) => f.field));
      const codes = new Set(list.codes.map((c) => c.code));
      for (const field of fields) assert.ok(catalogue[`field.${field}`], `${lang}: field.${field}`);
      for (const key of Object.keys(catalogue)) {
        if (key.startsWith('api.')) assert.ok(codes.has(key.slice(4)), `${lang}: ${key} is no code of the server`);
        if (key.startsWith('field.')) assert.ok(fields.has(key.slice(6)), `${lang}: ${key} is no field of the server`);
      }
    });
  }

  it('say in Vietnamese what the server refused, never its English sentence', () => {
    for (const { code, params } of list.codes) {
      const given = Object.fromEntries(params.map((name) => [name, name === 'max' ? 10 : 'x']));
      const text = problemText(new ApiError(422, code, 'ENGLISH', 'title', given), 'vi');
      assert.ok(!text.includes('ENGLISH') && !/\{\w+\}/.test(text), `${code}: ${text}`);
      assert.ok(text.startsWith('Tiêu đề: '), `${code}: ${text}`);
    }
  });
});

describe('problemText', () => {
  it('puts the field first and quotes what was typed', () => {
    const err = new ApiError(422, 'not_a_number', 'indicator 2, value: "85 phần trăm" is not a number', 'indicators.2.value', {
      value: '85 phần trăm',
    });

    assert.equal(problemText(err, 'vi'), 'Chỉ tiêu 2, giá trị: “85 phần trăm” không phải là số.');
    assert.equal(problemText(err, 'en'), 'Indicator 2, value: "85 phần trăm" is not a number.');
    assert.deepEqual(problemPath(err), ['indicators', 2, 'value']);
  });

  it('shows dates day first', () => {
    const err = new ApiError(422, 'in_the_past', 'deadline: "2020-01-01" is in the past', 'deadline', { value: '2020-01-01' });

    assert.equal(problemText(err, 'vi'), 'Hạn hoàn thành: “01/01/2020” là ngày đã qua.');
  });

  it('falls back to the status for a code it does not know, and to the network', () => {
    assert.equal(problemText(new ApiError(502, 'http_502', 'Bad Gateway'), 'vi'), 'Máy chủ gặp sự cố (mã 502). Vui lòng thử lại.');
    assert.match(problemText(new ApiError(0, 'network', 'TypeError'), 'vi'), /Không kết nối được/);
  });

  it('reads a units file path', () => {
    assert.equal(fieldText('line.3.email', 'vi'), 'dòng 3, thư điện tử');
  });
});
