/** Test helpers: real data dirs in temp, the production wiring (openServices + buildApp). */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { buildApp } from '../../src/app.js';
import { defaultConfig, type Config } from '../../src/config.js';
import { openServices } from '../../src/http/services.js';

export async function tempDir(prefix = 'sparrow-http-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

export function testConfig(dataDir: string, change?: (config: Config) => void): Config {
  const config = defaultConfig();
  config.server = { ...config.server, dataDir, port: 0, sample: false, logLevel: 'silent' };
  config.cpu = { ...config.cpu, encoderWorkers: 1, searchThreads: 1 };
  change?.(config);
  return config;
}

export async function openApp(config: Config): Promise<FastifyInstance> {
  return buildApp(config, await openServices(config));
}

export function body<T = Record<string, unknown>>(res: LightMyRequestResponse): T {
  return JSON.parse(res.body) as T;
}

/** Asserts an application/problem+json answer with this status and code; returns the problem. */
export function expectProblem(res: LightMyRequestResponse, status: number, code: string): Record<string, unknown> {
  expect(res.headers['content-type'], res.body).toMatch(/^application\/problem\+json/);
  const problem = body(res);
  expect({ status: res.statusCode, code: problem.code }, res.body).toEqual({ status, code });
  expect(problem).toMatchObject({ status, code, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
  return problem;
}

export const SAMPLE_DOCS = [
  { id: 'd1', title: 'Proteins', text: 'Protein folding determines the structure of enzymes.', metadata: { year: 2001 } },
  { id: 'd2', title: 'Cells', text: 'Stem cells divide and differentiate into many cell types.', metadata: { year: 2005 } },
  { id: 'd3', title: 'Vaccines', text: 'Vaccines train the immune system against viral infection.', metadata: { year: 2010 } },
  { id: 'd4', title: 'Genes', text: 'Gene expression is regulated by transcription factors binding DNA.', metadata: { year: 2015 } },
  { id: 'd5', title: 'Folding', text: 'Misfolded protein aggregates are linked to neurodegeneration.', metadata: { year: 2020 } },
];

export async function createWithDocs(app: FastifyInstance, name: string, docs = SAMPLE_DOCS): Promise<void> {
  const created = await app.inject({ method: 'PUT', url: `/v1/collections/${name}`, payload: {} });
  expect(created.statusCode, created.body).toBe(201);
  const stored = await app.inject({ method: 'POST', url: `/v1/collections/${name}/documents`, payload: { documents: docs } });
  expect(stored.statusCode, stored.body).toBe(200);
}
