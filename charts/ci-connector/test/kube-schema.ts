import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { Certificate } from '@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate';
import type { KubeObject } from './manifests';

/** One problem the JSON schema of kubernetes-models reports (ajv's error objects). */
interface SchemaError {
  instancePath: string;
  message?: string;
}

type Check = (obj: object) => SchemaError[];

// Every kind the chart may render, by apiVersion and kind. A kind missing here
// is a failure, never a pass: add its kubernetes-models class.
// (Typed loosely: under the workspace's node10 module resolution TypeScript does not
// see @kubernetes-models/base's Model, whose prototype carries validate().)
type ModelClass = { prototype: object };
const MODELS: Record<string, ModelClass> = {
  'apps/v1/Deployment': Deployment,
  'apps/v1/DaemonSet': DaemonSet,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'cert-manager.io/v1/Certificate': Certificate,
};

/** The model's validator applied to a plain object: its schema errors, none when valid. */
function checkOf(model: ModelClass): Check {
  const { validate } = model.prototype as { validate?: (this: object) => void };
  if (typeof validate !== 'function') throw new Error('a kubernetes-models class without validate()');
  return (obj) => {
    try {
      validate.call(obj);
      return [];
    } catch (err) {
      const errors = (err as { errors?: unknown }).errors;
      if (Array.isArray(errors)) return errors as SchemaError[];
      throw err;
    }
  };
}

const pointer = (path: string, key: string | number) => `${path}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`;

// A value of no JSON type: every typed schema refuses it, so putting it in a
// field makes the validator report that very field, unless the schema does not
// know the field (the generated validators ignore unknown fields, as the API
// server's non-strict decoding does).
const PROBE = Symbol('probe');

type Node = Record<string | number, unknown>;
const isObject = (v: unknown): v is Node => typeof v === 'object' && v !== null;

/**
 * Fields the kind's schema does not define, as JSON pointers: what
 * `kubectl apply --validate=strict` refuses. Each field is replaced in turn by
 * PROBE and kept only when the validator then reports it; the object is restored.
 */
export function unknownFields(obj: KubeObject, check: Check): string[] {
  const unknown: string[] = [];
  const walk = (node: Node, path: string) => {
    const entries: [string | number, unknown][] = Array.isArray(node) ? node.map((v, i) => [i, v]) : Object.entries(node);
    for (const [key, value] of entries) {
      const here = pointer(path, key);
      if (!Array.isArray(node)) {
        node[key] = PROBE;
        let known: boolean;
        try {
          known = check(obj).some((e) => e.instancePath === here);
        } finally {
          node[key] = value;
        }
        if (!known) {
          unknown.push(here);
          continue;
        }
      }
      if (isObject(value)) walk(value, here);
    }
  };
  walk(obj as unknown as Node, '');
  return unknown;
}

const nameOf = (o: KubeObject) => `${o.kind}/${o.metadata?.name ?? '?'}`;

/**
 * Every problem of one rendered object against its Kubernetes schema, strictly:
 * schema errors (types, enums, required fields) and unknown fields.
 */
export function validateObject(obj: KubeObject): string[] {
  const key = `${obj.apiVersion}/${obj.kind}`;
  const model = MODELS[key];
  if (!model) return [`${nameOf(obj)}: no schema for ${key} (add its kubernetes-models class to test/kube-schema.ts)`];
  const check = checkOf(model);
  const problems = check(obj).map((e) => `${nameOf(obj)}: ${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
  for (const field of unknownFields(obj, check)) problems.push(`${nameOf(obj)}: ${field}: unknown field`);
  return problems;
}
