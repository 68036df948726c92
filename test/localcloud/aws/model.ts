import { existsSync, readFileSync } from 'node:fs';

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

const readModel = (file: string) =>
  JSON.parse(readFileSync(new URL(`./models/${file}`, import.meta.url), 'utf8'));

/**
 * Merges `<service>-overlay.json` (what Debian's botocore lacks: new operations and shapes, extra
 * members and enum values) as extract.py does, so an operation added to the overlay is served without
 * regenerating the model. Merging twice changes nothing: the committed model already holds the overlay.
 */
function mergeOverlay(model: ServiceModel, overlay: Partial<ServiceModel>): void {
  Object.assign(model.operations, overlay.operations ?? {});
  for (const [name, shape] of Object.entries(overlay.shapes ?? {})) {
    const base = model.shapes[name];
    if (!base) model.shapes[name] = shape;
    else if (base.type === 'structure') base.members = { ...base.members, ...shape.members };
    else if (base.enum)
      base.enum = [...base.enum, ...(shape.enum ?? []).filter((v) => !base.enum!.includes(v))];
  }
}

/** Loads a trimmed model committed under aws/models/ (see extract.py), with its overlay. */
export function loadModel(name: string): ServiceModel {
  let model = cache.get(name);
  if (!model) {
    model = readModel(`${name}.json`) as ServiceModel;
    if (existsSync(new URL(`./models/${name}-overlay.json`, import.meta.url)))
      mergeOverlay(model, readModel(`${name}-overlay.json`) as Partial<ServiceModel>);
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
