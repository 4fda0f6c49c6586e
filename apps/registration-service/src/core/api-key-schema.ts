import { z } from 'zod';
import { GUID_RE, type FieldProblem } from '@ci-connector/tenancy';
import { ApiError } from './errors';

/** `POST /api-keys` body: validates requests and is the OpenAPI schema (one source). */
export const apiKeyCreateSchema = z
  .object({
    name: z.string({ error: (i) => (i.input === undefined ? 'required' : 'must be a string') }).trim().min(1, 'must not be empty').max(128, 'at most 128 characters'),
    tenants: z.union([z.literal('*'), z.array(z.string().regex(GUID_RE, 'not a GUID (a tenant id)')).min(1, 'must list at least one tenant')], {
      error: (i) => (i.input === undefined ? 'required: "*" or a list of tenant ids' : 'must be "*" or a list of tenant ids'),
    }),
  })
  .strict();

export function parseApiKeyCreate(body: unknown): { name: string; tenants: '*' | string[] } {
  const r = apiKeyCreateSchema.safeParse(body);
  if (!r.success) {
    const problems: FieldProblem[] = r.error.issues.map((i) => ({
      field: i.path.length > 0 ? i.path.join('.') : i.code === 'unrecognized_keys' ? ((i as { keys?: string[] }).keys ?? []).join(', ') : '(body)',
      message: i.code === 'unrecognized_keys' ? 'unknown field' : i.message,
    }));
    throw ApiError.invalid(problems, 'API key');
  }
  const { name, tenants } = r.data;
  return { name, tenants: tenants === '*' ? '*' : [...new Set(tenants.map((t) => t.toLowerCase()))] };
}
