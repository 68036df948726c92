// Secrets never leak: every step any section ran (bench/steps.ts keeps their transcripts), plus a
// few runs of its own that push the risky paths (debug logging on, a session token, a wrong Octopus
// key answered with 401, an access token instead of a key, invalid inputs next to a key), are
// searched for the Octopus key, the Octopus access token, the AWS secret key and the session token
// in their logs, outputs, saved state, exported env and job summaries. `::add-mask::` lines are
// commands the runner consumes, never shown, so they are not searched.
import { DEFAULT_ACCESS_TOKEN } from '../test/localcloud/octopus/index.js';
import { CREDENTIALS, OCTOPUS_KEY, startCloud } from './cloud.js';
import type { BenchOptions, Figure, Section } from './report.js';
import { allTranscripts, runStep, type Transcript } from './steps.js';

const SESSION_TOKEN = 'IQoJb3JpZ2luX2VjEBENCHSESSIONTOKEN0000000000000000000000000000';
const WRONG_KEY = 'API-WRONGBENCHKEY000000000000000';
const AMI = 'ami-0123456789abcdef0';

const SECRETS: Record<string, string> = {
  'Octopus API key': OCTOPUS_KEY,
  'wrong Octopus API key': WRONG_KEY,
  'Octopus access token': DEFAULT_ACCESS_TOKEN,
  'AWS secret access key': CREDENTIALS.secretAccessKey,
  'AWS session token': SESSION_TOKEN,
};

/** The forms a secret could take in text: as is, URL-encoded, base64 (as in a Basic header). */
const forms = (s: string) => [...new Set([s, encodeURIComponent(s), Buffer.from(s).toString('base64')])];

async function ownRuns(opts: BenchOptions): Promise<void> {
  const cloud = await startCloud({ seed: opts.seed });
  try {
    const env = { ...cloud.env(), AWS_SESSION_TOKEN: SESSION_TOKEN, ACTIONS_STEP_DEBUG: 'true' };
    cloud.lc.octopus.addMachines([{ name: 'i-0000000000000dead', environments: ['Production'] }]);
    const run = (
      label: string,
      action: string,
      inputs: Record<string, string>,
      extra: Record<string, string | undefined> = {},
    ) => runStep(`secrets: ${label}`, action, { env: { ...env, ...extra }, inputs, timeoutMs: 120_000 });
    await run('reap', 'reap-octopus-orphans', { environments: 'Production' });
    await run('reap with a wrong key', 'reap-octopus-orphans', {
      environments: 'Production',
      'octopus-api-key': WRONG_KEY,
    });
    await run(
      'reap with an access token',
      'reap-octopus-orphans',
      { environments: 'Production', 'dry-run': 'true' },
      {
        OCTOPUS_API_KEY: undefined,
        OCTOPUS_ACCESS_TOKEN: DEFAULT_ACCESS_TOKEN,
      },
    );
    await run('reap with a bad input next to the key', 'reap-octopus-orphans', {
      environments: 'Production',
      'octopus-api-key': OCTOPUS_KEY,
      'octopus-url': 'not a url',
    });
    await run('bake dry run', 'bake-ami', {
      name: 'web',
      'source-ami': AMI,
      'user-data': 'shutdown -h now',
      'dry-run': 'true',
    });
    await run('promote unknown AMI', 'promote-ami-parameter', {
      'parameter-name': '/golden-ami/web',
      'ami-id': AMI,
    });
    await run('roll dry run', 'roll-asg', { 'asg-names': 'none', 'ami-id': AMI, 'dry-run': 'true' });
    await run('wait on nothing', 'wait-healthy', { 'asg-names': 'none', timeout: '1m' });
    await run('deploy dry run with reap', 'deploy-ami', {
      'ami-id': AMI,
      'parameter-name': '/golden-ami/web',
      environment: 'Production',
      reap: 'true',
      'dry-run': 'true',
    });
  } finally {
    await cloud.stop();
  }
}

/** Where each secret occurs in the transcripts, and how many steps registered it with add-mask. */
export function scan(transcripts: readonly Transcript[], secrets: Record<string, string>) {
  const found: Record<string, string[]> = Object.fromEntries(Object.keys(secrets).map((k) => [k, []]));
  // The control: steps that had the secret registered it with add-mask, so the search is looking
  // for something the steps really held.
  const masked: Record<string, number> = Object.fromEntries(Object.keys(secrets).map((k) => [k, 0]));
  let texts = 0;
  for (const t of transcripts) {
    for (const [name, secret] of Object.entries(secrets))
      if ((t.texts.log ?? '').includes(`::add-mask::${secret}`)) masked[name]!++;
    for (const [part, raw] of Object.entries(t.texts)) {
      const text = raw
        .split('\n')
        .filter((l) => !l.startsWith('::add-mask::'))
        .join('\n');
      texts++;
      for (const [name, secret] of Object.entries(secrets))
        if (forms(secret).some((f) => text.includes(f)))
          found[name]!.push(`${t.label} (${t.action}) ${part}`);
    }
  }
  return { found, masked, texts };
}

export async function secrets(opts: BenchOptions): Promise<Omit<Section, 'ms'>> {
  await ownRuns(opts);
  const transcripts = allTranscripts();
  const { found, masked, texts } = scan(transcripts, SECRETS);
  const actions = new Set(transcripts.map((t) => t.action)).size;
  opts.log(`  secrets: searched ${texts} texts of ${transcripts.length} steps`);
  const figures: Figure[] = [
    {
      metric: `steps searched (${actions} actions; logs, outputs, state, env, summaries, post steps)`,
      ours: transcripts.length,
      note: `${texts} texts`,
    },
  ];
  for (const [name, where] of Object.entries(found))
    figures.push({
      metric: `${name}: occurrences`,
      ours: where.length,
      target: '0',
      met: where.length === 0,
      note: where.length
        ? where.slice(0, 5).join('; ')
        : `registered with add-mask by ${masked[name]} step(s)`,
    });
  return { name: 'secrets', figures };
}
