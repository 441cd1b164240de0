/**
 * UTF-8 sizes (src/core/internal/bytes.ts) equal what Node writes, for ASCII, 2-, 3- and 4-byte
 * characters, on both sides of the scratch-buffer bound.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SCRATCH_UNITS,
  exceedsBytes,
  utf8Length,
} from '../../../src/core/internal/bytes.ts';

const samples = ['', 'plain ascii', 'é and ü', '€ sign', '😀 emoji 𝄞', 'mixed é€😀 text'];

describe('utf8Length', () => {
  for (const text of samples) {
    it(`measures ${JSON.stringify(text)} as Buffer.byteLength does`, () => {
      expect(utf8Length(text)).toBe(Buffer.byteLength(text));
    });
  }

  it('measures strings past the scratch buffer too', () => {
    for (const unit of ['a', 'é', '€', '😀']) {
      const text = unit.repeat(Math.ceil((DEFAULT_SCRATCH_UNITS + 10) / unit.length));
      expect(text.length).toBeGreaterThan(DEFAULT_SCRATCH_UNITS);
      expect(utf8Length(text)).toBe(Buffer.byteLength(text));
    }
  });

  it('counts a lone surrogate as the replacement character it is sent as', () => {
    expect(utf8Length('a\ud800b')).toBe(Buffer.byteLength('a\ud800b'));
  });
});

describe('exceedsBytes', () => {
  it('is exact at the limit', () => {
    expect(exceedsBytes('€€', 6)).toBe(false);
    expect(exceedsBytes('€€', 5)).toBe(true);
  });
});
