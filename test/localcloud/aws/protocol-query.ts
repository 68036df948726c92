import { shapeOf, toDate, type ServiceModel, type Shape, type ShapeRef } from './model.js';

/**
 * The EC2 and Query protocols: form-encoded requests (`Filter.1.Value.1`, `Tags.member.1.Key`)
 * parsed into SDK-shaped params, and XML responses written per the model (EC2's `<item>` lists
 * and camelCase names, Query's `<member>` lists inside `<OpResult>`).
 */
export type QueryProtocol = 'ec2' | 'query';

type FormNode = string | { [key: string]: FormNode };

/** `a.b.1=x` pairs into a tree; repeated keys keep the last value, as AWS does. */
export function formTree(form: URLSearchParams): Record<string, FormNode> {
  const root: Record<string, FormNode> = {};
  for (const [key, value] of form) {
    const parts = key.split('.');
    let node: Record<string, FormNode> = root;
    parts.forEach((part, i) => {
      if (i === parts.length - 1) {
        if (typeof node[part] !== 'object') node[part] = value;
        return;
      }
      const next = node[part];
      if (typeof next === 'object') node = next;
      else {
        const created: Record<string, FormNode> = {};
        node[part] = created;
        node = created;
      }
    });
  }
  return root;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function wireName(protocol: QueryProtocol, memberName: string, ref: ShapeRef): string {
  if (protocol === 'ec2')
    return ref.queryName ?? (ref.locationName ? capitalize(ref.locationName) : memberName);
  return ref.locationName ?? memberName;
}

function numbered(node: FormNode | undefined): FormNode[] {
  if (node === undefined || typeof node === 'string') return [];
  return Object.keys(node)
    .filter((k) => /^\d+$/.test(k))
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => node[k] as FormNode);
}

export function parseQueryParams(
  model: ServiceModel,
  protocol: QueryProtocol,
  inputRef: ShapeRef | undefined,
  tree: Record<string, FormNode>,
): Record<string, unknown> {
  if (!inputRef) return {};
  const value = readValue(model, protocol, inputRef, tree);
  return (value ?? {}) as Record<string, unknown>;
}

function readValue(model: ServiceModel, protocol: QueryProtocol, ref: ShapeRef, node: FormNode): unknown {
  const shape = shapeOf(model, ref);
  switch (shape.type) {
    case 'structure': {
      if (typeof node === 'string') return {};
      const out: Record<string, unknown> = {};
      for (const [name, member] of Object.entries(shape.members ?? {})) {
        const child = node[wireName(protocol, name, member)];
        if (child !== undefined) out[name] = readValue(model, protocol, member, child);
      }
      return out;
    }
    case 'list': {
      const member = shape.member!;
      const flat = protocol === 'ec2' || shape.flattened || ref.flattened;
      const items = flat
        ? numbered(node)
        : numbered(typeof node === 'string' ? undefined : node[member.locationName ?? 'member']);
      return items.map((item) => readValue(model, protocol, member, item));
    }
    case 'map': {
      const entries = shape.flattened
        ? numbered(node)
        : numbered(typeof node === 'string' ? undefined : node.entry);
      const out: Record<string, unknown> = {};
      for (const entry of entries) {
        if (typeof entry === 'string') continue;
        const key = entry[shape.key?.locationName ?? 'key'];
        const value = entry[shape.value?.locationName ?? 'value'];
        if (typeof key === 'string' && value !== undefined)
          out[key] = readValue(model, protocol, shape.value!, value);
      }
      return out;
    }
    default:
      return typeof node === 'string' ? readScalar(shape, node) : undefined;
  }
}

function readScalar(shape: Shape, raw: string): unknown {
  switch (shape.type) {
    case 'integer':
    case 'long':
    case 'double':
    case 'float': {
      const n = Number(raw);
      return raw.trim() === '' || Number.isNaN(n) ? raw : n;
    }
    case 'boolean':
      return raw === 'true';
    case 'timestamp':
      return toDate(/^\d+(\.\d+)?$/.test(raw) ? Number(raw) * 1000 : raw) ?? raw;
    default:
      return raw;
  }
}

type XmlNode = string | { [key: string]: XmlNode | XmlNode[] };

