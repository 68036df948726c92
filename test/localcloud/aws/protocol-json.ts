import { shapeOf, toDate, type ServiceModel, type ShapeRef } from './model.js';

/**
 * AWS JSON 1.1 (SSM): `X-Amz-Target: AmazonSSM.<Operation>`, JSON bodies, epoch-second
 * timestamps, errors as `{"__type": code, "message": ...}`.
 */

/** Walks a value against its shape: timestamps in, Dates out (parse) or epoch seconds (serialize). */
function convert(model: ServiceModel, ref: ShapeRef, value: unknown, direction: 'in' | 'out'): unknown {
  if (value === undefined || value === null) return undefined;
  const shape = shapeOf(model, ref);
  switch (shape.type) {
    case 'structure': {
      if (typeof value !== 'object') return undefined;
      const out: Record<string, unknown> = {};
      for (const [name, member] of Object.entries(shape.members ?? {})) {
        const v = convert(model, member, (value as Record<string, unknown>)[name], direction);
        if (v !== undefined) out[name] = v;
      }
      return out;
    }
    case 'list':
      return Array.isArray(value) ? value.map((v) => convert(model, shape.member!, v, direction)) : undefined;
    case 'map': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        out[k] = convert(model, shape.value!, v, direction);
      }
      return out;
    }
    case 'timestamp': {
      const d = toDate(direction === 'in' && typeof value === 'number' ? value * 1000 : value);
      if (!d) return undefined;
      return direction === 'in' ? d : d.getTime() / 1000;
    }
    case 'blob':
      return Buffer.isBuffer(value) ? value.toString('base64') : value;
    default:
      return value;
  }
}

export function parseJsonParams(
  model: ServiceModel,
  inputRef: ShapeRef | undefined,
  body: string,
): Record<string, unknown> {
  if (!inputRef) return {};
  const raw: unknown = body.trim() === '' ? {} : JSON.parse(body);
  return (convert(model, inputRef, raw, 'in') ?? {}) as Record<string, unknown>;
}

export function serializeJsonResponse(
  model: ServiceModel,
  outputRef: ShapeRef | undefined,
  output: Record<string, unknown>,
): string {
  return JSON.stringify(outputRef ? (convert(model, outputRef, output, 'out') ?? {}) : {});
}

export function serializeJsonError(code: string, message: string): string {
  return JSON.stringify({ __type: code, message });
}
