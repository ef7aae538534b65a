import { describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig } from '../../src/config.js';
import { AppError } from '../../src/errors.js';

function configError(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('INVALID_CONFIG');
    return err as AppError;
  }
  throw new Error('expected INVALID_CONFIG');
}

describe('parseConfig', () => {
  it('gives the defaults with no flags and no environment', () => {
    const config = parseConfig([], {});
    expect(config).toEqual(defaultConfig());
    expect(config.server.port).toBe(8080);
    expect(config.server.dataDir).toBe('index-data');
    expect(config.server.sample).toBe(true);
    expect(config.server.maxK).toBe(1000);
  });

  it('reads SPARROW_* variables', () => {
    const config = parseConfig([], {
      SPARROW_PORT: '9001',
      SPARROW_HOST: '0.0.0.0',
      SPARROW_DATA_DIR: '/data',
      SPARROW_API_KEY: 's3cret',
      SPARROW_SAMPLE: 'off',
      SPARROW_MAX_K: '50',
      SPARROW_BODY_LIMIT: '2048',
      SPARROW_MAX_BATCH: '10',
      SPARROW_MAX_QUERY_LENGTH: '100',
      SPARROW_LOG_LEVEL: 'warn',
      SPARROW_CPU_BUDGET: '3',
    });
    expect(config.server).toMatchObject({ port: 9001, host: '0.0.0.0', dataDir: '/data', apiKey: 's3cret', sample: false, maxK: 50 });
    expect(config.server).toMatchObject({ bodyLimitBytes: 2048, maxBatchDocuments: 10, maxQueryLength: 100, logLevel: 'warn' });
    expect(config.cpu.budget).toBe(3);
  });

  it('lets flags win over the environment', () => {
    const config = parseConfig(['--port', '7000', '--sample=on', '--data-dir', 'x'], { SPARROW_PORT: '9001', SPARROW_SAMPLE: 'off' });
    expect(config.server.port).toBe(7000);
    expect(config.server.sample).toBe(true);
    expect(config.server.dataDir).toBe('x');
  });

  it('treats an empty SPARROW_API_KEY as no key', () => {
    expect(parseConfig([], { SPARROW_API_KEY: '' }).server.apiKey).toBeUndefined();
  });

  it('refuses a non-loopback address without an API key unless --allow-no-key is on', () => {
    expect(configError(() => parseConfig(['--host', '0.0.0.0'], {})).message).toMatch(/--api-key.*--allow-no-key/);
    expect(configError(() => parseConfig([], { SPARROW_HOST: '192.168.1.5' })).message).toMatch(/no API key/);
    expect(parseConfig(['--host', '0.0.0.0', '--allow-no-key', 'on'], {}).server).toMatchObject({ host: '0.0.0.0', allowNoKey: true });
    expect(parseConfig([], { SPARROW_HOST: '0.0.0.0', SPARROW_API_KEY: 'k' }).server.apiKey).toBe('k');
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1']) expect(parseConfig(['--host', host], {}).server.host).toBe(host);
  });

  it('names the bad option', () => {
    expect(configError(() => parseConfig([], { SPARROW_PORT: 'eighty' })).message).toMatch(/SPARROW_PORT/);
    expect(configError(() => parseConfig([], { SPARROW_PORT: '70000' })).message).toMatch(/SPARROW_PORT.*65535/);
    expect(configError(() => parseConfig([], { SPARROW_PORT: '' })).message).toMatch(/SPARROW_PORT/);
    expect(configError(() => parseConfig(['--max-k', '2.5'], {})).message).toMatch(/--max-k/);
    expect(configError(() => parseConfig([], { SPARROW_SAMPLE: 'maybe' })).message).toMatch(/SPARROW_SAMPLE must be on or off/);
    expect(configError(() => parseConfig([], { SPARROW_LOG_LEVEL: 'loud' })).message).toMatch(/SPARROW_LOG_LEVEL/);
    expect(configError(() => parseConfig([], { SPARROW_DATA_DIR: ' ' })).message).toMatch(/SPARROW_DATA_DIR/);
    expect(configError(() => parseConfig(['--nope', '1'], {})).message).toMatch(/nope/);
    expect(configError(() => parseConfig(['stray'], {})).message).toMatch(/stray/);
  });
});