function xmlValue(
  model: ServiceModel,
  protocol: QueryProtocol,
  ref: ShapeRef,
  value: unknown,
): XmlNode | undefined {
  if (value === undefined || value === null) return undefined;
  const shape = shapeOf(model, ref);
  switch (shape.type) {
    case 'structure':
      return xmlStructure(model, protocol, shape, value as Record<string, unknown>);
    case 'list': {
      if (!Array.isArray(value)) return undefined;
      const member = shape.member!;
      const items = value.map((v) => xmlValue(model, protocol, member, v)).filter((v) => v !== undefined);
      return items.length === 0 ? '' : { [member.locationName ?? 'member']: items };
    }
    case 'map': {
      const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => ({
        [shape.key?.locationName ?? 'key']: k,
        [shape.value?.locationName ?? 'value']: xmlValue(model, protocol, shape.value!, v) ?? '',
      }));
      return entries.length === 0 ? '' : { entry: entries };
    }
    case 'timestamp':
      return toDate(value)?.toISOString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'blob':
      return Buffer.isBuffer(value) ? value.toString('base64') : String(value);
    default:
      return String(value);
  }
}

function xmlStructure(
  model: ServiceModel,
  protocol: QueryProtocol,
  shape: Shape,
  value: Record<string, unknown>,
): Record<string, XmlNode | XmlNode[]> {
  const out: Record<string, XmlNode | XmlNode[]> = {};
  for (const [name, member] of Object.entries(shape.members ?? {})) {
    const child = xmlValue(model, protocol, member, value[name]);
    if (child === undefined) continue;
    const memberShape = shapeOf(model, member);
    const element = member.locationName ?? name;
    // Flattened lists repeat the element itself instead of wrapping items.
    if (
      memberShape.type === 'list' &&
      (memberShape.flattened || member.flattened) &&
      typeof child === 'object'
    ) {
      const itemName = memberShape.member!.locationName ?? element;
      out[itemName] = (child as Record<string, XmlNode | XmlNode[]>)[
        memberShape.member!.locationName ?? 'member'
      ]!;
    } else {
      out[element] = child;
    }
  }
  return out;
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/**
 * Writes the element tree. fast-xml-parser's XMLBuilder took ~300 ms for a 200-instance
 * DescribeInstances page (10,000-instance reaps make 50 of them); this walk takes a few ms.
 * Keys starting with `@_` are attributes; arrays repeat the element.
 */
function writeElement(
  name: string,
  node: XmlNode | XmlNode[] | Record<string, unknown>,
  out: string[],
): void {
  if (Array.isArray(node)) {
    for (const item of node) writeElement(name, item, out);
    return;
  }
  if (typeof node === 'string') {
    out.push(`<${name}>${escapeXml(node)}</${name}>`);
    return;
  }
  let attributes = '';
  const children: [string, XmlNode | XmlNode[]][] = [];
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith('@_')) attributes += ` ${key.slice(2)}="${escapeXml(String(value))}"`;
    else children.push([key, value as XmlNode | XmlNode[]]);
  }
  out.push(`<${name}${attributes}>`);
  for (const [key, value] of children) writeElement(key, value, out);
  out.push(`</${name}>`);
}

function xmlDocument(doc: Record<string, unknown>): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>\n'];
  for (const [name, node] of Object.entries(doc)) writeElement(name, node as XmlNode, out);
  return out.join('');
}

export function serializeQueryResponse(
  model: ServiceModel,
  protocol: QueryProtocol,
  operation: string,
  outputRef: ShapeRef | undefined,
  output: Record<string, unknown>,
  requestId: string,
): string {
  const body = outputRef ? xmlStructure(model, protocol, shapeOf(model, outputRef), output) : {};
  const namespace = model.metadata.xmlNamespace ?? '';
  if (protocol === 'ec2') {
    const ns = namespace.endsWith('/') ? namespace : `${namespace}/`;
    const content = outputRef ? body : { return: 'true' };
    return xmlDocument({ [`${operation}Response`]: { '@_xmlns': ns, requestId, ...content } });
  }
  const result = outputRef?.resultWrapper ? { [outputRef.resultWrapper]: body } : {};
  return xmlDocument({
    [`${operation}Response`]: { '@_xmlns': namespace, ...result, ResponseMetadata: { RequestId: requestId } },
  });
}

export function serializeQueryError(
  model: ServiceModel,
  protocol: QueryProtocol,
  code: string,
  message: string,
  status: number,
  requestId: string,
): string {
  if (protocol === 'ec2') {
    return xmlDocument({
      Response: { Errors: { Error: { Code: code, Message: message } }, RequestID: requestId },
    });
  }
  return xmlDocument({
    ErrorResponse: {
      '@_xmlns': model.metadata.xmlNamespace ?? '',
      Error: { Type: status >= 500 ? 'Receiver' : 'Sender', Code: code, Message: message },
      RequestId: requestId,
    },
  });
}
