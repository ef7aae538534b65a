import { describe, expect, it } from 'vitest';
import { AppError, ERROR_CODES } from '../../src/errors.js';

describe('AppError', () => {
  it('carries the status of its code', () => {
    const err = new AppError('COLLECTION_NOT_FOUND', 'no collection "x"');
    expect(err.status).toBe(404);
    expect(err.code).toBe('COLLECTION_NOT_FOUND');
    expect(err.message).toBe('no collection "x"');
  });

  it('has a 4xx or 5xx status and a title for every code', () => {
    for (const [code, { status, title }] of Object.entries(ERROR_CODES)) {
      expect(status, code).toBeGreaterThanOrEqual(400);
      expect(status, code).toBeLessThan(600);
      expect(title.length, code).toBeGreaterThan(0);
    }
  });
});
