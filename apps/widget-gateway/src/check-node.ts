// Imported first by instrumentation.ts: refuses another Node major before any
// dependency that needs Node 24 (OpenTelemetry) is even loaded.
import { requireSupportedNode } from '@ci-connector/platform-config';

requireSupportedNode();
