import { join, resolve, sep } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isSafeMediaName,
  MAX_NAME_BYTES,
  MAX_NAME_VARIANTS,
  nameVariants,
  sanitizeMediaName,
} from './media-name.js';

const folder = '/srv/media';
/** Strings heavy in what attacks use: dots, separators, NUL, controls, odd unicode. */
const hostile = fc.string({
  unit: fc.oneof(
    fc.constantFrom('.', '/', '\\', '\0', '\n', '\u0085', '\u202e', ' ', '%', ':', 'e\u0301'),
    fc.string({ minLength: 1, maxLength: 1, unit: 'grapheme' }),
  ),
  maxLength: 300,
});

describe('sanitizeMediaName', () => {
  it('makes any string one safe segment that stays in the folder, or refuses it', () => {
    fc.assert(
      fc.property(hostile, (raw) => {
        const name = sanitizeMediaName(raw);
        if (name === undefined) return;
        expect(isSafeMediaName(name)).toBe(true);
        expect(name).not.toMatch(/[/\\\0]/);
        expect(name).not.toMatch(/\p{Cc}/u);
        expect(resolve(folder, name).startsWith(folder + sep)).toBe(true);
        expect(resolve(folder, name)).toBe(join(folder, name));
        expect(name.normalize('NFC')).toBe(name);
        // Sanitizing is stable: a stored name is its own sanitized form.
        expect(sanitizeMediaName(name)).toBe(name);
        expect(isSafeMediaName([...nameVariants(name)].at(-1)!)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it.each([
    ['../x', '_x'],
    ['..', undefined],
    ['.', undefined],
    ['', undefined],
    ['\0', undefined],
    ['a\0b.jpg', 'ab.jpg'],
    ['.hidden', 'hidden'],
    ['dir/photo.jpg', 'dir_photo.jpg'],
    ['C:\\Users\\me\\IMG 1.jpg', 'C__Users_me_IMG 1.jpg'],
    ['  name . ', 'name'],
    ['cafe\u0301.png', 'caf\u00e9.png'],
  ])('%j becomes %j', (raw, expected) => {
    expect(sanitizeMediaName(raw)).toBe(expected);
  });

  it('cuts a long name at a character boundary, keeping its extension', () => {
    const name = sanitizeMediaName(`${'é'.repeat(400)}.jpeg`)!;
    expect(name.endsWith('é.jpeg')).toBe(true);
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(MAX_NAME_BYTES - 6);
    expect(Buffer.byteLength([...nameVariants(name)].at(-1)!)).toBeLessThanOrEqual(MAX_NAME_BYTES);
  });
});

describe('nameVariants', () => {
  it('numbers the name before its extension', () => {
    const variants = [...nameVariants('IMG 1.jpg')];
    expect(variants.slice(0, 3)).toEqual(['IMG 1.jpg', 'IMG 1 (1).jpg', 'IMG 1 (2).jpg']);
    expect(variants).toHaveLength(MAX_NAME_VARIANTS + 1);
  });
});
