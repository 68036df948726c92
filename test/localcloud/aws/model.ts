import { readFileSync } from 'node:fs';

/** The subset of the botocore service-2.json format localcloud reads. */
export interface ShapeRef {
  shape: string;
  locationName?: string;
  queryName?: string;
  flattened?: boolean;
  resultWrapper?: string;
}

export interface Shape {
  type:
    | 'structure'
    | 'list'
    | 'map'
    | 'string'
    | 'integer'
    | 'long'
    | 'boolean'
    | 'timestamp'
    | 'blob'
    | 'double'
    | 'float';
  members?: Record<string, ShapeRef>;
  required?: string[];
  member?: ShapeRef;
  key?: ShapeRef;
  value?: ShapeRef;
  flattened?: boolean;
  min?: number;
  max?: number;
  enum?: string[];
  error?: { code?: string; httpStatusCode?: number };
}

export interface Operation {
  name: string;
  input?: ShapeRef;
  output?: ShapeRef;
}

export interface ServiceModel {
  metadata: {
    apiVersion: string;
    protocol: string;
    xmlNamespace?: string;
    targetPrefix?: string;
    jsonVersion?: string;
  };
  operations: Record<string, Operation>;
  shapes: Record<string, Shape>;
}

const cache = new Map<string, ServiceModel>();

/** Loads a trimmed model committed under aws/models/ (see extract.py). */
export function loadModel(name: string): ServiceModel {
  let model = cache.get(name);
  if (!model) {
    model = JSON.parse(
      readFileSync(new URL(`./models/${name}.json`, import.meta.url), 'utf8'),
    ) as ServiceModel;
    cache.set(name, model);
  }
  return model;
}

export function shapeOf(model: ServiceModel, ref: ShapeRef): Shape {
  const shape = model.shapes[ref.shape];
  if (!shape) throw new Error(`model has no shape ${ref.shape}`);
  return shape;
}

/** Timestamps reach handlers as Dates and may leave them as Date, epoch ms or ISO string. */
export function toDate(value: unknown): Date | undefined {
  if (value instanceof Date) return value;
  if (typeof value === 'number') return new Date(value);
  if (typeof value === 'string') {
    const d = new Date(value);
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  return undefined;
}
