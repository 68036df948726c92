// reap-octopus-orphans through dist/: the Octopus key goes to the configured server only (a redirect
// elsewhere is refused and the other origin hears nothing; http:// off the machine is refused before
// any request), and only whole-token EC2 instance ids are read from target names.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runActionStep } from '../harness/run-action.js';
import { DEFAULT_API_KEY } from '../localcloud/octopus/index.js';
import { startCloud, type Cloud } from './reap-cloud.js';

jest.setTimeout(120_000);

let cloud: Cloud;
/** Answers every request with a redirect to `collector`. */
let redirector: Server;
/** Another origin: anything reaching it is a leak. */
let collector: Server;
const leaked: IncomingMessage[] = [];
const portOf = (s: Server) => (s.address() as AddressInfo).port;
const listen = (s: Server) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r));

beforeAll(async () => {
  cloud = await startCloud();
  collector = createServer((req, res) => {
    leaked.push(req);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"Items":[],"TotalResults":0}');
  });
  await listen(collector);
  redirector = createServer((req, res) => {
    res.writeHead(302, { location: `http://localhost:${portOf(collector)}${req.url}` }).end();
  });
  await listen(redirector);
});

afterAll(async () => {
  await cloud.stopCloud();
  await new Promise((r) => redirector.close(r));
  await new Promise((r) => collector.close(r));
});

describe('reap-octopus-orphans keeps the Octopus key', () => {
  it('fails on a redirect to another origin, naming it, and sends the key nowhere else', async () => {
    const r = await runActionStep('reap-octopus-orphans', {
      env: { ...cloud.env(), OCTOPUS_URL: `http://127.0.0.1:${portOf(redirector)}` },
      inputs: { environments: 'Production' },
    });
    expect(r.exitCode).toBe(1);
    expect(r.errors.join('\n')).toContain(
      `answered 302: a redirect to http://localhost:${portOf(collector)}, not followed`,
    );
    expect(r.errors.join('\n')).not.toContain(DEFAULT_API_KEY);
    expect(leaked).toEqual([]);
  });

  it('refuses an http:// server off the machine as an invalid input, before any request', async () => {
    const r = await runActionStep('reap-octopus-orphans', {
      env: { ...cloud.env(), OCTOPUS_URL: 'http://octopus.example.com' },
      inputs: { environments: 'Production' },
    });
    expect(r.exitCode).toBe(1);
    expect(r.errors.join('\n')).toContain(
      'octopus-url: http://octopus.example.com would send the API key unencrypted; accepted: an https:// URL',
    );
    expect(cloud.octopus.logs.calls).toEqual([]);
  });
});

describe('reap-octopus-orphans reads only whole EC2 instance ids', () => {
  it('reaps the target of a gone instance and leaves names that merely contain id-like text', async () => {
    const [live] = await cloud.launch(1);
    const gone = 'i-0deaddeaddead0001';
    cloud.octopus.addMachines(
      [live!, gone, 'multi-20240101', 'i-0deaddeaddead000000', `old${gone}`].map((name) => ({
        name,
        environments: ['Production'],
      })),
    );
    const r = await runActionStep('reap-octopus-orphans', {
      env: cloud.env(),
      inputs: { environments: 'Production', 'max-reap-percent': '100' },
    });
    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(cloud.octopusDeletes()).toEqual([gone]);
    expect([...cloud.octopus.state.machines.values()].map((m) => m.Name).sort()).toEqual(
      [live!, 'multi-20240101', 'i-0deaddeaddead000000', `old${gone}`].sort(),
    );
  });
});
