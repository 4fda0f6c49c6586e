import { z } from 'zod';
import { apiKeyCreateSchema } from '../core/api-key-schema';
import { RECORDER_REGION_NAMES, RECORDING_MODES, tenantCreateSchema, tenantUpdateSchema } from '@ci-connector/tenancy';

/**
 * The OpenAPI components. Request bodies are the JSON Schemas of the very zod
 * schemas that validate them (@ci-connector/tenancy), so docs and validation
 * cannot diverge; two facts zod cannot express in JSON Schema are added: the
 * region list (a refinement) and the case-insensitive GUID pattern.
 */
type JsonSchema = Record<string, unknown>;

const GUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

function toOpenApi(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  delete json['$schema'];
  return json;
}

function patchTenantFields(json: JsonSchema): JsonSchema {
  const props = json['properties'] as Record<string, JsonSchema> | undefined;
  if (!props) return json;
  for (const key of ['id', 'orgId']) if (props[key]) props[key] = { ...props[key], pattern: GUID_PATTERN, format: 'uuid' };
  if (props['region']) props['region'] = { ...props['region'], enum: [...RECORDER_REGION_NAMES] };
  const descriptions: Record<string, string> = {
    id: "The customer's Entra tenant id (GUID).",
    orgId: 'The Dynamics 365 organisation id (GUID): `orgId` of the registration.',
    displayName: 'Shown in Dynamics as the provider registration name.',
    region: 'The CI recorder region the calls are forked to (`global` = nearest).',
    accountId: 'The provider account id: `AccountId` of the registration, sent as `X-AccountId` on every SIPREC request.',
    certificate: 'The SIPS client certificate the carrier presents to the recorder: `{ subject, issuer }` or `{ pem }` (both read from it).',
    sourceIpNetwork: 'The SRC address or CIDR (`SourceIPNetwork`); `0.0.0.0` = no restriction.',
    hosting: '`cloud` or `on-premises`.',
    recordingMode: 'automatic: record on answer; manual: wait for a start command.',
    defaultCountry: 'ISO 3166-1 alpha-2 country for phone numbers without a country code.',
  };
  for (const [k, d] of Object.entries(descriptions)) if (props[k]) props[k] = { ...props[k], description: d };
  return json;
}

const tenantStatusSchema = z.object({
  state: z.enum(['unregistered', 'pending', 'registered', 'failed']),
  attempts: z.number().int(),
  lastError: z.string().optional(),
  lastAttemptAt: z.string().optional(),
  registeredAt: z.string().optional(),
});

const tenantSchema = z.object({
  id: z.string(),
  orgId: z.string(),
  displayName: z.string(),
  region: z.enum(RECORDER_REGION_NAMES as [string, ...string[]]),
  accountId: z.string(),
  certificate: z.object({ subject: z.string(), issuer: z.string(), fingerprint256: z.string().optional(), notAfter: z.string().optional() }),
  sourceIpNetwork: z.string(),
  hosting: z.enum(['cloud', 'on-premises']),
  recordingMode: z.enum(RECORDING_MODES),
  defaultCountry: z.string(),
  status: tenantStatusSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
  version: z.number().int(),
});

const errorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(z.object({ field: z.string(), message: z.string() })),
  }),
});

const apiKeySchema = z.object({ id: z.string(), name: z.string(), tenants: z.union([z.literal('*'), z.array(z.string())]), createdAt: z.string() });

export function openApiSchemas(): Record<string, JsonSchema> {
  return {
    TenantCreate: patchTenantFields(toOpenApi(tenantCreateSchema, 'input')),
    TenantUpdate: patchTenantFields(toOpenApi(tenantUpdateSchema, 'input')),
    Tenant: toOpenApi(tenantSchema, 'output'),
    TenantList: { type: 'object', properties: { tenants: { type: 'array', items: { $ref: '#/components/schemas/Tenant' } } }, required: ['tenants'] },
    RegisterResult: {
      type: 'object',
      properties: { outcome: { type: 'string', enum: ['unchanged', 'accepted'] }, tenant: { $ref: '#/components/schemas/Tenant' } },
      required: ['outcome', 'tenant'],
    },
    SyncRequested: { type: 'object', properties: { tenantId: { type: 'string' }, requestedAt: { type: 'string', format: 'date-time' } }, required: ['tenantId', 'requestedAt'] },
    Error: toOpenApi(errorSchema, 'output'),
    ApiKey: toOpenApi(apiKeySchema, 'output'),
    ApiKeyCreate: toOpenApi(apiKeyCreateSchema, 'input'),
    ApiKeyCreated: { type: 'object', properties: { key: { type: 'string', description: 'shown once; only its hash is stored' }, apiKey: { $ref: '#/components/schemas/ApiKey' } }, required: ['key', 'apiKey'] },
    ApiKeyList: { type: 'object', properties: { apiKeys: { type: 'array', items: { $ref: '#/components/schemas/ApiKey' } } }, required: ['apiKeys'] },
  };
}
