/**
 * Schema violations in words a user can act on: the field named as a path from the request part
 * (`body.searches[1].k must be >= 1`, `body.searches[0]: unknown property "foo"`), one problem per
 * answer (the first Ajv reports). Used by fastify's schemaErrorFormatter and by the routes that
 * validate items one by one (_msearch, _bulk).
 */

/** What this module reads of an Ajv error object. */
export interface SchemaIssue {
  instancePath: string;
  keyword?: string;
  params?: Record<string, unknown>;
  message?: string;
}

/** A route's compiled schema validator for one item (Ajv, same options as every route). */
export type ItemValidator = ((value: unknown) => boolean) & { errors?: SchemaIssue[] | null };

/** `/searches/1/k` under `body` → `body.searches[1].k`. */
export function fieldPath(root: string, instancePath: string): string {
  let out = root;
  for (const raw of instancePath.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(part) ? `[${part}]` : /^[A-Za-z_$][\w$]*$/.test(part) ? (out === '' ? part : `.${part}`) : `[${JSON.stringify(part)}]`;
  }
  return out;
}

/** One sentence for one violation. */
export function describeIssue(root: string, issue: SchemaIssue): string {
  const where = fieldPath(root, issue.instancePath);
  const params = issue.params ?? {};
  switch (issue.keyword) {
    case 'additionalProperties':
      return `${where}: unknown property ${JSON.stringify(params.additionalProperty)}`;
    case 'required':
      return `${where}: missing required property ${JSON.stringify(params.missingProperty)}`;
    case 'type':
      return issue.instancePath === '' && root === 'body' ? `body must be a JSON ${String(params.type)}` : `${where} must be ${String(params.type)}`;
    case 'enum':
      return `${where} must be one of ${(params.allowedValues as unknown[] | undefined)?.map((v) => JSON.stringify(v)).join(', ') ?? 'the allowed values'}`;
    default:
      return `${where} ${issue.message ?? 'is invalid'}`;
  }
}

/** fastify's schemaErrorFormatter: the first issue, its field named. */
export function formatSchemaErrors(issues: SchemaIssue[], dataVar: string): Error {
  return new Error(issues.length > 0 ? describeIssue(dataVar, issues[0]) : `${dataVar} is invalid`);
}
