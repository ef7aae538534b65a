/** What the route plugins share: the engine, the config, the task registry and the service state. */
import type { Config } from '../config.js';
import type { AliasedManager } from '../aliases/manager.js';
import type { EncodedTerm } from '../engine/types.js';
import type { TaskRegistry } from './tasks.js';

export interface ServiceState {
  /** collections loaded (and the sample created): /ready answers 200 */
  ready: boolean;
  /** shutdown began: new requests get 503 SHUTTING_DOWN */
  closing: boolean;
}

/** Encodes a text when POST /v1/encode names no collection. */
export type StandaloneEncode = (text: string, side: 'document' | 'query') => Promise<EncodedTerm[]>;

/** A registered route as the OpenAPI agreement test reads it. */
export interface RouteRecord {
  method: string;
  url: string;
  schema?: Record<string, unknown>;
}

export interface HttpContext {
  config: Config;
  /** the engine's collections; every name may be an alias (resolved by manager.get) */
  manager: AliasedManager;
  tasks: TaskRegistry;
  state: ServiceState;
  encode: StandaloneEncode;
  routes: RouteRecord[];
}
